package ports_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pitstop/pitstop/notifications/internal/adapters"
	"github.com/pitstop/pitstop/notifications/internal/application"
	"github.com/pitstop/pitstop/notifications/internal/ports"
	"github.com/pitstop/pitstop/serviceapis/customerevents"
	"github.com/pitstop/pitstop/serviceapis/timekeeperevents"
	"github.com/pitstop/pitstop/serviceapis/workshopevents"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/mail"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/outbox"
	"github.com/pitstop/pitstop/shared-go/postgres"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

// consumed are the event types the handler applies, indexed by the fuzzer.
var consumed = []string{
	customerevents.SubjectCustomerRegistered,
	customerevents.SubjectCustomerUpdated,
	workshopevents.SubjectMaintenanceJobPlanned,
	workshopevents.SubjectMaintenanceJobFinished,
	timekeeperevents.SubjectDayHasPassed,
	workshopevents.SubjectMaintenanceJobCancelled,
	workshopevents.SubjectMaintenanceJobMoved,
}

// FuzzHandleEvent feeds arbitrary bodies of every consumed event type through the
// notifications event handler, in a real transaction on a real database whose state
// accumulates across inputs (so DayHasPassed and CustomerRegistered send reminders of
// whatever was planned before, with whatever data). Whatever the input, the handler
// either applies it or rejects it as permanent (dead-lettered at once); it is never a
// transient failure, which would be redelivered until MaxDeliver for nothing.
//
// As a normal test it runs the seed corpus; explore with
//
//	go test ./notifications/internal/ports -run '^$' -fuzz FuzzHandleEvent
func FuzzHandleEvent(f *testing.F) {
	seed := func(kind int, v any) {
		data, err := json.Marshal(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(kind), data)
	}
	cust := customerevents.Customer{CustomerID: "c-1", Name: "Lisa", EmailAddress: "lisa@example.com"}
	seed(0, cust)
	seed(1, customerevents.Customer{CustomerID: "c-1", Name: "Lisa\r\nBcc: x@y", EmailAddress: "lisa@example.com"})
	seed(0, customerevents.Customer{CustomerID: "c\x00", EmailAddress: "a@b.c"})
	seed(0, customerevents.Customer{CustomerID: "c-2", EmailAddress: "\"quoted local\"@example.com"})
	seed(0, customerevents.Customer{CustomerID: "c-3", EmailAddress: "ñ@例え.jp"})
	plan := workshopevents.MaintenanceJobPlanned{PlanningDate: "2024-05-01", JobID: "j-1",
		StartTime: "2024-05-01T08:00:00+02:00", EndTime: "2024-05-01T10:00:00+02:00", Description: "APK",
		Customer: workshopevents.JobCustomer{CustomerID: "c-1"}, Vehicle: workshopevents.JobVehicle{LicenseNumber: "AB-123-C"}}
	seed(2, plan)
	odd := plan
	odd.JobID, odd.Description, odd.StartTime = "j-2", "line\nbreak\ttab \u202e", "2024-05-01T07:00:00.123456789-23:59"
	seed(2, odd)
	other := plan
	other.JobID, other.Customer.CustomerID = "j-3", "c-3"
	seed(2, other)
	seed(2, workshopevents.MaintenanceJobPlanned{PlanningDate: "2024-02-30", JobID: "j"})
	seed(3, workshopevents.MaintenanceJobFinished{PlanningDate: "2024-05-01", JobID: "j-9"})
	seed(3, workshopevents.MaintenanceJobFinished{PlanningDate: "", JobID: ""})
	seed(4, timekeeperevents.DayHasPassed{Date: "2024-05-01"})
	seed(4, timekeeperevents.DayHasPassed{Date: "0000-01-01"})
	seed(4, timekeeperevents.DayHasPassed{Date: "9999-12-31"})
	seed(5, workshopevents.MaintenanceJobCancelled{PlanningDate: "2024-05-01", JobID: "j-2", Reason: "customer called"})
	seed(5, workshopevents.MaintenanceJobCancelled{PlanningDate: "2024-05-01", JobID: "never planned"})
	seed(5, workshopevents.MaintenanceJobCancelled{PlanningDate: "2024-05-01"})
	seed(6, workshopevents.MaintenanceJobMoved{PlanningDate: "2024-05-01", JobID: "j-1", ToPlanningDate: "2024-05-01",
		ToJobID: "j-1", StartTime: "2024-05-01T13:00:00+02:00", EndTime: "2024-05-01T15:00:00+02:00"})
	seed(6, workshopevents.MaintenanceJobMoved{PlanningDate: "2024-05-01", JobID: "j-3", ToPlanningDate: "2024-05-02",
		ToJobID: "j-1"})
	seed(6, workshopevents.MaintenanceJobMoved{PlanningDate: "2024-05-01", JobID: "j-1", ToPlanningDate: "2024-05-01",
		StartTime: "2024-05-01T15:00:00+02:00", EndTime: "2024-05-01T13:00:00+02:00"})
	seed(6, workshopevents.MaintenanceJobMoved{PlanningDate: "2024-05-01", JobID: "j-1", ToPlanningDate: "tomorrow"})
	for _, raw := range []string{`{}`, `{"date":1}`, `{"customerId":["x"]}`, `{"jobId":null}`, `{"a":"\ud800"}`} {
		for k := range consumed {
			f.Add(uint8(k), []byte(raw))
		}
	}

	ctx := context.Background()
	pool := testutil.Pool(f, testutil.Database(f), "notifications")
	for _, m := range []func(context.Context, *pgxpool.Pool, string) error{adapters.Migrate, outbox.Migrate, mail.Migrate} {
		if err := m(ctx, pool, "notifications"); err != nil {
			f.Fatal(err)
		}
	}
	app := application.New(adapters.NewReminderPostgresRepository(pool))
	mails := adapters.NewReminderMailQueue("notifications")
	h := messaging.Bind(func(tx pgx.Tx) application.Store { return adapters.NewReminderTxStore(tx, mails, "notifications") },
		ports.NewEventHandlers(app, testutil.Logger(f)).Handle)

	f.Fuzz(func(t *testing.T, kind uint8, body []byte) {
		typ := consumed[int(kind)%len(consumed)]
		var obj map[string]json.RawMessage
		if json.Unmarshal(body, &obj) != nil {
			return // Not a JSON object: the consumer dead-letters it before the handler sees it.
		}
		ev := events.Envelope{ID: uuid.New(), Type: typ, Source: "fuzz", Time: time.Now(), Data: body}
		err := postgres.WithTx(ctx, pool, func(tx pgx.Tx) error { return h(ctx, tx, ev) })
		if err != nil && !errors.Is(err, messaging.ErrPermanent) {
			t.Fatalf("transient failure for %s %s: %v", typ, body, err)
		}
	})
}
