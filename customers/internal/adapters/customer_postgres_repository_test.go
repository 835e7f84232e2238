package adapters_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pitstop/pitstop/customers/internal/adapters"
	"github.com/pitstop/pitstop/customers/internal/application"
	"github.com/pitstop/pitstop/customers/internal/domain"
	"github.com/pitstop/pitstop/serviceapis/customerevents"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

const schema = "customers"

func setup(t *testing.T) (*adapters.CustomerPostgresRepository, *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	pool := testutil.Pool(t, testutil.Database(t), schema)
	if err := adapters.Migrate(ctx, pool, schema); err != nil {
		t.Fatal(err)
	}
	if err := outbox.Migrate(ctx, pool, schema); err != nil {
		t.Fatal(err)
	}
	// Migrating twice is a no-op (every process migrates at start-up).
	if err := adapters.Migrate(ctx, pool, schema); err != nil {
		t.Fatal(err)
	}
	return adapters.NewCustomerPostgresRepository(pool, schema), pool
}

func customer(t *testing.T, name string) domain.Customer {
	t.Helper()
	c, err := domain.NewCustomer(uuid.New(), domain.Details{Name: name, Address: "Kerkstraat 1", PostalCode: "1234 AB",
		City: "Amsterdam", TelephoneNumber: "0612345678", EmailAddress: "x@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func event(t *testing.T, c domain.Customer) events.Envelope {
	t.Helper()
	ev, err := events.New(customerevents.Source,
		customerevents.CustomerRegistered{Customer: customerevents.Customer{CustomerID: c.ID().String(), Name: c.Name()}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func counts(t *testing.T, pool *pgxpool.Pool) (customers, outboxRows int) {
	t.Helper()
	if err := pool.QueryRow(context.Background(),
		`SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM outbox)`).Scan(&customers, &outboxRows); err != nil {
		t.Fatal(err)
	}
	return
}

func TestAddGet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo, pool := setup(t)
	c := customer(t, "Lisa")
	if err := repo.Add(ctx, c, event(t, c)); err != nil {
		t.Fatal(err)
	}
	got, err := repo.Get(ctx, c.ID())
	if err != nil || got.Customer != c || got.Version != 1 {
		t.Fatalf("Get = %+v, %v; want %+v at version 1", got, err, c)
	}
	if _, err := repo.Get(ctx, uuid.New()); !errors.Is(err, domain.ErrCustomerNotFound) {
		t.Errorf("Get(unknown) error = %v, want ErrCustomerNotFound", err)
	}

	// The same id again is ErrCustomerExists and stores neither row nor event.
	dup := domain.RehydrateCustomer(c.ID(), customer(t, "Other").Details())
	if err := repo.Add(ctx, dup, event(t, dup)); !errors.Is(err, domain.ErrCustomerExists) {
		t.Errorf("Add(duplicate) error = %v, want ErrCustomerExists", err)
	}
	if n, o := counts(t, pool); n != 1 || o != 1 {
		t.Errorf("stored %d customers and %d events, want 1 and 1", n, o)
	}
}

func TestUpdate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo, pool := setup(t)
	c := customer(t, "Lisa")
	if err := repo.Add(ctx, c, event(t, c)); err != nil {
		t.Fatal(err)
	}
	d := c.Details()
	d.City = "Utrecht"

	// fn fails after changing the customer: nothing is written.
	boom := errors.New("boom")
	_, err := repo.Update(ctx, c.ID(), func(c *domain.Customer, _ int64) ([]events.Envelope, error) {
		if _, err := c.Update(d); err != nil {
			return nil, err
		}
		return []events.Envelope{event(t, *c)}, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update error = %v, want boom", err)
	}
	if got, _ := repo.Get(ctx, c.ID()); got.Customer.City() != "Amsterdam" || got.Version != 1 {
		t.Errorf("failed update was stored: %+v", got)
	}
	if _, o := counts(t, pool); o != 1 {
		t.Errorf("failed update wrote %d events", o-1)
	}

	// No events means "nothing changed" by contract: nothing is written.
	if _, err := repo.Update(ctx, c.ID(), func(*domain.Customer, int64) ([]events.Envelope, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	if got, _ := repo.Get(ctx, c.ID()); got.Version != 1 {
		t.Errorf("no-op update moved the version to %d", got.Version)
	}
	if n, o := counts(t, pool); n != 1 || o != 1 {
		t.Errorf("no-op update stored %d customers and %d events", n, o)
	}

	// A successful update stores the row and its event together.
	got, err := repo.Update(ctx, c.ID(), func(c *domain.Customer, version int64) ([]events.Envelope, error) {
		if version != 1 {
			t.Errorf("fn was given version %d, want 1", version)
		}
		if _, err := c.Update(d); err != nil {
			return nil, err
		}
		return []events.Envelope{event(t, *c)}, nil
	})
	if err != nil || got.Customer.City() != "Utrecht" || got.Version != 2 {
		t.Fatalf("Update = %+v, %v; want Utrecht at version 2", got, err)
	}
	if stored, _ := repo.Get(ctx, c.ID()); stored.Customer.City() != "Utrecht" || stored.Version != 2 {
		t.Errorf("stored %+v", stored)
	}
	if n, o := counts(t, pool); n != 1 || o != 2 {
		t.Errorf("stored %d customers and %d events, want 1 and 2", n, o)
	}

	// Unknown ids never reach fn.
	_, err = repo.Update(ctx, uuid.New(), func(*domain.Customer, int64) ([]events.Envelope, error) {
		t.Error("fn called for an unknown customer")
		return nil, nil
	})
	if !errors.Is(err, domain.ErrCustomerNotFound) {
		t.Errorf("Update(unknown) error = %v", err)
	}
}

func TestListRegistrationOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo, _ := setup(t)
	var added []domain.Customer
	for _, name := range []string{"A", "B", "C", "D"} {
		c := customer(t, name)
		if err := repo.Add(ctx, c); err != nil {
			t.Fatal(err)
		}
		added = append(added, c)
	}
	list := func(after int64, n int) []application.ListedCustomer {
		t.Helper()
		rows, err := repo.List(ctx, application.CustomerQuery{Order: application.CustomerOrder{Field: application.SortByRegistration},
			After: application.ListKey{Position: after}, Limit: n})
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	first := list(0, 3)
	if len(first) != 3 {
		t.Fatalf("List(start, 3) = %d rows", len(first))
	}
	for i, r := range first {
		if r.Customer != added[i] || r.Version != 1 {
			t.Errorf("row %d = %s v%d, want %s v1 (registration order)", i, r.Customer.Name(), r.Version, added[i].Name())
		}
		if i > 0 && r.Key.Position <= first[i-1].Key.Position {
			t.Errorf("positions not increasing: %d after %d", r.Key.Position, first[i-1].Key.Position)
		}
	}
	rest := list(first[2].Key.Position, 3)
	if len(rest) != 1 || rest[0].Customer != added[3] {
		t.Fatalf("List(after 3rd) = %+v", rest)
	}
	if none := list(rest[0].Key.Position, 3); len(none) != 0 {
		t.Fatalf("List(after last) = %+v", none)
	}
}
