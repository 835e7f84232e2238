package workshop_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/pitstop/pitstop/serviceapis/customerevents"
	"github.com/pitstop/pitstop/serviceapis/vehicleevents"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/testutil"
	"github.com/pitstop/pitstop/shared-go/testutil/servicetest"
)

func customer(id, name string) customerevents.Customer {
	return customerevents.Customer{CustomerID: id, Name: name, Address: "Main Street 1", PostalCode: "1234 AB",
		City: "Utrecht", TelephoneNumber: "0612345678", EmailAddress: id + "@example.com"}
}

// processed is the number of events the refdata consumer committed.
func (e *env) processed() int {
	return e.Count("inbox", "consumer = 'workshop-refdata'")
}

func (e *env) waitProcessed(n int) {
	e.T.Helper()
	testutil.Eventually(e.T, 10*time.Second, func() bool { return e.processed() >= n }, "refdata consumer to process %d events", n)
}

func (e *env) duplicates() float64 {
	return e.Metric("pitstop_consumer_duplicates_total", "consumer", "workshop-refdata")
}

type customerJSON struct {
	CustomerID      string `json:"customerId"`
	Name            string `json:"name"`
	Address         string `json:"address"`
	PostalCode      string `json:"postalCode"`
	City            string `json:"city"`
	TelephoneNumber string `json:"telephoneNumber"`
	EmailAddress    string `json:"emailAddress"`
}

type vehicleJSON struct {
	LicenseNumber string `json:"licenseNumber"`
	Brand         string `json:"brand"`
	Type          string `json:"type"`
	OwnerID       string `json:"ownerId"`
}

func (e *env) customer(id string) (customerJSON, int) {
	e.T.Helper()
	var c customerJSON
	r := e.Do("GET", "/api/refdata/customers/"+id, nil)
	if r.Status == http.StatusOK {
		r.JSON(e.T, &c)
	}
	return c, r.Status
}

