package events_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/pitstop/pitstop/shared-go/events"
)

type greeted struct {
	Name string `json:"name"`
}

func (greeted) EventType() string      { return "pitstop.test.Greeted" }
func (g greeted) EventSubject() string { return g.Name }

func TestEnvelopeRoundTripsThroughNATSHeaders(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 22, 8, 30, 0, 123456789, time.FixedZone("CET", 3600))
	ev, err := events.New("pitstop/test", greeted{Name: "ann"}, now)
	if err != nil {
		t.Fatal(err)
	}
	m := ev.Msg()
	if m.Subject != "pitstop.test.Greeted" || m.Header.Get(events.HeaderMsgID) != ev.ID.String() {
		t.Fatalf("msg subject %s headers %v", m.Subject, m.Header)
	}
	got, err := events.FromMsg(m.Subject, m.Header, m.Data)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != ev.ID || got.Type != ev.Type || got.Source != "pitstop/test" || got.Subject != "ann" ||
		!got.Time.Equal(now) || string(got.Data) != `{"name":"ann"}` {
		t.Fatalf("round trip = %+v", got)
	}
	var g greeted
	if err := got.Decode(&g); err != nil || g.Name != "ann" {
		t.Fatalf("decode = %+v, %v", g, err)
	}
}

func TestFromMsgRejectsMalformedMessages(t *testing.T) {
	t.Parallel()
	good, _ := events.New("pitstop/test", greeted{Name: "x"}, time.Now())
	cases := map[string]func(h nats.Header) (nats.Header, []byte){
		"missing id":  func(h nats.Header) (nats.Header, []byte) { h.Del(events.HeaderID); return h, good.Data },
		"bad id":      func(h nats.Header) (nats.Header, []byte) { h.Set(events.HeaderID, "nope"); return h, good.Data },
		"bad version": func(h nats.Header) (nats.Header, []byte) { h.Set(events.HeaderSpecVersion, "0.3"); return h, good.Data },
		"bad time":    func(h nats.Header) (nats.Header, []byte) { h.Set(events.HeaderTime, "yesterday"); return h, good.Data },
		"foreign type": func(h nats.Header) (nats.Header, []byte) {
			h.Set(events.HeaderType, "other.Thing")
			return h, good.Data
		},
		"not json":   func(h nats.Header) (nats.Header, []byte) { return h, []byte("<xml/>") },
		"json array": func(h nats.Header) (nats.Header, []byte) { return h, []byte("[1]") },
		"xml media type": func(h nats.Header) (nats.Header, []byte) {
			h.Set(events.HeaderContentType, "text/xml")
			return h, good.Data
		},
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h, data := mutate(good.Headers())
			_, err := events.FromMsg(good.Type, h, data)
			if !errors.Is(err, events.ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestDecodeIgnoresUnknownFields(t *testing.T) {
	t.Parallel()
	ev := events.Envelope{Type: "pitstop.test.Greeted", Data: json.RawMessage(`{"name":"bo","addedLater":true}`)}
	var g greeted
	if err := ev.Decode(&g); err != nil || g.Name != "bo" {
		t.Fatalf("decode = %+v, %v", g, err)
	}
}

func FuzzFromMsg(f *testing.F) {
	good, _ := events.New("pitstop/test", greeted{Name: "x"}, time.Now())
	f.Add(good.ID.String(), good.Type, good.Time.Format(time.RFC3339Nano), []byte(good.Data))
	f.Add("", "", "", []byte("{"))
	f.Add("00000000-0000-0000-0000-000000000000", "pitstop.a", "2026-01-01T00:00:00Z", []byte(`{"a":[1,2,{"b":null}]}`))
	f.Fuzz(func(t *testing.T, id, typ, ts string, data []byte) {
		h := nats.Header{}
		h.Set(events.HeaderSpecVersion, "1.0")
		h.Set(events.HeaderID, id)
		h.Set(events.HeaderType, typ)
		h.Set(events.HeaderTime, ts)
		ev, err := events.FromMsg("pitstop.fuzz", h, data)
		if err != nil {
			if !errors.Is(err, events.ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if !json.Valid(ev.Data) {
			t.Fatalf("accepted invalid JSON %q", data)
		}
	})
}

// The actor travels as the CloudEvents extension header ce-actor; an event without it
// (written before sign-in existed) decodes with no actor.
func TestActorTravelsAsCloudEventsExtension(t *testing.T) {
	t.Parallel()
	ev, err := events.New("pitstop/test", greeted{Name: "ann"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if h := ev.Headers(); h.Get(events.HeaderActor) != "" {
		t.Fatalf("actor header without an actor: %q", h.Get(events.HeaderActor))
	}
	ev.Actor = "frank"
	m := ev.Msg()
	if m.Header.Get("ce-actor") != "frank" {
		t.Fatalf("headers %v", m.Header)
	}
	got, err := events.FromMsg(m.Subject, m.Header, m.Data)
	if err != nil || got.Actor != "frank" {
		t.Fatalf("round trip actor %q, %v", got.Actor, err)
	}
	ctx := events.WithActor(context.Background(), "ann")
	if events.ActorFrom(ctx) != "ann" || events.ActorFrom(context.Background()) != "" {
		t.Fatal("actor context")
	}
}
