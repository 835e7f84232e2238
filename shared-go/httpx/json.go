package httpx

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/pitstop/pitstop/shared-go/problem"
)

// WriteJSON writes v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// DecodeError is a request body that could not be decoded; Status is 400, 413 or 415.
type DecodeError struct {
	Status int
	Detail string
	Field  string
}

func (e *DecodeError) Error() string { return e.Detail }

// Problem is the problem document answering e (problem.Described): its status and
// detail, and the offending field when the JSON held a value of the wrong type.
func (e *DecodeError) Problem() problem.Problem {
	p := problem.Problem{Status: e.Status, Detail: e.Detail}
	if e.Field != "" {
		p.Errors = []problem.FieldError{{Field: e.Field, Detail: e.Detail}}
	}
	return p
}

// DecodeJSON decodes exactly one JSON value from the request body into dst. Wrong media
// types, malformed JSON, wrong field types, trailing data and oversized bodies become a
// *DecodeError with the right 4xx status. Unknown fields are ignored.
func DecodeJSON(r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return &DecodeError{Status: http.StatusUnsupportedMediaType, Detail: "content type must be application/json"}
		}
	}
	if r.Body == nil {
		return &DecodeError{Status: http.StatusBadRequest, Detail: "request body is required"}
	}
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(dst); err != nil {
		return classify(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return classify(err)
		}
		return &DecodeError{Status: http.StatusBadRequest, Detail: "request body must hold a single JSON value"}
	}
	return nil
}

func classify(err error) error {
	var mbe *http.MaxBytesError
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &mbe):
		return &DecodeError{Status: http.StatusRequestEntityTooLarge, Detail: fmt.Sprintf("request body exceeds %d bytes", mbe.Limit)}
	case errors.Is(err, io.EOF):
		return &DecodeError{Status: http.StatusBadRequest, Detail: "request body is empty"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &DecodeError{Status: http.StatusBadRequest, Detail: "request body is truncated JSON"}
	case errors.As(err, &se):
		return &DecodeError{Status: http.StatusBadRequest, Detail: fmt.Sprintf("malformed JSON at offset %d", se.Offset)}
	case errors.As(err, &te):
		field := te.Field
		return &DecodeError{Status: http.StatusBadRequest, Field: field,
			Detail: fmt.Sprintf("field %q must be of type %s", field, te.Type.String())}
	default:
		return &DecodeError{Status: http.StatusBadRequest, Detail: "malformed JSON: " + err.Error()}
	}
}

// WriteDecodeError answers a DecodeJSON failure as a problem document.
func WriteDecodeError(w http.ResponseWriter, r *http.Request, err error) {
	var de *DecodeError
	if errors.As(err, &de) {
		problem.Write(w, r, de.Problem())
		return
	}
	problem.Status(w, r, http.StatusBadRequest, "malformed request body")
}
