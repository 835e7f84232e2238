package problem_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/pitstop/pitstop/shared-go/paging"
	"github.com/pitstop/pitstop/shared-go/problem"
)

var (
	errNotFound = errors.New("thing not found")
	errConflict = errors.New("thing exists with other data")
	errBadOwner = errors.New("bad owner filter")
)

// domainValidation stands for a context's own validation error type: it names fields
// through the behaviour only, without importing problem.
type domainValidation struct{ fields [][2]string }

func (v *domainValidation) Error() string { return "invalid thing" }

func (v *domainValidation) FieldErrors() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for _, f := range v.fields {
			if !yield(f[0], f[1]) {
				return
			}
		}
	}
}

type ruleViolation struct{ msg string }

func (v *ruleViolation) Error() string { return v.msg }

type described struct{ p problem.Problem }

func (d *described) Error() string            { return d.p.Detail }
func (d *described) Problem() problem.Problem { return d.p }

func TestTranslatorRespond(t *testing.T) {
	t.Parallel()
	tr := func(log *slog.Logger) *problem.Translator {
		return problem.NewTranslator("things", log,
			problem.Is(errNotFound, problem.Problem{Status: http.StatusNotFound}),
			problem.Is(errConflict, problem.Problem{Type: "https://example/conflict", Title: "Conflict",
				Status: http.StatusConflict, Detail: "taken"}),
			problem.As(func(v *ruleViolation) problem.Problem {
				return problem.Problem{Type: "https://example/rule", Title: "Rule", Status: http.StatusConflict, Detail: v.msg}
			}),
			problem.Field(errBadOwner, "ownerId", "must be a UUID"),
		)
	}
	validation := func(fields ...problem.FieldError) problem.Problem {
		return problem.Problem{Type: "https://pitstop.example/problems/validation", Title: "Validation failed",
			Status: http.StatusBadRequest, Detail: "One or more fields are invalid.", Errors: fields,
			Instance: "/things"}
	}
	cases := []struct {
		name   string
		err    error
		cancel bool
		want   problem.Problem
		logged bool
	}{
		{name: "own problem (decode error)", err: fmt.Errorf("decode: %w",
			&described{problem.Problem{Status: http.StatusUnsupportedMediaType, Detail: "content type must be application/json"}}),
			want: problem.Problem{Type: "about:blank", Title: "Unsupported Media Type", Status: 415,
				Detail: "content type must be application/json", Instance: "/things"}},
		{name: "domain validation error", err: fmt.Errorf("register: %w", &domainValidation{[][2]string{{"name", "is required"}, {"city", "too long"}}}),
			want: validation(problem.FieldError{Field: "name", Detail: "is required"}, problem.FieldError{Field: "city", Detail: "too long"})},
		{name: "validation error naming no field", err: &domainValidation{},
			want: validation()},
		{name: "problem.ValidationError", err: (&problem.ValidationError{Fields: []problem.FieldError{{Field: "after", Detail: "must be a date"}}}),
			want: validation(problem.FieldError{Field: "after", Detail: "must be a date"})},
		{name: "invalid limit", err: paging.ErrInvalidLimit,
			want: validation(problem.FieldError{Field: "limit", Detail: "must be an integer between 1 and 200"})},
		{name: "invalid cursor, wrapped", err: fmt.Errorf("list: %w", paging.ErrInvalidCursor),
			want: validation(problem.FieldError{Field: "cursor", Detail: "is not a cursor handed out by this API"})},
		{name: "joined paging and field sentinel, in order", err: errors.Join(paging.ErrInvalidLimit, paging.ErrInvalidCursor, errBadOwner),
			want: validation(problem.FieldError{Field: "limit", Detail: "must be an integer between 1 and 200"},
				problem.FieldError{Field: "cursor", Detail: "is not a cursor handed out by this API"},
				problem.FieldError{Field: "ownerId", Detail: "must be a UUID"})},
		{name: "joined field errors of two kinds", err: errors.Join(&domainValidation{[][2]string{{"from", "bad"}}}, fmt.Errorf("x: %w", paging.ErrInvalidLimit)),
			want: validation(problem.FieldError{Field: "from", Detail: "bad"},
				problem.FieldError{Field: "limit", Detail: "must be an integer between 1 and 200"})},
		{name: "sentinel mapping, detail defaults to its message", err: fmt.Errorf("get: %w", errNotFound),
			want: problem.Problem{Type: "about:blank", Title: "Not Found", Status: 404, Detail: "thing not found", Instance: "/things"}},
		{name: "sentinel mapping with its own document", err: errConflict,
			want: problem.Problem{Type: "https://example/conflict", Title: "Conflict", Status: 409, Detail: "taken", Instance: "/things"}},
		{name: "typed mapping", err: fmt.Errorf("plan: %w", &ruleViolation{"too many jobs"}),
			want: problem.Problem{Type: "https://example/rule", Title: "Rule", Status: 409, Detail: "too many jobs", Instance: "/things"}},
		{name: "client went away", err: fmt.Errorf("query: %w", context.Canceled), cancel: true,
			want: problem.Problem{Type: "about:blank", Title: "Client Closed Request", Status: 499, Instance: "/things"}},
		{name: "canceled while the client is still there", err: context.Canceled, logged: true,
			want: problem.Problem{Type: "about:blank", Title: "Internal Server Error", Status: 500, Detail: "internal error", Instance: "/things"}},
		{name: "anything else", err: errors.New("connection refused"), logged: true,
			want: problem.Problem{Type: "about:blank", Title: "Internal Server Error", Status: 500, Detail: "internal error", Instance: "/things"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&logs, nil))
			r := httptest.NewRequest(http.MethodGet, "/things", nil)
			if tc.cancel {
				ctx, cancel := context.WithCancel(r.Context())
				cancel()
				r = r.WithContext(ctx)
			}
			w := httptest.NewRecorder()
			tr(log).Respond(w, r, tc.err)

			if w.Code != tc.want.Status {
				t.Fatalf("status %d, want %d (body %s)", w.Code, tc.want.Status, w.Body)
			}
			if ct := w.Header().Get("Content-Type"); ct != problem.ContentType {
				t.Errorf("content type %q", ct)
			}
			var got problem.Problem
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatalf("body %q: %v", w.Body, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("problem\n got %+v\nwant %+v", got, tc.want)
			}
			if logged := strings.Contains(logs.String(), `"msg":"things request failed"`); logged != tc.logged {
				t.Errorf("logged = %v, want %v: %s", logged, tc.logged, logs.String())
			}
			if tc.logged && !strings.Contains(logs.String(), tc.err.Error()) {
				t.Errorf("log line lacks the error: %s", logs.String())
			}
		})
	}
}

// TestTranslatorLogsRequestID checks that a 500 carries the request id in both the log
// line and the document, so that one finds the other.
func TestTranslatorLogsRequestID(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	tr := problem.NewTranslator("things", slog.New(slog.NewJSONHandler(&logs, nil)))
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, "/things", nil)
	tr.Respond(w, r.WithContext(problem.WithRequestID(r.Context(), "req-42")), errors.New("boom"))

	var got problem.Problem
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.RequestID != "req-42" {
		t.Errorf("document request id %q", got.RequestID)
	}
	var line map[string]any
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("log %q: %v", logs.String(), err)
	}
	if line["request_id"] != "req-42" || line["method"] != "POST" || line["path"] != "/things" || line["err"] != "boom" {
		t.Errorf("log line %v", line)
	}
}
