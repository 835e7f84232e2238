package application_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/pitstop/pitstop/invoicing/internal/application"
	"github.com/pitstop/pitstop/invoicing/internal/domain"
	"github.com/pitstop/pitstop/shared-go/paging"
)

// countingReader is an InvoiceReader that records the page size it was asked for.
type countingReader struct{ n int }

func (r *countingReader) Invoice(context.Context, uuid.UUID) (application.InvoiceRecord, error) {
	return application.InvoiceRecord{}, domain.ErrInvoiceNotFound
}

func (r *countingReader) Invoices(_ context.Context, _ string, after int64, n int) ([]application.InvoiceRecord, error) {
	r.n = n
	out := make([]application.InvoiceRecord, n)
	for k := range out {
		out[k].Position = after + int64(k) + 1
	}
	return out, nil
}

// FuzzListInvoices checks that any query string parameters either yield a page of at
// most MaxLimit invoices whose next cursor is accepted again, or a validation error
// (400) that reached no storage: never another error, never a panic.
func FuzzListInvoices(f *testing.F) {
	f.Add("", "", "")
	f.Add("c-1", "2", "")
	f.Add("x\x00", "0", "aTE6MA")
	f.Add("' OR 1=1 --", "201", "%%%")
	f.Add("c", "-1", "aTE6MTA")
	f.Fuzz(func(t *testing.T, customerID, limit, cursor string) {
		r := &countingReader{}
		h := application.NewListInvoicesHandler(r)
		page, err := h.Handle(context.Background(), application.ListInvoices{CustomerID: customerID, Limit: limit, Cursor: cursor})
		var verr *domain.ValidationError
		switch {
		case errors.As(err, &verr):
			if !errors.Is(err, domain.ErrInvalidQuery) || len(verr.Fields) == 0 || r.n != 0 {
				t.Fatalf("validation error %v after reading %d", err, r.n)
			}
		case err != nil:
			t.Fatalf("unexpected error %v", err)
		default:
			if len(page.Items) > paging.MaxLimit || page.Next == "" {
				t.Fatalf("page of %d, next %q", len(page.Items), page.Next)
			}
			if _, err := h.Handle(context.Background(), application.ListInvoices{CustomerID: customerID, Limit: limit,
				Cursor: page.Next}); err != nil {
				t.Fatalf("next cursor %q rejected: %v", page.Next, err)
			}
		}
	})
}
