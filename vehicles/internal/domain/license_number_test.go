package domain_test

import (
	"errors"
	"testing"

	"github.com/pitstop/pitstop/vehicles/internal/domain"
)

func TestNewLicenseNumberValid(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"AB-123-C", "AB-123-C"},
		{"ab-123-c", "AB-123-C"},
		{"aB-123-c", "AB-123-C"},
		{"1-2-3", "1-2-3"},
		{"abc-12-x", "ABC-12-X"},
		{"A-B-C", "A-B-C"},
		{"123-456-789", "123-456-789"},
		{"XYZ-XYZ-XYZ", "XYZ-XYZ-XYZ"},
		{"12-ABC-3", "12-ABC-3"},
		{"1-a-1", "1-A-1"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			l, err := domain.NewLicenseNumber(tt.in)
			if err != nil {
				t.Fatalf("NewLicenseNumber(%q): %v", tt.in, err)
			}
			if l.String() != tt.want {
				t.Errorf("NewLicenseNumber(%q) = %q, want %q", tt.in, l, tt.want)
			}
			if l.IsZero() {
				t.Error("valid licence number is zero")
			}
			// Normalisation is idempotent and spellings of one number are equal.
			again, err := domain.NewLicenseNumber(l.String())
			if err != nil || again != l {
				t.Errorf("re-parsing %q gave %q, %v", l, again, err)
			}
		})
	}
}

func TestNewLicenseNumberInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in string }{
		{"empty", ""},
		{"blank", "   "},
		{"four letters in a group", "ABCD-1-2"},
		{"four digits in a group", "AB-1234-C"},
		{"underscores", "AB_12_C"},
		{"spaces as separators", "AB 12 C"},
		{"no separators", "AB123C"},
		{"two groups", "AB-123"},
		{"four groups", "AB-1-C-2"},
		{"letters and digits mixed in a group", "A1-23-BC"},
		{"empty group", "AB--C"},
		{"leading dash", "-AB-1-C"},
		{"trailing dash", "AB-1-C-"},
		{"leading space", " AB-123-C"},
		{"trailing newline", "AB-123-C\n"},
		{"NUL", "AB-123-C\x00"},
		{"accented letter", "ÄB-123-C"},
		{"Kelvin sign folds to k", "AB-123-\u212a"},
		{"long s folds to s", "\u017fS-1-2"},
		{"Arabic-Indic digits", "AB-\u0661\u0662-C"},
		{"fullwidth letters", "ＡＢ-1-C"},
		{"en dash", "AB–123–C"},
		{"SQL injection", "'; DROP TABLE vehicles; --"},
		{"path traversal", "../../etc"},
		{"too long", "AB-123-C-AB-123-C"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, err := domain.NewLicenseNumber(tt.in)
			if err == nil {
				t.Fatalf("NewLicenseNumber(%q) accepted it as %q", tt.in, l)
			}
			if !errors.Is(err, domain.ErrInvalidLicenseNumber) {
				t.Errorf("error %v does not wrap ErrInvalidLicenseNumber", err)
			}
			if !l.IsZero() {
				t.Errorf("returned %q with an error", l)
			}
		})
	}
}

// FuzzNewLicenseNumber checks that whatever NewLicenseNumber accepts is a plain ASCII
// upper-cased licence number that parses to itself, and that it never panics.
func FuzzNewLicenseNumber(f *testing.F) {
	for _, s := range []string{"AB-123-C", "ab-1-c", "1-2-3", "ABCD-1-2", "AB_12_C", "", "AB-123-\u212a", "ſS-1-2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := domain.NewLicenseNumber(s)
		if err != nil {
			if !errors.Is(err, domain.ErrInvalidLicenseNumber) {
				t.Fatalf("%q: error %v does not wrap ErrInvalidLicenseNumber", s, err)
			}
			return
		}
		out := l.String()
		if len(out) > domain.MaxLicenseNumberLength || len(out) != len(s) {
			t.Fatalf("%q became %q", s, out)
		}
		groups, letters := 1, 0
		for i := 0; i < len(out); i++ {
			c := out[i]
			switch {
			case c == '-':
				groups++
			case 'A' <= c && c <= 'Z':
				letters++
			case '0' <= c && c <= '9':
			default:
				t.Fatalf("%q became %q with byte %q", s, out, c)
			}
		}
		if groups != 3 {
			t.Fatalf("%q became %q with %d groups", s, out, groups)
		}
		again, err := domain.NewLicenseNumber(out)
		if err != nil || again != l {
			t.Fatalf("%q: normalised %q does not parse to itself: %v", s, out, err)
		}
	})
}
