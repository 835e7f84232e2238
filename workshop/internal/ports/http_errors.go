package ports

import (
	"log/slog"
	"net/http"

	"github.com/pitstop/pitstop/shared-go/problem"
	"github.com/pitstop/pitstop/workshop/internal/application"
	"github.com/pitstop/pitstop/workshop/internal/domain"
)

// Problem types of the workshop API.
const (
	problemRuleViolation = "https://pitstop.example/problems/business-rule-violation"
	problemConflict      = "https://pitstop.example/problems/concurrent-update"
	problemChanged       = "https://pitstop.example/problems/planning-changed"
)

// errorResponses maps the workshop's own errors to HTTP answers; problem.Translator
// does the rest (decode errors, the field errors of *domain.InvalidValueError and
// *problem.ValidationError, paging, 499, 500). Both APIs of the workshop use it: the
// one place where domain and application errors become status codes.
func errorResponses(log *slog.Logger) *problem.Translator {
	return problem.NewTranslator("workshop", log,
		problem.As(func(rv *domain.RuleViolation) problem.Problem {
			return problem.Problem{Type: problemRuleViolation, Title: "Business rule violated",
				Status: http.StatusConflict, Detail: rv.Message}
		}),
		problem.Is(domain.ErrJobNotFound, problem.Problem{Status: http.StatusNotFound, Detail: "maintenance job not found"}),
		problem.Is(domain.ErrPlanningNotFound, problem.Problem{Status: http.StatusNotFound, Detail: "no workshop planning for this date"}),
		problem.Is(application.ErrCustomerNotFound, problem.Problem{Status: http.StatusNotFound, Detail: "customer not found"}),
		problem.Is(application.ErrVehicleNotFound, problem.Problem{Status: http.StatusNotFound, Detail: "vehicle not found"}),
		problem.Is(application.ErrPlanningChanged, problem.Problem{Type: problemChanged,
			Title: "The planning changed since it was read", Status: http.StatusPreconditionFailed,
			Detail: "The planning of this day was changed after the version named in If-Match; read it again (GET) and retry with its new ETag."}),
		problem.Is(application.ErrInvalidHistoryFilter, problem.Problem{Status: http.StatusBadRequest,
			Detail: "Give exactly one of the query parameters licenseNumber and customerId."}),
		problem.Is(domain.ErrConcurrencyConflict, problem.Problem{Type: problemConflict, Title: "Concurrent update",
			Status: http.StatusConflict, Detail: "The planning kept being changed concurrently; please retry."}),
	)
}

// addFieldErrors adds the field errors of every error in err's tree that names fields
// (problem.FieldErrorer, such as *domain.InvalidValueError) to verr under the name
// rename gives each field; rename returning "" drops the error.
func addFieldErrors(verr *problem.ValidationError, err error, rename func(string) string) {
	if err == nil {
		return
	}
	if fe, ok := err.(problem.FieldErrorer); ok {
		for f, d := range fe.FieldErrors() {
			if name := rename(f); name != "" {
				verr.Add(name, d)
			}
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
