package domain_test

import (
	"errors"
	"testing"

	"github.com/pitstop/pitstop/invoicing/internal/domain"
)

func TestInvoiceNumber(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		year int
		seq  int64
		want string
	}{
		{2026, 1, "2026-000001"},
		{2026, 42, "2026-000042"},
		{2024, 999999, "2024-999999"},
		{2024, 1000000, "2024-1000000"},
		{1, 7, "0001-000007"},
	} {
		n, err := domain.NewInvoiceNumber(tc.year, tc.seq)
		if err != nil {
			t.Fatal(err)
		}
		if n.String() != tc.want || n.Year() != tc.year || n.Seq() != tc.seq {
			t.Errorf("NewInvoiceNumber(%d, %d) = %s", tc.year, tc.seq, n)
		}
		back, err := domain.ParseInvoiceNumber(tc.want)
		if err != nil || back != n {
			t.Errorf("ParseInvoiceNumber(%q) = %v, %v", tc.want, back, err)
		}
	}
	for _, bad := range []struct {
		year int
		seq  int64
	}{{2026, 0}, {2026, -1}, {0, 1}, {10000, 1}} {
		if _, err := domain.NewInvoiceNumber(bad.year, bad.seq); !errors.Is(err, domain.ErrInvalidInvoice) {
			t.Errorf("NewInvoiceNumber(%d, %d) error %v", bad.year, bad.seq, err)
		}
	}
	for _, s := range []string{"", "2026", "2026-1", "2026-0000001", "26-000001", "2026-00000a", "2026-000000", "2026_000001"} {
		if _, err := domain.ParseInvoiceNumber(s); !errors.Is(err, domain.ErrInvalidInvoice) {
			t.Errorf("ParseInvoiceNumber(%q) error %v", s, err)
		}
	}
}

func TestDate(t *testing.T) {
	t.Parallel()
	d, err := domain.ParseDate("2026-01-31")
	if err != nil {
		t.Fatal(err)
	}
	if got := d.AddDays(domain.PaymentTermDays).String(); got != "2026-03-02" {
		t.Errorf("2026-01-31 + 30 days = %s", got)
	}
	if got := d.AddDays(-31).String(); got != "2025-12-31" {
		t.Errorf("2026-01-31 - 31 days = %s", got)
	}
	for _, s := range []string{"", "2026-02-30", "2026-1-1", "26-01-01", "2026-01-01T00:00:00Z", " 2026-01-01"} {
		if _, err := domain.ParseDate(s); !errors.Is(err, domain.ErrInvalidDate) {
			t.Errorf("ParseDate(%q) error %v", s, err)
		}
	}
}
