package problem

import (
	"context"
	"errors"
	"iter"
	"log/slog"
	"net/http"
)

// StatusClientClosedRequest answers a request whose client went away before the
// answer was written (nginx's 499). Nobody reads it; it is what access logs and
// metrics see.
const StatusClientClosedRequest = 499

// FieldErrorer is the behaviour of an error that names invalid request fields: it
// yields each offending field with what is wrong with it, in order. Domain packages
// use shared-go/validation's Error (standard library only), which implements it, so
// that they need not import this package (or net/http) to be answered as a 400 listing
// the fields; workshop's InvalidValueError implements it too.
type FieldErrorer interface {
	error
	FieldErrors() iter.Seq2[string, string]
}

// Described is the behaviour of an error that carries its own problem document, such
// as a request body that could not be decoded (httpx.DecodeError).
type Described interface {
	error
	Problem() Problem
}

// Mapping turns one kind of error into a problem document. Make one with Is, As or
// Field.
type Mapping struct {
	// answer returns the problem for err, or false when err is not this mapping's.
	answer func(err error) (Problem, bool)
	// field is set for a Field mapping: a sentinel naming an invalid field.
	field  *FieldError
	target error
}

// Is maps every error matching target (errors.Is) to p; p.Detail defaults to
// target's message.
func Is(target error, p Problem) Mapping {
	if p.Detail == "" {
		p.Detail = target.Error()
	}
	return Mapping{answer: func(err error) (Problem, bool) { return p, errors.Is(err, target) }}
}

// As maps every error with a T in its tree (errors.As) to the problem f makes of it,
// for errors whose answer depends on their contents.
func As[T error](f func(T) Problem) Mapping {
	return Mapping{answer: func(err error) (Problem, bool) {
		var t T
		if !errors.As(err, &t) {
			return Problem{}, false
		}
		return f(t), true
	}}
}

// Field maps a sentinel that stands for one invalid request field (a bad query
// parameter, say) to that field's error: it is listed with the other field errors of
// a 400.
func Field(target error, field, detail string) Mapping {
	return Mapping{target: target, field: &FieldError{Field: field, Detail: detail}}
}

// Translator answers the errors of one HTTP port as problem documents. It is the one
// place where a port maps errors to statuses. Respond tries, in order:
//
//  1. an error carrying its own problem (Described, e.g. a request body that could not
//     be decoded: 400, 413 or 415);
//  2. field errors: every FieldErrorer and every Field mapping found in the error's
//     tree (errors.Join and %w wrapping are followed) makes one 400 validation problem
//     listing all of their fields, in the order of the tree;
//  3. the port's own mappings, in the order given (the first that matches answers);
//  4. a request whose client went away (context.Canceled while the request's context
//     is done): 499;
//  5. anything else: 500 "internal error", logged with the request id.
//
// A Translator is safe for concurrent use.
type Translator struct {
	name     string
	log      *slog.Logger
	mappings []Mapping
}

// NewTranslator returns the translator of the port of context name (used in the log
// line of a 500); log receives internal errors (slog.Default when nil).
func NewTranslator(name string, log *slog.Logger, mappings ...Mapping) *Translator {
	if log == nil {
		log = slog.Default()
	}
	return &Translator{name: name, log: log, mappings: mappings}
}

// Respond writes the problem document answering err, which must not be nil.
func (t *Translator) Respond(w http.ResponseWriter, r *http.Request, err error) {
	var d Described
	if errors.As(err, &d) {
		Write(w, r, d.Problem())
		return
	}
	if fields, ok := t.fieldErrors(err); ok {
		Validation(w, r, &ValidationError{Fields: fields})
		return
	}
	for _, m := range t.mappings {
		if m.answer == nil {
			continue
		}
		if p, ok := m.answer(err); ok {
			Write(w, r, p)
			return
		}
	}
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		Write(w, r, Problem{Status: StatusClientClosedRequest, Title: "Client Closed Request"})
		return
	}
	t.log.ErrorContext(r.Context(), t.name+" request failed", "err", err,
		"request_id", RequestID(r), "method", r.Method, "path", r.URL.Path)
	Status(w, r, http.StatusInternalServerError, "internal error")
}

// fieldErrors collects the field errors of err's tree; ok reports whether any error
// of the tree names fields (a FieldErrorer may name none: still a 400).
func (t *Translator) fieldErrors(err error) (fields []FieldError, ok bool) {
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if fe, is := err.(FieldErrorer); is {
			ok = true
			for f, d := range fe.FieldErrors() {
				fields = append(fields, FieldError{Field: f, Detail: d})
			}
			return
		}
		for _, m := range t.mappings {
			if m.field != nil && err == m.target {
				ok = true
				fields = append(fields, *m.field)
				return
			}
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return fields, ok
}
