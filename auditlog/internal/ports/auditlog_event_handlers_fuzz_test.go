package ports_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"

	"github.com/pitstop/pitstop/auditlog/internal/adapters"
	"github.com/pitstop/pitstop/auditlog/internal/application"
	"github.com/pitstop/pitstop/auditlog/internal/ports"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/postgres"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

// FuzzRecordEvent feeds arbitrary CloudEvents attributes and bodies through the
// consumer's decoding (events.FromMsg) and the audit log's event handler, in a real
// transaction on a real database. Whatever the input, a decodable event is either
// recorded, and then reads back with the same attributes and a JSON-equal body, or
// rejected as permanent (dead-lettered at once). It is never a transient failure,
// which would be redelivered until MaxDeliver for nothing.
//
// As a normal test it runs the seed corpus; explore with
//
//	go test ./auditlog/internal/ports -run '^$' -fuzz FuzzRecordEvent
func FuzzRecordEvent(f *testing.F) {
	const id = "0d6b8f4e-7a0e-4c5a-9a53-3f5e0c9b8a11"
	const typ = "pitstop.customers.CustomerRegistered"
	now := "2024-05-01T08:00:00.123456789+02:00"
	for _, s := range []struct{ typ, subject, source, time, body string }{
		{typ, "c-1", "pitstop/customers", now, `{"customerId":"c-1","name":"Lisa"}`},
		{typ, "", "", now, `{}`},
		{typ, "c-1", "pitstop/customers", "0000-01-01T00:00:00Z", `{}`},
		{typ, "c-1", "pitstop/customers", "9999-12-31T23:59:59.999999999-23:59", `{}`},
		{typ, "c-1", "pitstop/customers", "2024-05-01T08:00:00.12345678912345Z", `{}`},
		{typ, "a\x00b", "s", now, `{}`},
		{typ, "a\xffb", "s", now, `{}`},
		{typ, "c", strings.Repeat("s", 1025), now, `{}`},
		{"pitstop." + strings.Repeat("x", 2000), "c", "s", now, `{}`},
		{typ, "c", "s", now, `{"a":"\u0000"}`},
		{typ, "c", "s", now, "{\"a\":\"\xff\"}"},
		{typ, "c", "s", now, `{"a":"\ud800"}`},
		{typ, "c", "s", now, `{"big":1e400,"small":-1e-400,"int":123456789012345678901234567890,"z":-0}`},
		{typ, "c", "s", now, `{"a":1,"a":2}`},
		{typ, "c", "s", now, `{"deep":` + strings.Repeat("[", 9000) + strings.Repeat("]", 9000) + `}`},
		{typ, "c", "s", now, `{"x":"'); DROP TABLE audit_entries; --"}`},
		{typ, "c", "s", now, `{"k":"` + strings.Repeat("ñ", 5000) + `"}`},
		{typ, "c", "s", now, `[]`},
		{typ, "c", "s", now, `null`},
		{typ, "c", "s", "not a time", `{}`},
	} {
		f.Add(id, s.typ, s.subject, s.source, s.time, []byte(s.body))
	}

	ctx := context.Background()
	pool := testutil.Pool(f, testutil.Database(f), "auditlog")
	if err := adapters.Migrate(ctx, pool, "auditlog"); err != nil {
		f.Fatal(err)
	}
	repo := adapters.NewEntryPostgresRepository(pool)
	app := application.New(repo)
	h := messaging.Bind(func(tx pgx.Tx) application.EntryRecorder { return adapters.NewEntryTxStore(tx) },
		ports.NewEventHandlers(app, nil).Handle)

	f.Fuzz(func(t *testing.T, ceID, ceType, subject, source, ceTime string, body []byte) {
		hdr := nats.Header{}
		hdr.Set(events.HeaderSpecVersion, events.SpecVersion)
		hdr.Set(events.HeaderType, ceType)
		hdr.Set(events.HeaderSubject, subject)
		hdr.Set(events.HeaderSource, source)
		hdr.Set(events.HeaderTime, ceTime)
		hdr.Set(events.HeaderContentType, events.ContentTypeJSON)
		// A fresh id per run: the corpus shares ids, and a replay must not look stored.
		if _, err := uuid.Parse(ceID); err == nil {
			ceID = uuid.NewString()
		}
		hdr.Set(events.HeaderID, ceID)
		ev, err := events.FromMsg(ceType, hdr, body)
		if err != nil {
			return // The consumer dead-letters it before the handler sees it.
		}
		err = postgres.WithTx(ctx, pool, func(tx pgx.Tx) error { return h(ctx, tx, ev) })
		if err != nil {
			if !errors.Is(err, messaging.ErrPermanent) {
				t.Fatalf("transient failure for a bad event: %v", err)
			}
			if _, err := repo.Get(ctx, ev.ID); err == nil {
				t.Fatal("a rejected event was stored")
			}
			return
		}
		got, err := repo.Get(ctx, ev.ID)
		if err != nil {
			t.Fatalf("recorded event not found: %v", err)
		}
		e := got.Entry
		if e.Type() != ev.Type || e.Subject() != ev.Subject || e.Source() != ev.Source ||
			e.Time().Format(time.RFC3339Nano) != ev.Time.Format(time.RFC3339Nano) {
			t.Fatalf("read back %s %q %q %s, want %s %q %q %s", e.Type(), e.Subject(), e.Source(),
				e.Time().Format(time.RFC3339Nano), ev.Type, ev.Subject, ev.Source, ev.Time.Format(time.RFC3339Nano))
		}
		if !sameJSON(t, e.Data(), ev.Data) {
			t.Fatalf("data %s, want JSON-equal to %s", e.Data(), ev.Data)
		}
	})
}

// sameJSON compares two JSON documents as values, numbers exactly (jsonb keeps a
// number's value, not its spelling: 1e2 comes back as 100).
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	return reflect.DeepEqual(normalise(t, a), normalise(t, b))
}

func normalise(t *testing.T, data []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %.200s: %v", data, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		t.Fatalf("trailing data in %.200s", data)
	}
	return exactNumbers(v)
}

func exactNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		r, ok := new(big.Rat).SetString(string(x))
		if !ok {
			return string(x)
		}
		return r.RatString()
	case []any:
		for i := range x {
			x[i] = exactNumbers(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = exactNumbers(x[k])
		}
	}
	return v
}