func TestRefDataFollowsCustomerAndVehicleEvents(t *testing.T) {
	t.Parallel()
	e, _ := setup(t, options{nats: true})
	t0 := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)

	if _, status := e.customer("c-1"); status != http.StatusNotFound {
		t.Fatalf("unknown customer: %d", status)
	}
	registered := servicetest.Event(t, customerevents.Source, customerevents.CustomerRegistered{Customer: customer("c-1", "Jane Doe")}, t0)
	e.Publish(registered, "")
	e.Publish(servicetest.Event(t, vehicleevents.Source, vehicleevents.VehicleRegistered{Vehicle: vehicleevents.Vehicle{
		LicenseNumber: "ab-12-cd", Brand: "Volvo", Type: "V70", OwnerID: "c-1"}}, t0), "")
	testutil.Eventually(t, 10*time.Second, func() bool { _, s := e.customer("c-1"); return s == http.StatusOK },
		"customer c-1 in the read model")
	c, _ := e.customer("c-1")
	if c != (customerJSON{CustomerID: "c-1", Name: "Jane Doe", Address: "Main Street 1", PostalCode: "1234 AB",
		City: "Utrecht", TelephoneNumber: "0612345678", EmailAddress: "c-1@example.com"}) {
		t.Fatalf("customer %+v", c)
	}
	e.waitProcessed(2)
	var v vehicleJSON
	r := e.Do("GET", "/api/refdata/vehicles/Ab-12-cD", nil)
	r.JSON(t, &v)
	if r.Status != http.StatusOK || v != (vehicleJSON{LicenseNumber: "AB-12-CD", Brand: "Volvo", Type: "V70", OwnerID: "c-1"}) {
		t.Fatalf("vehicle: %d %s", r.Status, r.Body)
	}

	// A duplicate: the same event id under a different Nats-Msg-Id (so JetStream's
	// duplicate window does not catch it), even with other content, changes nothing.
	dup := registered
	dup.Data = []byte(`{"customerId":"c-1","name":"Changed By Duplicate"}`)
	dup.Time = t0.Add(time.Hour)
	e.Publish(dup, uuid.NewString())
	testutil.Eventually(t, 10*time.Second, func() bool { return e.duplicates() == 1 }, "duplicate to be recognised")
	if c, _ := e.customer("c-1"); c.Name != "Jane Doe" {
		t.Fatalf("duplicate changed the customer: %+v", c)
	}
	if n := e.processed(); n != 2 {
		t.Fatalf("inbox holds %d events, want 2", n)
	}

	// An older update delivered after a newer one does not overwrite it.
	e.Publish(servicetest.Event(t, customerevents.Source, customerevents.CustomerUpdated{Customer: customer("c-1", "Newest Name")}, t0.Add(2*time.Hour)), "")
	e.Publish(servicetest.Event(t, customerevents.Source, customerevents.CustomerUpdated{Customer: customer("c-1", "Older Name")}, t0.Add(time.Hour)), "")
	e.Publish(servicetest.Event(t, vehicleevents.Source, vehicleevents.VehicleUpdated{Vehicle: vehicleevents.Vehicle{
		LicenseNumber: "AB-12-CD", Brand: "Volvo", Type: "XC90", OwnerID: "c-1"}}, t0.Add(2*time.Hour)), "")
	e.Publish(servicetest.Event(t, vehicleevents.Source, vehicleevents.VehicleUpdated{Vehicle: vehicleevents.Vehicle{
		LicenseNumber: "AB-12-CD", Brand: "Volvo", Type: "Old Type", OwnerID: "c-1"}}, t0.Add(time.Hour)), "")
	e.waitProcessed(6)
	if c, _ := e.customer("c-1"); c.Name != "Newest Name" {
		t.Fatalf("older update overwrote a newer one: %+v", c)
	}
	r = e.Do("GET", "/api/refdata/vehicles/AB-12-CD", nil)
	r.JSON(t, &v)
	if v.Type != "XC90" {
		t.Fatalf("older vehicle update overwrote a newer one: %+v", v)
	}
	// A registration replayed late (older than the updates) does not win either.
	e.Publish(servicetest.Event(t, customerevents.Source, customerevents.CustomerRegistered{Customer: customer("c-1", "Jane Doe")}, t0), "")
	e.waitProcessed(7)
	if c, _ := e.customer("c-1"); c.Name != "Newest Name" {
		t.Fatalf("late registration overwrote an update: %+v", c)
	}

	// A poison event is dead-lettered and does not stop the events behind it.
	bad := servicetest.Event(t, customerevents.Source, customerevents.CustomerRegistered{Customer: customer("c-2", "x")}, t0)
	bad.Data = []byte(`{"customerId": 5}`)
	e.Publish(bad, "")
	e.Publish(servicetest.Event(t, customerevents.Source, customerevents.CustomerRegistered{Customer: customer("c-3", "After Poison")}, t0), "")
	testutil.Eventually(t, 10*time.Second, func() bool { _, s := e.customer("c-3"); return s == http.StatusOK },
		"event after the poison one")
	if n := e.Count("consumer_dead_letter", "consumer = 'workshop-refdata'"); n != 1 {
		t.Fatalf("dead letters: %d", n)
	}
	// An unknown type within the filter is acknowledged and ignored.
	m := &nats.Msg{Subject: "pitstop.customers.CustomerDeleted", Header: registered.Headers(), Data: []byte(`{"customerId":"c-1"}`)}
	m.Header.Set(events.HeaderType, "pitstop.customers.CustomerDeleted")
	m.Header.Set(events.HeaderID, uuid.NewString())
	m.Header.Set(events.HeaderMsgID, m.Header.Get(events.HeaderID))
	if _, err := e.JS.PublishMsg(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	e.waitProcessed(9)
	if _, s := e.customer("c-1"); s != http.StatusOK {
		t.Fatal("unknown event type changed the read model")
	}
}

