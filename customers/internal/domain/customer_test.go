package domain_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/pitstop/pitstop/customers/internal/domain"
)

func valid() domain.Details {
	return domain.Details{
		Name:            "Lisa Verbeek",
		Address:         "Kerkstraat 1",
		PostalCode:      "1234 AB",
		City:            "Amsterdam",
		TelephoneNumber: "+31 6 12345678",
		EmailAddress:    "lisa@example.com",
	}
}

func fieldsOf(t *testing.T, err error) map[string]string {
	t.Helper()
	var verr *domain.ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("error %v (%T) is not a *domain.ValidationError", err, err)
	}
	if !errors.Is(err, domain.ErrInvalidCustomer) {
		t.Errorf("error %v does not wrap domain.ErrInvalidCustomer", err)
	}
	m := map[string]string{}
	for _, f := range verr.Fields {
		if _, dup := m[f.Field]; dup {
			t.Errorf("field %s reported twice", f.Field)
		}
		m[f.Field] = f.Detail
	}
	return m
}

func TestNewCustomerValid(t *testing.T) {
	t.Parallel()
	id := uuid.New()
	d := domain.Details{
		Name:            "  Lisa Verbeek ",
		Address:         "\tKerkstraat 1",
		PostalCode:      "1234 AB ",
		City:            " Amsterdam",
		TelephoneNumber: " (020) 123-45.67 ",
		EmailAddress:    " lisa@example.com\n",
	}
	c, err := domain.NewCustomer(id, d)
	if err != nil {
		t.Fatal(err)
	}
	want := domain.Details{Name: "Lisa Verbeek", Address: "Kerkstraat 1", PostalCode: "1234 AB", City: "Amsterdam",
		TelephoneNumber: "(020) 123-45.67", EmailAddress: "lisa@example.com"}
	if c.Details() != want {
		t.Errorf("details = %+v, want %+v (trimmed)", c.Details(), want)
	}
	if c.ID() != id || c.Name() != want.Name || c.Address() != want.Address || c.PostalCode() != want.PostalCode ||
		c.City() != want.City || c.TelephoneNumber() != want.TelephoneNumber || c.EmailAddress() != want.EmailAddress {
		t.Errorf("getters disagree with details: %+v", c)
	}
}

func TestNewCustomerInvalid(t *testing.T) {
	t.Parallel()
	with := func(f func(*domain.Details)) domain.Details { d := valid(); f(&d); return d }
	tests := []struct {
		name string
		id   uuid.UUID
		d    domain.Details
		want map[string]string // field -> substring of the detail
	}{
		{"all missing", uuid.New(), domain.Details{}, map[string]string{
			"name": "required", "address": "required", "postalCode": "required", "city": "required",
			"telephoneNumber": "required", "emailAddress": "required"}},
		{"only blanks", uuid.New(), domain.Details{Name: " ", Address: "\t", PostalCode: "\n", City: "  ",
			TelephoneNumber: " ", EmailAddress: " "}, map[string]string{
			"name": "required", "address": "required", "postalCode": "required", "city": "required",
			"telephoneNumber": "required", "emailAddress": "required"}},
		{"nil id", uuid.Nil, valid(), map[string]string{"customerId": "nil UUID"}},
		{"nil id and missing name", uuid.Nil, with(func(d *domain.Details) { d.Name = "" }),
			map[string]string{"customerId": "nil UUID", "name": "required"}},
		{"name too long", uuid.New(), with(func(d *domain.Details) { d.Name = strings.Repeat("a", 201) }),
			map[string]string{"name": "at most 200"}},
		{"address too long", uuid.New(), with(func(d *domain.Details) { d.Address = strings.Repeat("a", 201) }),
			map[string]string{"address": "at most 200"}},
		{"city too long", uuid.New(), with(func(d *domain.Details) { d.City = strings.Repeat("é", 201) }),
			map[string]string{"city": "at most 200"}},
		{"postal code too long", uuid.New(), with(func(d *domain.Details) { d.PostalCode = strings.Repeat("1", 21) }),
			map[string]string{"postalCode": "at most 20"}},
		{"telephone too long", uuid.New(), with(func(d *domain.Details) { d.TelephoneNumber = strings.Repeat("1", 31) }),
			map[string]string{"telephoneNumber": "at most 30"}},
		{"telephone letters", uuid.New(), with(func(d *domain.Details) { d.TelephoneNumber = "call me" }),
			map[string]string{"telephoneNumber": "only digits"}},
		{"telephone without digits", uuid.New(), with(func(d *domain.Details) { d.TelephoneNumber = "+--" }),
			map[string]string{"telephoneNumber": "digits"}},
		{"email too long", uuid.New(), with(func(d *domain.Details) { d.EmailAddress = strings.Repeat("a", 250) + "@example.com" }),
			map[string]string{"emailAddress": "at most 254"}},
		{"email without at", uuid.New(), with(func(d *domain.Details) { d.EmailAddress = "lisa.example.com" }),
			map[string]string{"emailAddress": "valid e-mail"}},
		{"email with display name", uuid.New(), with(func(d *domain.Details) { d.EmailAddress = "Lisa <lisa@example.com>" }),
			map[string]string{"emailAddress": "bare"}},
		{"email in angle brackets", uuid.New(), with(func(d *domain.Details) { d.EmailAddress = "<lisa@example.com>" }),
			map[string]string{"emailAddress": "bare"}},
		{"email with comment", uuid.New(), with(func(d *domain.Details) { d.EmailAddress = "lisa@example.com (home)" }),
			map[string]string{"emailAddress": "bare"}},
		{"two emails", uuid.New(), with(func(d *domain.Details) { d.EmailAddress = "a@example.com, b@example.com" }),
			map[string]string{"emailAddress": "e-mail"}},
		{"email without domain dot", uuid.New(), with(func(d *domain.Details) { d.EmailAddress = "lisa@localhost" }),
			map[string]string{"emailAddress": "domain"}},
		{"NUL in name", uuid.New(), with(func(d *domain.Details) { d.Name = "Li\x00sa" }),
			map[string]string{"name": "control"}},
		{"line break in address (header injection)", uuid.New(), with(func(d *domain.Details) { d.Address = "a\r\nBcc: x@example.com" }),
			map[string]string{"address": "control"}},
		{"line break in email", uuid.New(), with(func(d *domain.Details) { d.EmailAddress = "a@example.com\r\nBcc: x@example.com" }),
			map[string]string{"emailAddress": "control"}},
		{"invalid UTF-8", uuid.New(), with(func(d *domain.Details) { d.City = "Amst\xffrdam" }),
			map[string]string{"city": "UTF-8"}},
		{"several fields", uuid.New(), with(func(d *domain.Details) { d.Name = ""; d.PostalCode = strings.Repeat("9", 30); d.EmailAddress = "x" }),
			map[string]string{"name": "required", "postalCode": "at most 20", "emailAddress": "e-mail"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := domain.NewCustomer(tt.id, tt.d)
			if err == nil {
				t.Fatalf("NewCustomer accepted %+v", tt.d)
			}
			if c != (domain.Customer{}) {
				t.Errorf("returned a non-zero customer with an error")
			}
			got := fieldsOf(t, err)
			if len(got) != len(tt.want) {
				t.Errorf("fields = %v, want exactly %v", got, tt.want)
			}
			for f, sub := range tt.want {
				if !strings.Contains(got[f], sub) {
					t.Errorf("field %s: detail %q, want it to mention %q (all: %v)", f, got[f], sub, got)
				}
			}
		})
	}
}

