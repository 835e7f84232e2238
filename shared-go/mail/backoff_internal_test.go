package mail

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		attempts int
		want     time.Duration
	}{
		{0, 200 * time.Millisecond},
		{1, 400 * time.Millisecond},
		{3, 1600 * time.Millisecond},
		{8, 51200 * time.Millisecond},
		{9, time.Minute},
		{1000, time.Minute}, // no overflow
	} {
		if got := backoff(200*time.Millisecond, time.Minute, tc.attempts); got != tc.want {
			t.Errorf("backoff after %d attempts = %v, want %v", tc.attempts, got, tc.want)
		}
	}
	if got := backoff(time.Duration(1<<62), time.Duration(1<<62)+1, 5); got != time.Duration(1<<62)+1 {
		t.Errorf("huge base: %v", got)
	}
}

func TestDispatcherConfigDefaults(t *testing.T) {
	t.Parallel()
	var c DispatcherConfig
	c.defaults()
	if c.PollInterval != time.Second || c.MinBackoff != 200*time.Millisecond || c.MaxBackoff != time.Minute || c.Lease != 2*time.Minute {
		t.Errorf("defaults = %+v", c)
	}
	c = DispatcherConfig{MinBackoff: time.Hour, MaxBackoff: time.Second}
	c.defaults()
	if c.MaxBackoff != time.Hour {
		t.Errorf("MaxBackoff below MinBackoff not raised: %+v", c)
	}
}
