package domain_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/pitstop/pitstop/invoicing/internal/domain"
)

func TestChargeFor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		d     time.Duration
		cents int64
	}{
		{"zero", 0, 0},
		{"one hour", time.Hour, 1850},
		{"two hours", 2 * time.Hour, 3700},
		{"three hours", 3 * time.Hour, 5550},
		{"one and a half hours", 90 * time.Minute, 2775},
		{"45 minutes: 1387.5 rounds half up", 45 * time.Minute, 1388},
		{"15 minutes: 462.5 rounds half up", 15 * time.Minute, 463},
		{"30 minutes", 30 * time.Minute, 925},
		{"1 minute: 30.83 rounds up", time.Minute, 31},
		{"2 minutes: 61.67 rounds up", 2 * time.Minute, 62},
		{"10 minutes: 308.33 rounds down", 10 * time.Minute, 308},
		{"8 hours", 8 * time.Hour, 14800},
		{"1 second: 0.51 rounds up", time.Second, 1},
		{"0.97 second is not billed", 970 * time.Millisecond, 0},
		{"a year", 366 * 24 * time.Hour, 366 * 24 * 1850},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := domain.ChargeFor(tc.d)
			if err != nil {
				t.Fatal(err)
			}
			if m.Cents() != tc.cents || m.Currency() != domain.EUR {
				t.Errorf("ChargeFor(%s) = %s (%d cents), want %d EUR cents", tc.d, m, m.Cents(), tc.cents)
			}
		})
	}
}

// TestChargeForEqualsMinuteFormula checks the documented rule for every whole number
// of minutes in a working day: minutes × 1850 / 60, rounded half up.
func TestChargeForEqualsMinuteFormula(t *testing.T) {
	t.Parallel()
	for minutes := int64(0); minutes <= 24*60; minutes++ {
		m, err := domain.ChargeFor(time.Duration(minutes) * time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		want := int64(math.Floor(float64(minutes)*1850/60 + 0.5))
		if m.Cents() != want {
			t.Fatalf("%d minutes: %d cents, want %d", minutes, m.Cents(), want)
		}
	}
}

func TestChargeForRejects(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		d    time.Duration
		want error
	}{
		{-time.Minute, domain.ErrNegativeDuration},
		{-time.Nanosecond, domain.ErrNegativeDuration},
		{367 * 24 * time.Hour, domain.ErrAmountOverflow},
		{math.MaxInt64, domain.ErrAmountOverflow},
	} {
		if _, err := domain.ChargeFor(tc.d); !errors.Is(err, tc.want) {
			t.Errorf("ChargeFor(%s) error %v, want %v", tc.d, err, tc.want)
		}
	}
}

func TestHoursText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0.00"},
		{2 * time.Hour, "2.00"},
		{90 * time.Minute, "1.50"},
		{45 * time.Minute, "0.75"},
		{time.Minute, "0.02"},
		{20 * time.Minute, "0.33"},
		{40 * time.Minute, "0.67"},
		{-time.Hour, "0.00"},
	} {
		if got := domain.HoursText(tc.d); got != tc.want {
			t.Errorf("HoursText(%s) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestMoney(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cents int64
		want  string
	}{
		{0, "EUR 0.00"}, {5, "EUR 0.05"}, {3700, "EUR 37.00"}, {5550, "EUR 55.50"}, {-5, "EUR -0.05"},
		{-123456, "EUR -1234.56"}, {math.MinInt64, "EUR -92233720368547758.08"},
	} {
		if got := domain.Euros(tc.cents).String(); got != tc.want {
			t.Errorf("Euros(%d) = %q, want %q", tc.cents, got, tc.want)
		}
	}
	sum, err := domain.Euros(3700).Add(domain.Euros(1850))
	if err != nil || sum != domain.Euros(5550) {
		t.Errorf("37.00 + 18.50 = %v, %v", sum, err)
	}
	if _, err := domain.Euros(math.MaxInt64).Add(domain.Euros(1)); !errors.Is(err, domain.ErrAmountOverflow) {
		t.Errorf("overflow: %v", err)
	}
	if _, err := domain.Euros(math.MinInt64).Add(domain.Euros(-1)); !errors.Is(err, domain.ErrAmountOverflow) {
		t.Errorf("negative overflow: %v", err)
	}
	if _, err := domain.Euros(1).Add(domain.NewMoney(1, domain.Currency{})); !errors.Is(err, domain.ErrCurrencyMismatch) {
		t.Errorf("currency mismatch: %v", err)
	}
	if c, err := domain.ParseCurrency("EUR"); err != nil || c != domain.EUR {
		t.Errorf("ParseCurrency(EUR) = %v, %v", c, err)
	}
	if _, err := domain.ParseCurrency("USD"); err == nil {
		t.Error("ParseCurrency(USD) accepted")
	}
}
