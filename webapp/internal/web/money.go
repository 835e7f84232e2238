package web

import (
	"strconv"
	"strings"

	"github.com/pitstop/pitstop/webapp/internal/apiclient"
)

// currencySymbols are the currencies shown with a symbol; others show their code.
var currencySymbols = map[string]string{"EUR": "€"}

// formatMoney shows an amount as the garage writes it: "€ 37.00", "€ 1,234.50",
// "€ -5.00"; a currency without a symbol shows its code ("USD 3.10").
func formatMoney(m apiclient.Money) string {
	sign, cents := "", uint64(m.Cents)
	if m.Cents < 0 {
		sign, cents = "-", uint64(-(m.Cents+1))+1 // also right for math.MinInt64
	}
	units := strconv.FormatUint(cents/100, 10)
	var b strings.Builder
	for i, c := range units {
		if i > 0 && (len(units)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	amount := sign + b.String() + "." + strconv.FormatUint(cents%100/10, 10) + strconv.FormatUint(cents%10, 10)
	prefix := m.Currency
	if s, ok := currencySymbols[m.Currency]; ok {
		prefix = s
	}
	if prefix == "" {
		return amount
	}
	return prefix + " " + amount
}
