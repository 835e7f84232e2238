package adapters

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"

	"github.com/pitstop/pitstop/invoicing/internal/application"
	"github.com/pitstop/pitstop/invoicing/internal/domain"
)

//go:embed templates/invoice.html.tmpl
var templates embed.FS

// invoiceTemplate is parsed once; html/template escapes every value by its context, so
// customer data (a name holding "<script>") is printed as text, never as markup.
var invoiceTemplate = template.Must(template.ParseFS(templates, "templates/invoice.html.tmpl"))

// PaymentDetails are where and to whom invoices are paid; the invoice number is the
// payment reference.
type PaymentDetails struct {
	// Issuer is the garage's name at the top of the invoice.
	Issuer string
	// AccountHolder is the name on the bank account.
	AccountHolder string
	// IBAN is the account to pay to.
	IBAN string
	// BIC is the bank's code (optional).
	BIC string
}

// DefaultPaymentDetails are the garage's (example) bank details.
var DefaultPaymentDetails = PaymentDetails{
	Issuer:        "Pitstop Garage",
	AccountHolder: "Pitstop Garage B.V.",
	IBAN:          "NL91 ABNA 0417 1643 00",
	BIC:           "ABNANL2A",
}

// InvoiceHTMLRenderer renders an invoice as the HTML document mailed to the print
// company: the customer's name and address, a line per job (date, licence number,
// description, hours, amount), the total, the due date and the payment details. It is
// safe for concurrent use.
type InvoiceHTMLRenderer struct {
	payment PaymentDetails
}

var _ application.InvoiceRenderer = InvoiceHTMLRenderer{}

// NewInvoiceHTMLRenderer returns a renderer printing payment on every invoice.
func NewInvoiceHTMLRenderer(payment PaymentDetails) InvoiceHTMLRenderer {
	return InvoiceHTMLRenderer{payment: payment}
}

type invoiceView struct {
	PaymentDetails
	Number, Date, DueDate, CustomerID string
	Name, Address, PostalCode, City   string
	Lines                             []lineView
	Total, Rate                       string
}

type lineView struct {
	Date, LicenseNumber, Description, Hours, Amount string
}

// euro formats an amount for people: "€ 37.00".
func euro(m domain.Money) string {
	if m.Currency() == domain.EUR {
		return "€ " + m.Decimal()
	}
	return m.String()
}

// RenderInvoice returns the invoice as an HTML document.
func (r InvoiceHTMLRenderer) RenderInvoice(inv domain.Invoice) (string, error) {
	c := inv.Customer()
	v := invoiceView{PaymentDetails: r.payment, Number: inv.Number().String(), Date: inv.Date().String(),
		DueDate: inv.DueDate().String(), CustomerID: c.ID(), Name: c.Name(), Address: c.Address(),
		PostalCode: c.PostalCode(), City: c.City(), Total: euro(inv.Total()), Rate: euro(domain.HourlyRate)}
	for _, l := range inv.Lines() {
		v.Lines = append(v.Lines, lineView{Date: l.Date().String(), LicenseNumber: l.LicenseNumber(),
			Description: l.Description(), Hours: l.Hours(), Amount: euro(l.Amount())})
	}
	var buf bytes.Buffer
	if err := invoiceTemplate.Execute(&buf, v); err != nil {
		return "", fmt.Errorf("render invoice %s: %w", inv.Number(), err)
	}
	return buf.String(), nil
}
