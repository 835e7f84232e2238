package domain

import (
	"fmt"
	"math"
)

// Currency is an ISO 4217 currency. The zero value is no currency; Pitstop invoices
// in EUR only.
type Currency struct {
	code string
}

// EUR is the euro, the only currency Pitstop invoices in.
var EUR = Currency{code: "EUR"}

// ParseCurrency returns the currency with the ISO 4217 code (only "EUR" is known).
func ParseCurrency(code string) (Currency, error) {
	if code == EUR.code {
		return EUR, nil
	}
	return Currency{}, fmt.Errorf("unknown currency %q", code)
}

// Code is the ISO 4217 code, e.g. "EUR".
func (c Currency) Code() string { return c.code }

// String returns the code.
func (c Currency) String() string { return c.code }

// Money is an amount in integer minor units (cents) of one currency: amounts are
// never floating point, so they add up exactly.
type Money struct {
	cents    int64
	currency Currency
}

// NewMoney returns cents minor units of currency.
func NewMoney(cents int64, currency Currency) Money { return Money{cents: cents, currency: currency} }

// Euros returns an amount in EUR cents.
func Euros(cents int64) Money { return Money{cents: cents, currency: EUR} }

// Cents is the amount in minor units.
func (m Money) Cents() int64 { return m.cents }

// Currency is the amount's currency.
func (m Money) Currency() Currency { return m.currency }

// Add returns m + o. Adding amounts of different currencies fails with
// ErrCurrencyMismatch, an overflow with ErrAmountOverflow.
func (m Money) Add(o Money) (Money, error) {
	if m.currency != o.currency {
		return Money{}, fmt.Errorf("add %s to %s: %w", o.currency, m.currency, ErrCurrencyMismatch)
	}
	if (o.cents > 0 && m.cents > math.MaxInt64-o.cents) || (o.cents < 0 && m.cents < math.MinInt64-o.cents) {
		return Money{}, ErrAmountOverflow
	}
	return Money{cents: m.cents + o.cents, currency: m.currency}, nil
}

// Decimal formats the amount with two decimals and no currency, e.g. "37.00" or
// "-0.05".
func (m Money) Decimal() string {
	c := m.cents
	sign := ""
	if c < 0 {
		sign = "-"
	}
	u := uint64(c)
	if c < 0 {
		u = uint64(-(c + 1)) + 1 // no overflow for math.MinInt64
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}

// String formats the amount as "EUR 37.00".
func (m Money) String() string { return m.currency.code + " " + m.Decimal() }
