package ports_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pitstop/pitstop/invoicing/internal/application"
	"github.com/pitstop/pitstop/invoicing/internal/domain"
	"github.com/pitstop/pitstop/invoicing/internal/ports"
	"github.com/pitstop/pitstop/serviceapis/customerevents"
	"github.com/pitstop/pitstop/serviceapis/timekeeperevents"
	"github.com/pitstop/pitstop/serviceapis/workshopevents"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/messaging"
)

// memory is an in-memory read model and invoice book that accepts everything.
type memory struct{ jobs int }

func (m *memory) UpsertCustomer(context.Context, domain.Customer, application.SourceVersion) (bool, error) {
	return true, nil
}
func (m *memory) RecordJobPlan(context.Context, domain.JobPlan) error     { m.jobs++; return nil }
func (m *memory) RecordJobFinish(context.Context, domain.JobFinish) error { m.jobs++; return nil }
func (m *memory) RecordJobCancel(context.Context, domain.JobKey) (application.JobState, error) {
	return application.JobState{}, nil
}
func (m *memory) RescheduleJob(context.Context, domain.JobKey, time.Time, time.Time) (application.JobState, error) {
	return application.JobState{}, nil
}
func (m *memory) ForgetJob(context.Context, domain.JobKey) (application.JobState, error) {
	return application.JobState{}, nil
}
func (m *memory) PendingJobs(context.Context) ([]application.PendingJob, int, error) {
	return nil, 0, nil
}
func (m *memory) NextInvoiceNumber(_ context.Context, year int) (domain.InvoiceNumber, error) {
	return domain.NewInvoiceNumber(year, 1)
}
func (m *memory) AddInvoice(context.Context, domain.Invoice, application.InvoiceMail, ...events.Envelope) error {
	return nil
}

type html struct{}

func (html) RenderInvoice(domain.Invoice) (string, error) { return "<p></p>", nil }

func handlers() *ports.EventHandlers {
	return ports.NewEventHandlers(application.New(nil, html{}, time.Now), nil)
}

// FuzzEventHandlers feeds arbitrary bodies of every consumed event type to the
// handlers: with storage that never fails, every outcome is either applied (nil) or a
// permanent failure (dead-lettered), never a panic and never a retryable error (which
// would redeliver a poison message until MaxDeliver).
func FuzzEventHandlers(f *testing.F) {
	types := []string{customerevents.SubjectCustomerRegistered, customerevents.SubjectCustomerUpdated,
		workshopevents.SubjectMaintenanceJobPlanned, workshopevents.SubjectMaintenanceJobFinished,
		timekeeperevents.SubjectDayHasPassed, "pitstop.other.Thing",
		workshopevents.SubjectMaintenanceJobCancelled, workshopevents.SubjectMaintenanceJobMoved}
	for k := range types {
		f.Add(uint8(k), []byte(`{}`))
	}
	f.Add(uint8(0), []byte(`{"customerId":"c","name":"<script>","address":"a","postalCode":"p","city":"c"}`))
	f.Add(uint8(2), []byte(`{"planningDate":"2026-03-02","jobId":"j","startTime":"2026-03-02T08:00:00+01:00",`+
		`"endTime":"2026-03-02T10:00:00+01:00","description":"d","customer":{"customerId":"c"},"vehicle":{"licenseNumber":"AB-12-C"}}`))
	f.Add(uint8(3), []byte(`{"planningDate":"2026-03-02","jobId":"j","actualStartTime":"2026-03-02T08:00:00Z",`+
		`"actualEndTime":"2026-03-02T07:00:00Z"}`))
	f.Add(uint8(3), []byte(`{"planningDate":"2026-03-02","jobId":"j","actualStartTime":"0001-01-01T00:00:00Z",`+
		`"actualEndTime":"9999-12-31T23:59:59Z"}`))
	f.Add(uint8(4), []byte(`{"date":"2026-02-30"}`))
	f.Add(uint8(4), []byte(`{"date":"2026-03-03"}`))
	f.Add(uint8(4), []byte(`[1,2]`))
	f.Add(uint8(6), []byte(`{"planningDate":"2026-03-02","jobId":"j","reason":"customer called"}`))
	f.Add(uint8(6), []byte(`{"planningDate":"2026-03-02","jobId":" "}`))
	f.Add(uint8(7), []byte(`{"planningDate":"2026-03-02","jobId":"j","toPlanningDate":"2026-03-02","toJobId":"j",`+
		`"startTime":"2026-03-02T13:00:00+01:00","endTime":"2026-03-02T15:00:00+01:00"}`))
	f.Add(uint8(7), []byte(`{"planningDate":"2026-03-02","jobId":"j","toPlanningDate":"2026-03-05","toJobId":"k"}`))
	f.Add(uint8(7), []byte(`{"planningDate":"2026-03-02","jobId":"j","toPlanningDate":"2026-03-02"}`))
	f.Fuzz(func(t *testing.T, typ uint8, body []byte) {
		ev := events.Envelope{ID: uuid.New(), Type: types[int(typ)%len(types)], Source: "fuzz", Time: time.Now(), Data: body}
		err := handlers().Handle(context.Background(), &memory{}, ev)
		if err != nil && !errors.Is(err, messaging.ErrPermanent) {
			t.Fatalf("%s %q: retryable error %v", ev.Type, body, err)
		}
	})
}

func TestEventHandlersClassifyErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		typ, body string
		permanent bool
	}{
		{workshopevents.SubjectMaintenanceJobFinished, `{"planningDate":"2026-03-02","jobId":"j",` +
			`"actualStartTime":"2026-03-02T08:00:00Z","actualEndTime":"2026-03-02T09:00:00Z"}`, false},
		{workshopevents.SubjectMaintenanceJobFinished, `{"planningDate":"2026-03-02","jobId":"j",` +
			`"actualStartTime":"2026-03-02T08:00:00Z","actualEndTime":"2026-03-02T07:00:00Z"}`, true},
		{workshopevents.SubjectMaintenanceJobFinished, `{"planningDate":"2026-03-02","jobId":"j",` +
			`"actualStartTime":"8 o'clock","actualEndTime":"2026-03-02T07:00:00Z"}`, true},
		{workshopevents.SubjectMaintenanceJobPlanned, `{"planningDate":"2026-03-02","jobId":"j",` +
			`"startTime":"2026-03-02T08:00:00Z","endTime":"2026-03-02T09:00:00Z","customer":{"customerId":""}}`, true},
		{customerevents.SubjectCustomerRegistered, `{"customerId":"c","name":"x\u0000"}`, true},
		{customerevents.SubjectCustomerRegistered, `{"customerId":5}`, true},
		{timekeeperevents.SubjectDayHasPassed, `{"date":"03-03-2026"}`, true},
		{timekeeperevents.SubjectDayHasPassed, `{"date":"2026-03-03"}`, false},
		{"pitstop.vehicles.VehicleRegistered", `{}`, false},
		{workshopevents.SubjectMaintenanceJobCancelled, `{"planningDate":"2026-03-02","jobId":"j"}`, false},
		{workshopevents.SubjectMaintenanceJobCancelled, `{"planningDate":"2026-03-02"}`, true},
		{workshopevents.SubjectMaintenanceJobMoved, `{"planningDate":"2026-03-02","jobId":"j",` +
			`"toPlanningDate":"2026-03-04","toJobId":"k"}`, false},
		{workshopevents.SubjectMaintenanceJobMoved, `{"planningDate":"2026-03-02","jobId":"j",` +
			`"toPlanningDate":"2026-03-02","startTime":"2026-03-02T13:00:00Z","endTime":"2026-03-02T14:00:00Z"}`, false},
		{workshopevents.SubjectMaintenanceJobMoved, `{"planningDate":"2026-03-02","jobId":"j",` +
			`"toPlanningDate":"2026-03-02","startTime":"13:00"}`, true},
		{workshopevents.SubjectMaintenanceJobMoved, `{"planningDate":"2026-03-02","jobId":"j"}`, true},
	} {
		err := handlers().Handle(context.Background(), &memory{},
			events.Envelope{ID: uuid.New(), Type: tc.typ, Time: time.Now(), Data: []byte(tc.body)})
		if tc.permanent != errors.Is(err, messaging.ErrPermanent) || (!tc.permanent && err != nil) {
			t.Errorf("%s %s: error %v, permanent %v", tc.typ, tc.body, err, tc.permanent)
		}
	}
}
