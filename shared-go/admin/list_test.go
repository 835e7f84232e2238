package admin_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/pitstop/pitstop/shared-go/admin"
)

func TestParseID(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want admin.ID
		ok   bool
	}{
		{"relay:customers:42", admin.ID{Kind: admin.Relay, Context: "customers", Row: 42}, true},
		{"consumer:invoicing:7", admin.ID{Kind: admin.Consumer, Context: "invoicing", Row: 7}, true},
		{"relay:customers", admin.ID{}, false},
		{"outbox:customers:1", admin.ID{}, false},
		{"relay:Customers;drop:1", admin.ID{}, false},
		{"relay:customers:0", admin.ID{}, false},
		{"relay:customers:x", admin.ID{}, false},
		{"relay:customers:1:2", admin.ID{}, false},
	} {
		got, err := admin.ParseID(tc.in)
		if tc.ok != (err == nil) || got != tc.want {
			t.Errorf("ParseID(%q) = %+v, %v", tc.in, got, err)
		}
		if err != nil && !errors.Is(err, admin.ErrInvalid) {
			t.Errorf("ParseID(%q) error %v does not wrap ErrInvalid", tc.in, err)
		}
		if tc.ok && got.String() != tc.in {
			t.Errorf("String() = %q, want %q", got.String(), tc.in)
		}
	}
}

