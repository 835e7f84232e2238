// Package openapitest gives component tests an HTTP client that validates every
// exchange against the service's OpenAPI document: every response (whatever its
// status) must match the documented status and schema, and every request the service
// accepted (status below 400) must match the documented request. A mismatch fails the
// test, so code and document cannot drift apart.
package openapitest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	verrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/helpers"

	"github.com/pitstop/pitstop/serviceapis/openapi"
)

var (
	mu         sync.Mutex
	validators = map[string]validator.Validator{}
)

// validatorFor returns service's validator, or nil after reporting (with t.Errorf, safe
// from any goroutine) why there is none.
func validatorFor(t testing.TB, service string) validator.Validator {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if v, ok := validators[service]; ok {
		return v
	}
	spec := openapi.Spec(service)
	if spec == nil {
		t.Errorf("no OpenAPI document for %s", service)
		return nil
	}
	doc, err := libopenapi.NewDocument(spec)
	if err != nil {
		t.Errorf("parse OpenAPI document of %s: %v", service, err)
		return nil
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Errorf("OpenAPI validator for %s: %v", service, errs)
		return nil
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		t.Errorf("OpenAPI document of %s is invalid: %s", service, describe(verrs))
		return nil
	}
	validators[service] = v
	return v
}

// Client returns an HTTP client whose every exchange is validated against service's
// document; mismatches are reported with t.Errorf.
func Client(t testing.TB, service string) *http.Client {
	return &http.Client{Transport: Transport(t, service, http.DefaultTransport)}
}

// Transport wraps next with validation against service's document.
func Transport(t testing.TB, service string, next http.RoundTripper) http.RoundTripper {
	v := validatorFor(t, service)
	if v == nil {
		return next
	}
	return &transport{t: t, v: v, next: next}
}

type transport struct {
	t    testing.TB
	v    validator.Validator
	next http.RoundTripper
	mu   sync.Mutex
}

func (tr *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		_ = req.Body.Close()
		reqBody = b
		req.Body = io.NopCloser(bytes.NewReader(b))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	resp, err := tr.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	respBody, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(respBody))

	// The validator works on copies so the caller's request and response stay readable.
	vreq := req.Clone(req.Context())
	vreq.Body = io.NopCloser(bytes.NewReader(reqBody))
	vresp := *resp
	vresp.Body = io.NopCloser(bytes.NewReader(respBody))
	vresp.Request = vreq
	tr.mu.Lock() // the validator is not documented as safe for concurrent use
	defer tr.mu.Unlock()
	where := fmt.Sprintf("%s %s -> %d", req.Method, req.URL.RequestURI(), resp.StatusCode)
	if ok, errs := tr.v.ValidateHttpResponse(vreq, &vresp); !ok && !undocumentedAndRefused(resp.StatusCode, errs) {
		tr.t.Errorf("response does not match the OpenAPI document: %s: %s\nbody: %.500s", where, describe(errs), respBody)
	}
	if resp.StatusCode < 400 { // a 2xx/3xx on an undocumented path fails here too
		vreq2 := req.Clone(req.Context())
		vreq2.Body = io.NopCloser(bytes.NewReader(reqBody))
		if ok, errs := tr.v.ValidateHttpRequestSync(vreq2); !ok {
			tr.t.Errorf("accepted request does not match the OpenAPI document: %s: %s\nbody: %.500s", where, describe(errs), reqBody)
		}
	}
	return resp, nil
}

// undocumentedAndRefused is true for a 404 or 405 answer to a path or method the
// document does not have: the service agrees with the document that it does not exist.
func undocumentedAndRefused(status int, errs []*verrors.ValidationError) bool {
	if status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
		return false
	}
	for _, e := range errs {
		if e.ValidationType != helpers.PathValidation {
			return false
		}
	}
	return len(errs) > 0
}

func describe(errs []*verrors.ValidationError) string {
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "%s (%s)", e.Message, e.Reason)
		for _, se := range e.SchemaValidationErrors {
			fmt.Fprintf(&b, " [%s: %s]", se.FieldPath, se.Reason)
		}
		b.WriteString("; ")
	}
	return b.String()
}
