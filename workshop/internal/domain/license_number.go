package domain

import (
	"regexp"
	"strings"
)

var licenseNumberPattern = regexp.MustCompile(`^((\d{1,3}|[A-Za-z]{1,3})-){2}(\d{1,3}|[A-Za-z]{1,3})$`)

// LicenseNumber is a Dutch-style licence number such as AB-123-C: three groups of one
// to three digits or one to three letters, separated by dashes. It is stored upper-cased.
type LicenseNumber struct {
	s string
}

// NewLicenseNumber validates s case-insensitively and returns it upper-cased; an invalid
// number is an *InvalidValueError for field "licenseNumber".
func NewLicenseNumber(s string) (LicenseNumber, error) {
	if !licenseNumberPattern.MatchString(s) {
		return LicenseNumber{}, invalid("licenseNumber", "must be three groups of 1-3 digits or 1-3 letters separated by dashes, like AB-123-C")
	}
	return LicenseNumber{s: strings.ToUpper(s)}, nil
}

// String returns the upper-cased licence number.
func (l LicenseNumber) String() string { return l.s }
