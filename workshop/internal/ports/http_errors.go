package ports

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/pitstop/pitstop/shared-go/httpx"
	"github.com/pitstop/pitstop/shared-go/problem"
	"github.com/pitstop/pitstop/workshop/internal/application"
	"github.com/pitstop/pitstop/workshop/internal/domain"
)

// Problem types of the workshop API.
const (
	problemRuleViolation = "https://pitstop.example/problems/business-rule-violation"
	problemConflict      = "https://pitstop.example/problems/concurrent-update"
)

// writeError translates an application error to its HTTP answer: the one place where
// domain and application errors become status codes.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var (
		rv  *domain.RuleViolation
		de  *httpx.DecodeError
		ve  *problem.ValidationError
		ive *domain.InvalidValueError
	)
	switch {
	case errors.As(err, &de):
		httpx.WriteDecodeError(w, r, err)
	case errors.As(err, &ve):
		problem.Validation(w, r, ve)
	case errors.As(err, &rv):
		problem.Write(w, r, problem.Problem{Type: problemRuleViolation, Title: "Business rule violated",
			Status: http.StatusConflict, Detail: rv.Message})
	case errors.Is(err, domain.ErrJobNotFound):
		problem.Status(w, r, http.StatusNotFound, "maintenance job not found")
	case errors.Is(err, domain.ErrPlanningNotFound):
		problem.Status(w, r, http.StatusNotFound, "no workshop planning for this date")
	case errors.Is(err, application.ErrCustomerNotFound):
		problem.Status(w, r, http.StatusNotFound, "customer not found")
	case errors.Is(err, application.ErrVehicleNotFound):
		problem.Status(w, r, http.StatusNotFound, "vehicle not found")
	case errors.Is(err, domain.ErrConcurrencyConflict):
		problem.Write(w, r, problem.Problem{Type: problemConflict, Title: "Concurrent update",
			Status: http.StatusConflict, Detail: "The planning kept being changed concurrently; please retry."})
	case errors.As(err, &ive):
		verr := &problem.ValidationError{}
		addFieldErrors(verr, err, func(f string) string { return f })
		problem.Validation(w, r, verr)
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The client went away; nobody reads the answer.
		w.WriteHeader(499)
	default:
		log.ErrorContext(r.Context(), "request failed", "err", err, "request_id", middleware.GetReqID(r.Context()),
			"path", r.URL.Path)
		problem.Status(w, r, http.StatusInternalServerError, "internal error")
	}
}

// addFieldErrors adds every *domain.InvalidValueError in err's tree to verr under the
// name rename gives its field; rename returning "" drops the error.
func addFieldErrors(verr *problem.ValidationError, err error, rename func(string) string) {
	if err == nil {
		return
	}
	if ive, ok := err.(*domain.InvalidValueError); ok {
		if f := rename(ive.Field); f != "" {
			verr.Add(f, ive.Detail)
		}
		return
	}
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			addFieldErrors(verr, e, rename)
		}
	case interface{ Unwrap() error }:
		addFieldErrors(verr, u.Unwrap(), rename)
	}
}

// prefixed renames a value object's field to its place in a request ("customer.name").
func prefixed(prefix string) func(string) string {
	return func(f string) string { return prefix + f }
}
