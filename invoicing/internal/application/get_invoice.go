package application

import (
	"context"
	"fmt"

	"github.com/google/uuid"
)

// GetInvoiceHandler answers the query for one invoice by id.
type GetInvoiceHandler struct {
	reader InvoiceReader
}

// NewGetInvoiceHandler returns a handler reading through reader.
func NewGetInvoiceHandler(reader InvoiceReader) GetInvoiceHandler {
	return GetInvoiceHandler{reader: reader}
}

// Handle returns the invoice with id or an error wrapping domain.ErrInvoiceNotFound.
func (h GetInvoiceHandler) Handle(ctx context.Context, id uuid.UUID) (InvoiceRecord, error) {
	r, err := h.reader.Invoice(ctx, id)
	if err != nil {
		return InvoiceRecord{}, fmt.Errorf("get invoice %s: %w", id, err)
	}
	return r, nil
}
