package live_test

import (
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/pitstop/pitstop/webapp/internal/live"
)

func TestHubDeliversToTheSubscribersOfTheDate(t *testing.T) {
	t.Parallel()
	h := live.NewHub()
	a, b := h.Subscribe("2030-05-06"), h.Subscribe("2030-05-07")
	h.Publish(live.Change{Date: "2030-05-06", Type: "MaintenanceJobPlanned"})
	if got := <-a.C; got.Type != "MaintenanceJobPlanned" {
		t.Fatalf("a got %+v", got)
	}
	select {
	case c := <-b.C:
		t.Fatalf("b got another day's change %+v", c)
	default:
	}
	// A change without a date concerns everybody.
	h.Publish(live.Change{Type: "X"})
	if (<-a.C).Type != "X" || (<-b.C).Type != "X" {
		t.Fatal("undated change not broadcast")
	}
}

func TestHubCoalescesForSlowReaders(t *testing.T) {
	t.Parallel()
	h := live.NewHub()
	s := h.Subscribe("d")
	for range 100 { // never blocks
		h.Publish(live.Change{Date: "d", Type: "T"})
	}
	<-s.C
	select {
	case <-s.C:
		t.Fatal("changes not coalesced")
	default:
	}
	h.Publish(live.Change{Date: "d"})
	<-s.C // told again after reading
}

func TestHubUnsubscribeAndClose(t *testing.T) {
	t.Parallel()
	h := live.NewHub()
	a, b := h.Subscribe("d"), h.Subscribe("d")
	h.Unsubscribe(a)
	h.Unsubscribe(a) // idempotent
	if _, ok := <-a.C; ok {
		t.Fatal("unsubscribed channel open")
	}
	if h.Subscribers() != 1 {
		t.Fatalf("%d subscribers", h.Subscribers())
	}
	h.Close()
	if _, ok := <-b.C; ok {
		t.Fatal("closing the hub left a stream open")
	}
	h.Unsubscribe(b)
	if _, ok := <-h.Subscribe("d").C; ok {
		t.Fatal("subscription on a closed hub is open")
	}
	h.Publish(live.Change{Date: "d"}) // no panic on a closed hub
}

func TestChangeOfAnEvent(t *testing.T) {
	t.Parallel()
	hd := nats.Header{}
	hd.Set("ce-subject", "2030-05-06")
	if c := live.ChangeOf("pitstop.workshop.MaintenanceJobFinished", hd); c != (live.Change{Date: "2030-05-06", Type: "MaintenanceJobFinished"}) {
		t.Fatalf("%+v", c)
	}
	hd.Set("ce-subject", "not-a-date")
	if c := live.ChangeOf("pitstop.workshop.X", hd); c.Date != "" {
		t.Fatalf("undated subject gave date %q", c.Date)
	}
}