func TestRefDataListsArePaged(t *testing.T) {
	t.Parallel()
	e, _ := setup(t, options{nats: true})
	t0 := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	for i := range 5 {
		e.Publish(servicetest.Event(t, customerevents.Source, customerevents.CustomerRegistered{Customer: customer(fmt.Sprint("c-", i), fmt.Sprint("Name ", i))}, t0), "")
		e.Publish(servicetest.Event(t, vehicleevents.Source, vehicleevents.VehicleRegistered{Vehicle: vehicleevents.Vehicle{
			LicenseNumber: fmt.Sprintf("AB-%d-CD", i), Brand: "Volvo", Type: "V70", OwnerID: fmt.Sprint("c-", i)}}, t0), "")
	}
	e.waitProcessed(10)

	type page struct {
		Items []map[string]any `json:"items"`
		Next  string           `json:"next"`
	}
	for _, list := range []struct{ path, key string }{{"/api/refdata/customers", "customerId"}, {"/api/refdata/vehicles", "licenseNumber"}} {
		var seen []string
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > 5 {
				t.Fatalf("%s: paging does not end", list.path)
			}
			r := e.Do("GET", list.path+"?limit=2&cursor="+cursor, nil)
			var p page
			r.JSON(t, &p)
			if r.Status != http.StatusOK || len(p.Items) > 2 {
				t.Fatalf("%s: %d %s", list.path, r.Status, r.Body)
			}
			for _, it := range p.Items {
				seen = append(seen, it[list.key].(string))
			}
			if p.Next == "" {
				break
			}
			cursor = p.Next
		}
		if len(seen) != 5 {
			t.Fatalf("%s: paged through %v", list.path, seen)
		}
		for i := 1; i < len(seen); i++ {
			if seen[i-1] >= seen[i] {
				t.Fatalf("%s: not ordered or repeated: %v", list.path, seen)
			}
		}
		r := e.Do("GET", list.path, nil)
		var all page
		r.JSON(t, &all)
		if len(all.Items) != 5 || all.Next != "" {
			t.Fatalf("%s default page: %s", list.path, r.Body)
		}
		for _, bad := range []string{"?limit=0", "?limit=201", "?limit=x", "?cursor=%%%", "?cursor=AA"} {
			r := e.Do("GET", list.path+bad, nil)
			if r.Status != http.StatusBadRequest {
				t.Fatalf("%s%s: %d %s", list.path, bad, r.Status, r.Body)
			}
			r.Problem(t, http.StatusBadRequest)
		}
	}
	for _, p := range []string{"/api/refdata/customers/nope", "/api/refdata/customers/%00", "/api/refdata/vehicles/ZZ-1-ZZ",
		"/api/refdata/vehicles/%ff%fe"} {
		if r := e.Do("GET", p, nil); r.Status != http.StatusNotFound {
			t.Fatalf("%s: %d %s", p, r.Status, r.Body)
		}
	}
}

// Sequenced events are applied in their aggregate's order, not by wall-clock time: an
// update whose writer's clock ran behind (an older ce-time) still wins over the
// registration it follows, even when it is delivered first.
func TestRefDataFollowsSequenceNotWallClock(t *testing.T) {
	t.Parallel()
	e, _ := setup(t, options{nats: true})
	t0 := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	registered := servicetest.Event(t, customerevents.Source, customerevents.CustomerRegistered{Customer: customer("c-9", "First Name")}, t0.Add(3*time.Hour))
	registered.Seq = 1
	updated := servicetest.Event(t, customerevents.Source, customerevents.CustomerUpdated{Customer: customer("c-9", "Second Name")}, t0)
	updated.Seq = 2
	e.Publish(updated, "") // delivered first: waits for seq 1
	e.Publish(registered, "")
	e.waitProcessed(2)
	if c, _ := e.customer("c-9"); c.Name != "Second Name" {
		t.Fatalf("the read model followed the wall clock, not the sequence: %+v", c)
	}
}
