package application

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// RecordCustomer keeps the read model's copy of a customer up to date from a
// CustomerRegistered or CustomerUpdated event.
type RecordCustomer struct {
	Customer Customer
	Version  SourceVersion
}

// RecordCustomerHandler handles RecordCustomer. It is order-tolerant and idempotent: an
// event older than the stored row changes nothing, the same event twice changes nothing.
type RecordCustomerHandler struct{}

// Handle writes through w (bound to the consumer's transaction). An unusable event
// returns an error wrapping ErrInvalidReferenceEvent.
func (RecordCustomerHandler) Handle(ctx context.Context, w RefDataWriter, cmd RecordCustomer) error {
	c := cmd.Customer
	if strings.TrimSpace(c.CustomerID) == "" {
		return fmt.Errorf("%w: customerId is empty", ErrInvalidReferenceEvent)
	}
	for _, s := range []string{c.CustomerID, c.Name, c.Address, c.PostalCode, c.City, c.TelephoneNumber, c.EmailAddress} {
		if err := storableText(s); err != nil {
			return err
		}
	}
	if err := w.UpsertCustomer(ctx, c, cmd.Version); err != nil {
		return fmt.Errorf("record customer %s: %w", c.CustomerID, err)
	}
	return nil
}

// storableText rejects text Postgres cannot store (NUL, invalid UTF-8) and other
// control characters, which no producer should send.
func storableText(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: text is not valid UTF-8", ErrInvalidReferenceEvent)
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r == 0 || (unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t') }) {
		return fmt.Errorf("%w: text holds control characters", ErrInvalidReferenceEvent)
	}
	return nil
}
