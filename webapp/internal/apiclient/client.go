// Package apiclient holds the webapp's typed clients of the Pitstop APIs. They speak
// the APIs' JSON (SYSTEM.md 4) through the gateway's balancer, and turn answers into
// errors the pages can show: *Problem for a 4xx/5xx problem document, ErrUnavailable
// when the service cannot be reached.
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5/middleware"
)

// ErrUnavailable means the service did not answer (no healthy instance, a transport
// error, or a 502/503/504 from in between). Errors wrap it; test with errors.Is.
var ErrUnavailable = errors.New("service unavailable")

// FieldError is one offending field of a rejected request.
type FieldError struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// Problem is an API's RFC 9457 problem document (an answer of 400 or more).
type Problem struct {
	Type   string       `json:"type"`
	Title  string       `json:"title"`
	Status int          `json:"status"`
	Detail string       `json:"detail"`
	Errors []FieldError `json:"errors"`
}

// Error implements error.
func (p *Problem) Error() string {
	s := fmt.Sprintf("%d %s", p.Status, p.Title)
	if p.Detail != "" {
		s += ": " + p.Detail
	}
	return s
}

// IsStatus reports whether err is a *Problem with the given status.
func IsStatus(err error, status int) bool {
	var p *Problem
	return errors.As(err, &p) && p.Status == status
}

// Page is one page of a list: its items and the cursor of the next page ("" on the last).
type Page[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
}

type tokenKey struct{}

// WithToken returns ctx carrying the bearer token that every call made with it sends
// (Authorization: Bearer <token>): the signed-in staff member's, so that the services
// see who acts.
func WithToken(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, tokenKey{}, token)
}

// TokenFrom is the token WithToken put on ctx ("" if none).
func TokenFrom(ctx context.Context) string {
	t, _ := ctx.Value(tokenKey{}).(string)
	return t
}

// DefaultTimeout bounds one API call.
const DefaultTimeout = 10 * time.Second

// client calls one service.
type client struct {
	service string
	base    string
	http    *http.Client
}

func newClient(service string, rt http.RoundTripper) client {
	return client{service: service, base: "http://" + service,
		http: &http.Client{Transport: rt, Timeout: DefaultTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// do sends in (if not nil) as JSON and decodes a 2xx answer into out (if not nil).
func (c client) do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s %s: encode: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	target := c.base + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok := TokenFrom(ctx); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	// The API's log lines carry the id of the page request that caused the call.
	if id := middleware.GetReqID(ctx); id != "" {
		req.Header.Set(middleware.RequestIDHeader, id)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s %s %s: %w", c.service, method, path, ctx.Err())
		}
		return fmt.Errorf("%s %s %s: %w: %w", c.service, method, path, ErrUnavailable, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("%s %s %s: read answer: %w: %w", c.service, method, path, ErrUnavailable, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if out == nil {
			return nil
		}
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s %s %s: decode answer: %w", c.service, method, path, err)
		}
		return nil
	}
	p := &Problem{Status: resp.StatusCode, Title: http.StatusText(resp.StatusCode)}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); strings.HasSuffix(mt, "json") {
		_ = json.Unmarshal(raw, p)
		p.Status = resp.StatusCode // the status line wins over the document
	}
	switch resp.StatusCode {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return fmt.Errorf("%s %s %s: %w: %w", c.service, method, path, ErrUnavailable, p)
	}
	return fmt.Errorf("%s %s %s: %w", c.service, method, path, p)
}

// pageQuery is the query of a list request.
func pageQuery(cursor string, limit int) url.Values {
	q := url.Values{}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if limit > 0 {
		q.Set("limit", fmt.Sprint(limit))
	}
	return q
}

// all follows next cursors from the first page, collecting at most max items.
func all[T any](ctx context.Context, max int, list func(ctx context.Context, cursor string) (Page[T], error)) ([]T, error) {
	var out []T
	cursor := ""
	for {
		p, err := list(ctx, cursor)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Items...)
		if p.Next == "" || len(out) >= max {
			if len(out) > max {
				out = out[:max]
			}
			return out, nil
		}
		cursor = p.Next
	}
}
