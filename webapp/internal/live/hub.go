// Package live tells the browsers showing a workshop day that its planning changed.
// A Feed reads the workshop's events from JetStream and publishes a Change per event
// to a Hub; each server-sent-events stream subscribes to the Hub for one date.
package live

import (
	"sync"
)

// Change says that the planning of Date changed (Type is the event type, for example
// "MaintenanceJobPlanned"). An empty Date means "some planning changed".
type Change struct {
	Date string `json:"date"`
	Type string `json:"type"`
}

// Subscription receives the changes of one date.
type Subscription struct {
	// C delivers the changes. Changes are coalesced when the reader falls behind: a
	// reader is told at least once after any change, not once per change. C is
	// closed when the hub closes.
	C    <-chan Change
	c    chan Change
	date string
}

// Hub fans changes out to subscriptions. It is safe for concurrent use.
type Hub struct {
	mu     sync.Mutex
	subs   map[*Subscription]struct{}
	closed bool
}

// NewHub returns an open hub.
func NewHub() *Hub { return &Hub{subs: map[*Subscription]struct{}{}} }

// Subscribe registers interest in date's changes; call Unsubscribe when done. On a
// closed hub the subscription's channel is closed at once.
func (h *Hub) Subscribe(date string) *Subscription {
	c := make(chan Change, 1)
	s := &Subscription{C: c, c: c, date: date}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(c)
		return s
	}
	h.subs[s] = struct{}{}
	return s
}

// Unsubscribe removes s (idempotent).
func (h *Hub) Unsubscribe(s *Subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[s]; ok {
		delete(h.subs, s)
		close(s.c)
	}
}

// Publish delivers c to the subscriptions of c.Date (of every date when c.Date is
// empty) without blocking.
func (h *Hub) Publish(c Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if c.Date != "" && s.date != c.Date {
			continue
		}
		select {
		case s.c <- c:
		default: // one is pending already; the reader reloads once for both
		}
	}
}

// Subscribers is the number of open subscriptions.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// Close closes every subscription, ending their streams (on shutdown).
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for s := range h.subs {
		delete(h.subs, s)
		close(s.c)
	}
}
