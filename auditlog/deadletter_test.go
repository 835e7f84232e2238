package auditlog_test

import (
	"context"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/pitstop/pitstop/shared-go/events"
)

// TestMalformedMessagesAreDeadLetteredAndTheFlowGoesOn publishes messages that can
// never be recorded, each followed in the stream by more, and checks that each one is
// dead-lettered at its first delivery with its reason, that nothing of it is stored,
// and that the valid events published after them are recorded.
func TestMalformedMessagesAreDeadLetteredAndTheFlowGoesOn(t *testing.T) {
	t.Parallel()
	h := newHarness(t)

	type poison struct {
		name   string
		mutate func(m *nats.Msg)
		reason string // a fragment of the dead-letter reason
	}
	cases := []poison{
		{"missing ce-id", func(m *nats.Msg) { m.Header.Del(events.HeaderID) }, "id"},
		{"ce-id not a uuid", func(m *nats.Msg) { m.Header.Set(events.HeaderID, "42") }, "id"},
		{"body not JSON", func(m *nats.Msg) { m.Data = []byte("not json") }, "body"},
		{"body a JSON array", func(m *nats.Msg) { m.Data = []byte(`[{"customerId":"x"}]`) }, "body"},
		{"empty body", func(m *nats.Msg) { m.Data = nil }, "body"},
		{"bad ce-time", func(m *nats.Msg) { m.Header.Set(events.HeaderTime, "yesterday") }, "time"},
		{"foreign ce-type", func(m *nats.Msg) { m.Header.Set(events.HeaderType, "com.example.Thing") }, "type"},
		{"wrong specversion", func(m *nats.Msg) { m.Header.Set(events.HeaderSpecVersion, "0.3") }, "specversion"},
		// Decodable envelopes whose content Postgres cannot store: they must be dead-lettered
		// at once too, not retried until MaxDeliver.
		{"NUL escape in the body", func(m *nats.Msg) { m.Data = []byte(`{"name":"a\u0000b"}`) }, "22P05"},
		{"invalid UTF-8 in the body", func(m *nats.Msg) { m.Data = []byte("{\"name\":\"\xff\xfe\"}") }, "data"},
		{"invalid UTF-8 in ce-subject", func(m *nats.Msg) { m.Header.Set(events.HeaderSubject, "a\xffb") }, "subject"},
		{"overlong ce-source", func(m *nats.Msg) { m.Header.Set(events.HeaderSource, strings.Repeat("s", 2000)) }, "source"},
	}
	var valid []events.Envelope
	msgIDs := map[string]poison{}
	for _, c := range cases {
		ev := customerRegistered(t, c.name)
		m := ev.Msg()
		c.mutate(m)
		msgIDs[m.Header.Get(events.HeaderMsgID)] = c
		h.PublishMsg(m)
		after := customerRegistered(t, "after "+c.name)
		valid = append(valid, after)
		h.Publish(after)
	}
	h.waitFor(valid...)

	// Messages are handled in stream order, so every poison message has been handled.
	rows, err := h.Pool.Query(context.Background(), `SELECT headers->'Nats-Msg-Id'->>0, consumer, subject, reason, deliveries,
		length(data) FROM consumer_dead_letter ORDER BY stream_seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	for rows.Next() {
		var msgID, consumer, subject, reason string
		var deliveries, size int
		if err := rows.Scan(&msgID, &consumer, &subject, &reason, &deliveries, &size); err != nil {
			t.Fatal(err)
		}
		c, ok := msgIDs[msgID]
		if !ok {
			t.Errorf("unexpected dead letter %s: %s", msgID, reason)
			continue
		}
		seen[msgID] = true
		if consumer != "auditlog" || subject == "" {
			t.Errorf("%s: consumer %q subject %q", c.name, consumer, subject)
		}
		if !strings.Contains(reason, c.reason) || !strings.Contains(reason, "permanent") {
			t.Errorf("%s: reason %q, want it to mention %q and be permanent", c.name, reason, c.reason)
		}
		if deliveries != 1 {
			t.Errorf("%s: dead-lettered after %d deliveries, want at the first", c.name, deliveries)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for id, c := range msgIDs {
		if !seen[id] {
			t.Errorf("%s: not dead-lettered", c.name)
		}
	}
	if n := h.QueryInt(`SELECT count(*) FROM audit_entries`); n != len(valid) {
		t.Errorf("audit entries = %d, want only the %d valid events", n, len(valid))
	}
	if n := h.QueryInt(`SELECT count(*) FROM inbox`); n != len(valid) {
		t.Errorf("inbox rows = %d, want only the %d valid events (a rejected event's inbox row rolls back)", n, len(valid))
	}
	if got := h.list(nil).Items; len(got) != len(valid) {
		t.Errorf("listed %d entries, want %d", len(got), len(valid))
	}
}
