package domain

import (
	"fmt"
	"time"
)

// HourlyRate is what the garage charges per hour of actual work: EUR 18.50.
var HourlyRate = Euros(1850)

// secondsPerHour is the divisor of the rate.
const secondsPerHour = 3600

// maxBillableDuration bounds a billable duration so that the exact integer computation
// (seconds × 1850) cannot overflow; no maintenance job lasts a year.
const maxBillableDuration = 366 * 24 * time.Hour

// ChargeFor is the amount for d of actual work at HourlyRate, computed exactly in
// integer arithmetic and rounded once, half up, to the cent:
//
//	cents = ⌊(seconds × 1850 + 1800) / 3600⌋
//
// where seconds is d in whole seconds (a fraction of a second is not billed). For whole
// minutes this is minutes × 1850 / 60 rounded half up: 2 h → 3700, 1 h 30 min → 2775,
// 45 min → 1387.5 → 1388, 1 min → 30.83 → 31. Amounts are rounded per job; an invoice's
// total is the sum of its lines, so it always adds up. A negative duration is
// ErrNegativeDuration; one over a year is ErrAmountOverflow.
func ChargeFor(d time.Duration) (Money, error) {
	if d < 0 {
		return Money{}, fmt.Errorf("charge for %s: %w", d, ErrNegativeDuration)
	}
	if d > maxBillableDuration {
		return Money{}, fmt.Errorf("charge for %s: %w", d, ErrAmountOverflow)
	}
	seconds := int64(d / time.Second)
	rate := HourlyRate.Cents()
	return NewMoney((seconds*rate+secondsPerHour/2)/secondsPerHour, HourlyRate.Currency()), nil
}

// HoursText formats d in hours with two decimals, rounded half up ("2.00", "1.50",
// "0.75", "0.02" for one minute). It is for display: amounts are computed from the
// exact duration by ChargeFor, not from this rounded figure.
func HoursText(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	hundredths := (int64(d/time.Second)*100 + secondsPerHour/2) / secondsPerHour
	return fmt.Sprintf("%d.%02d", hundredths/100, hundredths%100)
}
