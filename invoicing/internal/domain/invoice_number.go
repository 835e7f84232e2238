package domain

import (
	"fmt"
	"strconv"
	"strings"
)

// InvoiceNumber is an invoice's human-facing number: the year of the invoice date and
// the invoice's sequence number within that year, formatted "YYYY-NNNNNN" (six digits,
// zero-padded, more when a year ever needs them), e.g. "2026-000001". Numbers are
// handed out gap-free and in creation order by a per-year counter that is incremented
// in the transaction that stores the invoice, so they are unique and sequential.
type InvoiceNumber struct {
	year int
	seq  int64
}

// NewInvoiceNumber returns the seq-th number of year; year must be 1..9999 and seq positive.
func NewInvoiceNumber(year int, seq int64) (InvoiceNumber, error) {
	if year < 1 || year > 9999 || seq < 1 {
		return InvoiceNumber{}, fmt.Errorf("%w: invoice number %d/%d out of range", ErrInvalidInvoice, year, seq)
	}
	return InvoiceNumber{year: year, seq: seq}, nil
}

// ParseInvoiceNumber parses the String form of a number.
func ParseInvoiceNumber(s string) (InvoiceNumber, error) {
	y, n, ok := strings.Cut(s, "-")
	if !ok || len(y) != 4 || len(n) < 6 {
		return InvoiceNumber{}, fmt.Errorf("%w: invoice number %q", ErrInvalidInvoice, s)
	}
	year, err1 := strconv.Atoi(y)
	seq, err2 := strconv.ParseInt(n, 10, 64)
	if err1 != nil || err2 != nil {
		return InvoiceNumber{}, fmt.Errorf("%w: invoice number %q", ErrInvalidInvoice, s)
	}
	num, err := NewInvoiceNumber(year, seq)
	if err != nil || num.String() != s {
		return InvoiceNumber{}, fmt.Errorf("%w: invoice number %q", ErrInvalidInvoice, s)
	}
	return num, nil
}

// Year is the year the number belongs to.
func (n InvoiceNumber) Year() int { return n.year }

// Seq is the number's position within its year, from 1.
func (n InvoiceNumber) Seq() int64 { return n.seq }

// IsZero reports whether n is the zero InvoiceNumber.
func (n InvoiceNumber) IsZero() bool { return n.seq == 0 }

// String formats the number as "YYYY-NNNNNN".
func (n InvoiceNumber) String() string { return fmt.Sprintf("%04d-%06d", n.year, n.seq) }
