package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/pitstop/pitstop/webapp/internal/apiclient"
)

// Form is a submitted (or prefilled) form: its values, the errors to show next to its
// fields, and the errors that belong to no field.
type Form struct {
	Values  url.Values
	Errors  map[string]string
	General []string
}

func newForm(v url.Values) *Form {
	if v == nil {
		v = url.Values{}
	}
	return &Form{Values: v, Errors: map[string]string{}}
}

// Get is the value of field name.
func (f *Form) Get(name string) string { return f.Values.Get(name) }

// Set sets field name's value.
func (f *Form) Set(name, value string) { f.Values.Set(name, value) }

// Err is the error to show next to field name ("" if none).
func (f *Form) Err(name string) string { return f.Errors[name] }

// Fail records an error for field name (several are joined).
func (f *Form) Fail(name, detail string) {
	if prev := f.Errors[name]; prev != "" {
		if strings.Contains(prev, detail) {
			return
		}
		detail = prev + "; " + detail
	}
	f.Errors[name] = detail
}

// FailGeneral records an error that belongs to no field.
func (f *Form) FailGeneral(msg string) { f.General = append(f.General, msg) }

// OK reports whether the form has no error.
func (f *Form) OK() bool { return len(f.Errors) == 0 && len(f.General) == 0 }

// trimmed is the trimmed value of field name.
func (f *Form) trimmed(name string) string { return strings.TrimSpace(f.Get(name)) }

// fieldView is what the "field" template renders.
type fieldView struct {
	Name, Label, Type, Value, Error, Min string
	Required                             bool
}

// field is the template function building a fieldView: field form name label type
// [required] [min].
func field(f *Form, name, label, typ string, opts ...string) fieldView {
	v := fieldView{Name: name, Label: label, Type: typ, Value: f.Get(name), Error: f.Err(name)}
	for _, o := range opts {
		switch {
		case o == "required":
			v.Required = true
		case strings.HasPrefix(o, "min="):
			v.Min = strings.TrimPrefix(o, "min=")
		}
	}
	return v
}

// applyProblem shows an API's rejection on the form: a 400's field errors next to the
// form's fields (fields maps an API field to a form field; unmapped ones are shown
// above the form with their API name), any other 4xx's detail above the form. It
// returns the status to answer with and false when err is not a rejection (the
// service is down, or failed).
func applyProblem(f *Form, err error, fields map[string]string) (int, bool) {
	var p *apiclient.Problem
	if errors.Is(err, apiclient.ErrUnavailable) || !errors.As(err, &p) || p.Status >= 500 {
		return 0, false
	}
	switch {
	case p.Status == http.StatusBadRequest && len(p.Errors) > 0:
		for _, fe := range p.Errors {
			if name, ok := fields[fe.Field]; ok && name != "" {
				f.Fail(name, fe.Detail)
			} else {
				f.FailGeneral(fe.Field + " " + fe.Detail)
			}
		}
	case p.Detail != "":
		f.FailGeneral(p.Detail)
	default:
		f.FailGeneral(p.Title)
	}
	return p.Status, true
}

// identity maps each API field to the form field of the same name.
func identity(names ...string) map[string]string {
	m := make(map[string]string, len(names))
	for _, n := range names {
		m[n] = n
	}
	return m
}
