package domain

import "time"

// Clock is the port through which the timekeeper reads the current instant (time.Now
// in production, a fake in tests).
type Clock func() time.Time