func TestParseAge(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{"90m": 90 * time.Minute, "2d": 48 * time.Hour, "1h30m": 90 * time.Minute} {
		if got, err := admin.ParseAge(in); err != nil || got != want {
			t.Errorf("ParseAge(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "x", "-1h", "2days", "-2d"} {
		if _, err := admin.ParseAge(in); err == nil {
			t.Errorf("ParseAge(%q) accepted", in)
		}
	}
}

// seedDeadLetters stores dead letters of both kinds with known ages and states.
func (e *env) seedDeadLetters() {
	e.t.Helper()
	ctx := context.Background()
	if _, err := e.pools[shop].Exec(ctx, `INSERT INTO outbox_dead_letter (id, event_id, event_type, source, subject, seq,
			occurred_at, payload, created_at, attempts, error, dead_at, resolved_at, resolution) VALUES
		(101, gen_random_uuid(), 'pitstop.shop.ItemChanged', 'pitstop/shop', 'a', 1, now(), '{}', now(), 10, 'too big', now() - interval '3 days', NULL, NULL),
		(102, gen_random_uuid(), 'pitstop.shop.ItemRemoved', 'pitstop/shop', 'b', 4, now(), 'not json', now(), 10, 'refused', now() - interval '2 hours', NULL, NULL),
		(103, gen_random_uuid(), 'pitstop.shop.ItemChanged', 'pitstop/shop', 'c', 1, now(), '{}', now(), 10, 'old', now() - interval '5 days', now(), 'skipped')`); err != nil {
		e.t.Fatal(err)
	}
	for _, s := range []string{books, ledger} {
		if _, err := e.pools[s].Exec(ctx, `INSERT INTO consumer_dead_letter (consumer, event_id, event_type, subject, aggregate, seq,
				headers, data, deliveries, stream_seq, reason, failed_at, resolved_at, resolution) VALUES
			($1, gen_random_uuid()::text, 'pitstop.shop.ItemChanged', 'pitstop.shop.ItemChanged', 'shop/a', 2, '{}', '{}', 6, 10, 'boom', now() - interval '10 minutes', NULL, NULL),
			($1, gen_random_uuid()::text, 'pitstop.vehicles.VehicleUpdated', 'pitstop.vehicles.VehicleUpdated', 'vehicles/X', 3, '{}', '{}', 6, 11, 'boom', now() - interval '26 hours', NULL, 'requeue-pending'),
			($1 || '-other', gen_random_uuid()::text, 'pitstop.shop.ItemChanged', 'pitstop.shop.ItemChanged', 'shop/a', 2, '{}', '{}', 6, 12, 'boom', now() - interval '1 minute', NULL, NULL),
			($1, gen_random_uuid()::text, 'pitstop.shop.ItemChanged', 'pitstop.shop.ItemChanged', 'shop/d', 1, '{}', '{}', 6, 13, 'boom', now() - interval '4 days', now(), 'requeued')`,
			s); err != nil {
			e.t.Fatal(err)
		}
	}
}

func ids(dls []admin.DeadLetter) []string {
	out := make([]string, len(dls))
	for i, d := range dls {
		out[i] = d.ID
	}
	return out
}

func TestListFiltersDeadLettersOfEveryContext(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.seedDeadLetters()
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		f    admin.Filter
		want []string // oldest first
	}{
		{"unresolved by default", admin.Filter{}, []string{"relay:shop:101", "consumer:books:2", "consumer:ledger:2",
			"relay:shop:102", "consumer:books:1", "consumer:ledger:1", "consumer:books:3", "consumer:ledger:3"}},
		{"all", admin.Filter{All: true, Context: shop}, []string{"relay:shop:103", "relay:shop:101", "relay:shop:102"}},
		{"context", admin.Filter{Context: books}, []string{"consumer:books:2", "consumer:books:1", "consumer:books:3"}},
		{"kind", admin.Filter{Kind: admin.Relay}, []string{"relay:shop:101", "relay:shop:102"}},
		{"consumer", admin.Filter{Consumer: "ledger"}, []string{"consumer:ledger:2", "consumer:ledger:1"}},
		{"exact type", admin.Filter{Type: "pitstop.vehicles.VehicleUpdated"}, []string{"consumer:books:2", "consumer:ledger:2"}},
		{"short type", admin.Filter{Type: "ItemRemoved"}, []string{"relay:shop:102"}},
		{"older than", admin.Filter{OlderThan: 24 * time.Hour}, []string{"relay:shop:101", "consumer:books:2", "consumer:ledger:2"}},
		{"newer than", admin.Filter{NewerThan: 15 * time.Minute, Context: books}, []string{"consumer:books:1", "consumer:books:3"}},
		{"between", admin.Filter{OlderThan: time.Hour, NewerThan: 25 * time.Hour}, []string{"relay:shop:102"}},
		{"unknown context", admin.Filter{Context: "nowhere"}, []string{}},
	} {
		got, err := e.adm.List(ctx, tc.f)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !slices.Equal(ids(got), tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, ids(got), tc.want)
		}
	}
	// A scoped Admin (a service's API) sees its own context only.
	scoped := admin.New(e.any, e.js, admin.Options{Context: ledger})
	got, err := scoped.List(ctx, admin.Filter{})
	if err != nil || !slices.Equal(ids(got), []string{"consumer:ledger:2", "consumer:ledger:1", "consumer:ledger:3"}) {
		t.Fatalf("scoped list: %v %v", ids(got), err)
	}
	if _, err := scoped.Get(ctx, mustID(t, "relay:shop:101")); !errors.Is(err, admin.ErrNotFound) {
		t.Fatalf("scoped get of another context's dead letter: %v", err)
	}
	d, err := e.adm.Get(ctx, mustID(t, "relay:shop:102"))
	if err != nil || string(d.RawPayload) != "not json" || d.Payload != nil || d.Seq != 4 || d.Aggregate != "b" {
		t.Fatalf("get relay:shop:102: %+v %v", d, err)
	}
	for _, bad := range []admin.Filter{{Kind: "x"}, {Consumer: "books", Kind: admin.Relay}, {OlderThan: time.Hour, NewerThan: time.Minute}} {
		if _, err := e.adm.List(ctx, bad); !errors.Is(err, admin.ErrInvalid) {
			t.Errorf("List(%+v) = %v, want ErrInvalid", bad, err)
		}
	}
	for _, missing := range []string{"relay:shop:999", "consumer:shop:1", "relay:ledger:1", "relay:nowhere:1"} {
		if _, err := e.adm.Get(ctx, mustID(t, missing)); !errors.Is(err, admin.ErrNotFound) {
			t.Errorf("Get(%s) = %v, want ErrNotFound", missing, err)
		}
	}
}
