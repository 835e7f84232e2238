package validation_test

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/pitstop/pitstop/shared-go/validation"
)

var errInvalidThing = errors.New("invalid thing")

func TestError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		of        error
		fields    [][2]string
		want      string
		wantIsOf  bool
		wantNil   bool
		wantNames []string
	}{
		{name: "no fields is nil", of: errInvalidThing, wantNil: true},
		{name: "one field", of: errInvalidThing, fields: [][2]string{{"name", "is required"}},
			want: "invalid thing: name: is required", wantIsOf: true, wantNames: []string{"name"}},
		{name: "fields in the order added", of: errInvalidThing,
			fields: [][2]string{{"name", "is required"}, {"city", "too long"}},
			want:   "invalid thing: name: is required; city: too long", wantIsOf: true, wantNames: []string{"name", "city"}},
		{name: "without a sentinel", fields: [][2]string{{"after", "must be a date"}},
			want: "validation failed: after: must be a date", wantNames: []string{"after"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := &validation.Error{Of: tt.of}
			for _, f := range tt.fields {
				v.Add(f[0], f[1])
			}
			err := v.OrNil()
			if tt.wantNil {
				if err != nil {
					t.Fatalf("OrNil() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("OrNil() = nil")
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
			if got := errors.Is(fmt.Errorf("wrapped: %w", err), errInvalidThing); got != tt.wantIsOf {
				t.Errorf("errors.Is(err, sentinel) = %v, want %v", got, tt.wantIsOf)
			}
			var names []string
			for f := range v.FieldErrors() {
				names = append(names, f)
			}
			if !slices.Equal(names, tt.wantNames) {
				t.Errorf("FieldErrors() named %v, want %v", names, tt.wantNames)
			}
		})
	}
}

func TestNilOrNil(t *testing.T) {
	t.Parallel()
	var v *validation.Error
	if v.OrNil() != nil {
		t.Error("nil *Error's OrNil() is not nil")
	}
}

func TestFieldErrorsStopsWhenAsked(t *testing.T) {
	t.Parallel()
	v := &validation.Error{}
	v.Add("a", "1")
	v.Add("b", "2")
	for f := range v.FieldErrors() {
		if f != "a" {
			t.Fatalf("yielded %q after the loop stopped", f)
		}
		break
	}
	if got := maps.Collect(v.FieldErrors()); len(got) != 2 || got["b"] != "2" {
		t.Errorf("FieldErrors() = %v", got)
	}
}

func TestMerge(t *testing.T) {
	t.Parallel()
	v := &validation.Error{Of: errInvalidThing}
	v.Add("id", "must be a UUID")
	other := &validation.Error{Of: errors.New("invalid other")}
	other.Add("name", "is required")
	if !v.Merge(fmt.Errorf("context: %w", other)) {
		t.Fatal("Merge refused a wrapped *Error")
	}
	if v.Merge(errors.New("not a validation error")) {
		t.Error("Merge accepted a plain error")
	}
	if v.Merge(nil) {
		t.Error("Merge accepted nil")
	}
	if got, want := v.Error(), "invalid thing: id: must be a UUID; name: is required"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
