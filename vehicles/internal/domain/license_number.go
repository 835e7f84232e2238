package domain

import (
	"fmt"
	"regexp"
)

// licenseNumberPattern is the specified pattern
// ^((\d{1,3}|[a-z]{1,3})-){2}(\d{1,3}|[a-z]{1,3})$ (case-insensitive), applied to
// the ASCII-upper-cased input. It is deliberately not compiled with (?i): Go's case
// folding would let (?i)[a-z] match U+212A KELVIN SIGN and U+017F LATIN SMALL LETTER
// LONG S, which are no licence-plate letters and do not upper-case to ASCII.
var licenseNumberPattern = regexp.MustCompile(`^((\d{1,3}|[A-Z]{1,3})-){2}(\d{1,3}|[A-Z]{1,3})$`)

// MaxLicenseNumberLength is the longest possible licence number (three groups of three
// characters and two dashes), in bytes.
const MaxLicenseNumberLength = 11

// LicenseNumberFormat describes a valid licence number to users.
const LicenseNumberFormat = "must be three groups of 1-3 digits or 1-3 letters separated by dashes, like AB-123-C"

// LicenseNumber is a vehicle's Dutch-style licence number such as AB-123-C: three
// groups of one to three ASCII digits or one to three ASCII letters, separated by
// dashes. It is matched case-insensitively and held upper-cased, so two spellings of
// one number are equal (==). The zero value is not a valid licence number.
type LicenseNumber struct {
	s string
}

// NewLicenseNumber validates s and returns it upper-cased. s is not trimmed: a licence
// number with surrounding white space is invalid. The error wraps
// ErrInvalidLicenseNumber.
func NewLicenseNumber(s string) (LicenseNumber, error) {
	if len(s) > MaxLicenseNumberLength {
		return LicenseNumber{}, fmt.Errorf("%w: longer than %d characters", ErrInvalidLicenseNumber, MaxLicenseNumberLength)
	}
	up := asciiUpper(s)
	if !licenseNumberPattern.MatchString(up) {
		return LicenseNumber{}, fmt.Errorf("%w: %q %s", ErrInvalidLicenseNumber, s, LicenseNumberFormat)
	}
	return LicenseNumber{s: up}, nil
}

// RehydrateLicenseNumber rebuilds a licence number read from storage, where only
// validated, upper-cased numbers are written.
func RehydrateLicenseNumber(s string) LicenseNumber { return LicenseNumber{s: s} }

// String returns the upper-cased licence number.
func (l LicenseNumber) String() string { return l.s }

// IsZero reports whether l is the zero value (no licence number).
func (l LicenseNumber) IsZero() bool { return l.s == "" }

// asciiUpper upper-cases ASCII letters only, leaving every other byte alone.
func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
	}
	return string(b)
}

// NormalizeLicenseNumberText upper-cases the ASCII letters of s as NewLicenseNumber
// does, without validating it: text searched for in licence numbers (a part of one)
// is written the way they are stored.
func NormalizeLicenseNumberText(s string) string { return asciiUpper(s) }
