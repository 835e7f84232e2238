package web

import (
	"math"
	"testing"

	"github.com/pitstop/pitstop/webapp/internal/apiclient"
)

func TestFormatMoney(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   apiclient.Money
		want string
	}{
		{apiclient.Money{Currency: "EUR", Cents: 3700}, "€ 37.00"},
		{apiclient.Money{Currency: "EUR", Cents: 5550}, "€ 55.50"},
		{apiclient.Money{Currency: "EUR", Cents: 2313}, "€ 23.13"},
		{apiclient.Money{Currency: "EUR", Cents: 0}, "€ 0.00"},
		{apiclient.Money{Currency: "EUR", Cents: 5}, "€ 0.05"},
		{apiclient.Money{Currency: "EUR", Cents: 123450}, "€ 1,234.50"},
		{apiclient.Money{Currency: "EUR", Cents: 100000000}, "€ 1,000,000.00"},
		{apiclient.Money{Currency: "EUR", Cents: -500}, "€ -5.00"},
		{apiclient.Money{Currency: "USD", Cents: 310}, "USD 3.10"},
		{apiclient.Money{Cents: 310}, "3.10"},
		{apiclient.Money{Currency: "EUR", Cents: math.MinInt64}, "€ -92,233,720,368,547,758.08"},
		{apiclient.Money{Currency: "EUR", Cents: math.MaxInt64}, "€ 92,233,720,368,547,758.07"},
	}
	for _, c := range cases {
		if got := formatMoney(c.in); got != c.want {
			t.Errorf("formatMoney(%+v) = %q, want %q", c.in, got, c.want)
		}
	}
}
