package domain_test

import (
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/pitstop/pitstop/notifications/internal/domain"
)

func fieldsOf(t *testing.T, err error, sentinel error) []string {
	t.Helper()
	var verr *domain.ValidationError
	if !errors.As(err, &verr) || !errors.Is(err, sentinel) {
		t.Fatalf("error %v, want a *ValidationError wrapping %v", err, sentinel)
	}
	var fs []string
	for _, f := range verr.Fields {
		fs = append(fs, f.Field)
	}
	sort.Strings(fs)
	return fs
}

func TestNewCustomer(t *testing.T) {
	t.Parallel()
	ok := domain.CustomerDetails{CustomerID: "c-1", Name: "Lisa de Vries", EmailAddress: "lisa@example.com"}
	with := func(f func(*domain.CustomerDetails)) domain.CustomerDetails { d := ok; f(&d); return d }
	for _, tc := range []struct {
		name string
		in   domain.CustomerDetails
		want []string // invalid fields; nil means valid
	}{
		{"valid", ok, nil},
		{"no name", with(func(d *domain.CustomerDetails) { d.Name = "" }), nil},
		{"unicode name", with(func(d *domain.CustomerDetails) { d.Name = "Zoë O'Brien" }), nil},
		{"no id", with(func(d *domain.CustomerDetails) { d.CustomerID = " " }), []string{"customerId"}},
		{"id with newline", with(func(d *domain.CustomerDetails) { d.CustomerID = "c\n1" }), []string{"customerId"}},
		{"name with CR", with(func(d *domain.CustomerDetails) { d.Name = "Lisa\r\nBcc: x@y" }), []string{"name"}},
		{"name not UTF-8", with(func(d *domain.CustomerDetails) { d.Name = "\xff" }), []string{"name"}},
		{"no e-mail", with(func(d *domain.CustomerDetails) { d.EmailAddress = "" }), []string{"emailAddress"}},
		{"e-mail without @", with(func(d *domain.CustomerDetails) { d.EmailAddress = "lisa" }), []string{"emailAddress"}},
		{"e-mail with display name", with(func(d *domain.CustomerDetails) { d.EmailAddress = "Lisa <lisa@example.com>" }), []string{"emailAddress"}},
		{"e-mail with header injection", with(func(d *domain.CustomerDetails) { d.EmailAddress = "lisa@example.com\r\nBcc: x@y" }), []string{"emailAddress"}},
		{"e-mail padded", with(func(d *domain.CustomerDetails) { d.EmailAddress = " lisa@example.com" }), []string{"emailAddress"}},
		{"id too long", with(func(d *domain.CustomerDetails) { d.CustomerID = strings.Repeat("c", 201) }), []string{"customerId"}},
		{"id of the longest length", with(func(d *domain.CustomerDetails) { d.CustomerID = strings.Repeat("c", 200) }), nil},
		{"name too long", with(func(d *domain.CustomerDetails) { d.Name = strings.Repeat("n", 1001) }), []string{"name"}},
		{"e-mail too long", with(func(d *domain.CustomerDetails) { d.EmailAddress = strings.Repeat("l", 250) + "@example.com" }), []string{"emailAddress"}},
		{"everything wrong", domain.CustomerDetails{Name: "\x00"}, []string{"customerId", "emailAddress", "name"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := domain.NewCustomer(tc.in)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				if c.ID() != tc.in.CustomerID || c.Name() != tc.in.Name || c.EmailAddress() != tc.in.EmailAddress ||
					c.Details() != tc.in {
					t.Errorf("customer %+v, want %+v", c.Details(), tc.in)
				}
				return
			}
			if got := fieldsOf(t, err, domain.ErrInvalidCustomer); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("invalid fields %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"2024-05-01", true}, {"2024-02-29", true}, {"2023-02-29", false}, {"2024-5-1", false},
		{"", false}, {"2024-05-01T00:00:00Z", false}, {" 2024-05-01", false}, {"01-05-2024", false},
	} {
		d, err := domain.ParseDate(tc.in)
		if tc.ok != (err == nil) {
			t.Errorf("ParseDate(%q) error %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if !tc.ok && !errors.Is(err, domain.ErrInvalidDate) {
			t.Errorf("ParseDate(%q) error %v does not wrap ErrInvalidDate", tc.in, err)
		}
		if tc.ok && d.String() != tc.in {
			t.Errorf("ParseDate(%q) = %s", tc.in, d)
		}
	}
}
