// Package problem writes RFC 9457 problem details (application/problem+json) and
// collects field-level validation errors.
package problem

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/pitstop/pitstop/shared-go/validation"
)

// ContentType is the media type of a problem document.
const ContentType = "application/problem+json"

// FieldError names one offending request field and what is wrong with it: the
// validation package's, so that field errors of the domain and of the ports are one type.
type FieldError = validation.FieldError

// Problem is an RFC 9457 problem document with Pitstop's extension members.
type Problem struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail,omitempty"`
	Instance  string       `json:"instance,omitempty"`
	RequestID string       `json:"requestId,omitempty"`
	Errors    []FieldError `json:"errors,omitempty"`
}

// ValidationError is returned by validating constructors and request decoders; it
// carries every offending field, not just the first. It is validation.Error: a decoder
// leaves its Of unset, so its text begins "validation failed".
type ValidationError = validation.Error

type requestIDKey struct{}

// WithRequestID returns ctx carrying the request's id, which problem documents and the
// translator's log lines then name (the HTTP server's middleware sets it).
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID is the id WithRequestID put on r's context ("" if none).
func RequestID(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey{}).(string)
	return id
}

// Write sends p as a problem document with p.Status.
func Write(w http.ResponseWriter, r *http.Request, p Problem) {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	if r != nil {
		if p.Instance == "" {
			p.Instance = r.URL.Path
		}
		p.RequestID = RequestID(r)
	}
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// Status writes a problem with just a status and a detail.
func Status(w http.ResponseWriter, r *http.Request, status int, detail string) {
	Write(w, r, Problem{Status: status, Detail: detail})
}

// Validation writes a 400 listing the offending fields.
func Validation(w http.ResponseWriter, r *http.Request, v *ValidationError) {
	Write(w, r, Problem{
		Type:   "https://pitstop.example/problems/validation",
		Title:  "Validation failed",
		Status: http.StatusBadRequest,
		Detail: "One or more fields are invalid.",
		Errors: v.Fields,
	})
}