func TestNewCustomerBoundaries(t *testing.T) {
	t.Parallel()
	d := domain.Details{
		Name:            strings.Repeat("n", 200),
		Address:         strings.Repeat("å", 200), // counted in characters, not bytes
		PostalCode:      strings.Repeat("1", 20),
		City:            strings.Repeat("c", 200),
		TelephoneNumber: strings.Repeat("1", 30),
		EmailAddress:    strings.Repeat("a", 242) + "@example.com", // 254
	}
	if _, err := domain.NewCustomer(uuid.New(), d); err != nil {
		t.Fatalf("maximum lengths rejected: %v", err)
	}
}

func TestValidationErrorOrder(t *testing.T) {
	t.Parallel()
	_, err := domain.NewCustomer(uuid.Nil, domain.Details{})
	var verr *domain.ValidationError
	if !errors.As(err, &verr) {
		t.Fatal(err)
	}
	var got []string
	for _, f := range verr.Fields {
		got = append(got, f.Field)
	}
	want := []string{"customerId", "name", "address", "postalCode", "city", "telephoneNumber", "emailAddress"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("field order = %v, want %v", got, want)
	}
}

func TestUpdate(t *testing.T) {
	t.Parallel()
	id := uuid.New()
	c, err := domain.NewCustomer(id, valid())
	if err != nil {
		t.Fatal(err)
	}

	t.Run("same data after trimming is no change", func(t *testing.T) {
		t.Parallel()
		c := c
		d := valid()
		d.Name = "  " + d.Name + " "
		changed, err := c.Update(d)
		if err != nil || changed {
			t.Fatalf("Update(same) = %v, %v; want false, nil", changed, err)
		}
	})
	t.Run("changed data", func(t *testing.T) {
		t.Parallel()
		c := c
		d := valid()
		d.City = " Utrecht "
		changed, err := c.Update(d)
		if err != nil || !changed {
			t.Fatalf("Update(changed) = %v, %v; want true, nil", changed, err)
		}
		if c.City() != "Utrecht" || c.ID() != id {
			t.Errorf("after update: city %q id %s", c.City(), c.ID())
		}
	})
	t.Run("invalid data leaves the customer unchanged", func(t *testing.T) {
		t.Parallel()
		c := c
		d := valid()
		d.City = "Utrecht"
		d.EmailAddress = "nope"
		d.TelephoneNumber = ""
		changed, err := c.Update(d)
		if changed || err == nil {
			t.Fatalf("Update(invalid) = %v, %v", changed, err)
		}
		got := fieldsOf(t, err)
		if len(got) != 2 || got["emailAddress"] == "" || got["telephoneNumber"] == "" {
			t.Errorf("fields = %v, want emailAddress and telephoneNumber", got)
		}
		if c.Details() != valid() {
			t.Errorf("customer changed by a rejected update: %+v", c.Details())
		}
	})
}

func TestRehydrate(t *testing.T) {
	t.Parallel()
	id := uuid.New()
	c := domain.RehydrateCustomer(id, valid())
	if c.ID() != id || c.Details() != valid() {
		t.Errorf("rehydrated %+v", c)
	}
}

func TestValidationErrorMessage(t *testing.T) {
	t.Parallel()
	v := &domain.ValidationError{Of: domain.ErrInvalidCustomer}
	if v.OrNil() != nil {
		t.Fatal("empty ValidationError is not nil")
	}
	v.Add("name", "is required")
	if err := v.OrNil(); err == nil || err.Error() != "invalid customer: name: is required" {
		t.Errorf("OrNil() = %v", err)
	}
	if v.Merge(errors.New("other")) {
		t.Error("Merge accepted a non-validation error")
	}
}
