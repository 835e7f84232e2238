package customers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pitstop/pitstop/customers"
	"github.com/pitstop/pitstop/serviceapis/customerevents"
	"github.com/pitstop/pitstop/shared-go/app"
)

// anyPathPool is a pool on the harness's database whose search_path is not customers
// (as the operator's command-line tool has).
func (h *harness) anyPathPool() *pgxpool.Pool {
	h.T.Helper()
	cfg := h.Pool.Config()
	cfg.ConnConfig.RuntimeParams["search_path"] = "public"
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		h.T.Fatal(err)
	}
	h.T.Cleanup(pool.Close)
	return pool
}

// Republish writes one CustomerStateTransferred per customer with its current state and
// the next seq of its aggregate.
func TestRepublishEmitsOneStateTransferPerCustomerContinuingItsSequence(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	lisaC := h.register(lisa())
	bram := lisa()
	bram.Name, bram.EmailAddress = "Bram de Vries", "bram@example.com"
	bramC := h.register(bram)
	moved := lisaC
	moved.CustomerID, moved.City = "", "Utrecht"
	if res := h.Do(http.MethodPut, "/api/customers/"+lisaC.CustomerID, moved); res.Status != http.StatusOK {
		t.Fatalf("update: %d %s", res.Status, res.Body)
	}
	n, err := customers.Republish(context.Background(), h.anyPathPool())
	if err != nil || n != 2 {
		t.Fatalf("Republish = %d, %v", n, err)
	}
	rows, err := h.Pool.Query(context.Background(), `SELECT subject, seq, payload FROM outbox WHERE event_type = $1 ORDER BY id`,
		customerevents.SubjectCustomerStateTransferred)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	type transfer struct {
		subject string
		seq     int64
		body    customerevents.Customer
	}
	var got []transfer
	for rows.Next() {
		var (
			tr      transfer
			payload []byte
		)
		if err := rows.Scan(&tr.subject, &tr.seq, &payload); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(payload, &tr.body); err != nil {
			t.Fatal(err)
		}
		got = append(got, tr)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	wantLisa := customerevents.Customer{CustomerID: lisaC.CustomerID, Name: lisaC.Name, Address: lisaC.Address,
		PostalCode: lisaC.PostalCode, City: "Utrecht", TelephoneNumber: lisaC.TelephoneNumber, EmailAddress: lisaC.EmailAddress}
	wantBram := customerevents.Customer{CustomerID: bramC.CustomerID, Name: bramC.Name, Address: bramC.Address,
		PostalCode: bramC.PostalCode, City: bramC.City, TelephoneNumber: bramC.TelephoneNumber, EmailAddress: bramC.EmailAddress}
	// Registration order; lisa had Registered (1) and Updated (2), bram Registered (1).
	if len(got) != 2 || got[0].subject != lisaC.CustomerID || got[0].seq != 3 || got[0].body != wantLisa ||
		got[1].subject != bramC.CustomerID || got[1].seq != 2 || got[1].body != wantBram {
		t.Fatalf("state transfers = %+v", got)
	}
}

// Republish covers every customer in transactions of 500.
func TestRepublishWritesInBatchesOf500(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	ctx := context.Background()
	if _, err := h.Pool.Exec(ctx, `INSERT INTO customers (customer_id, name, address, postal_code, city, telephone_number, email_address)
		SELECT gen_random_uuid(), 'Customer ' || i, 'Street ' || i, '1234 AB', 'Delft', '+31 15 1234567', 'c' || i || '@example.com'
		FROM generate_series(1, 1203) i`); err != nil {
		t.Fatal(err)
	}
	n, err := customers.Republish(ctx, h.Pool)
	if err != nil || n != 1203 {
		t.Fatalf("Republish = %d, %v", n, err)
	}
	var events, subjects, transactions, firstSeq int
	if err := h.Pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT subject), count(DISTINCT xmin::text), min(seq)
		FROM outbox WHERE event_type = $1`, customerevents.SubjectCustomerStateTransferred).
		Scan(&events, &subjects, &transactions, &firstSeq); err != nil {
		t.Fatal(err)
	}
	if events != 1203 || subjects != 1203 || transactions != 3 || firstSeq != 1 {
		t.Fatalf("%d events for %d customers in %d transactions (min seq %d), want 1203, 1203, 3, 1", events, subjects, transactions, firstSeq)
	}
}

// The module offers Republish to the admin API: POST /admin/republish on the customers
// service, as app.MountAdmin mounts it.
func TestRepublishThroughTheAdminAPI(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	h.register(lisa())
	m, err := customers.New(context.Background(), h.Deps)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.(app.Republisher); !ok {
		t.Fatal("the customers module is not an app.Republisher")
	}
	r := chi.NewRouter()
	app.MountAdmin(r, h.Deps, m)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	res, err := http.Post(srv.URL+"/admin/republish", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]int
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil || res.StatusCode != http.StatusOK || body["events"] != 1 {
		t.Fatalf("POST /admin/republish: %d %v %v", res.StatusCode, body, err)
	}
	var n int
	if err := h.Pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox WHERE event_type = $1`,
		customerevents.SubjectCustomerStateTransferred).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d state transfers in the outbox (%v)", n, err)
	}
}
