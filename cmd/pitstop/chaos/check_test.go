package chaos

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/pitstop/pitstop/serviceapis/customerevents"
	"github.com/pitstop/pitstop/serviceapis/invoicingevents"
	"github.com/pitstop/pitstop/serviceapis/notificationevents"
	"github.com/pitstop/pitstop/serviceapis/timekeeperevents"
	"github.com/pitstop/pitstop/serviceapis/vehicleevents"
	"github.com/pitstop/pitstop/serviceapis/workshopevents"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

// producedQuery lists every aggregate with the number of events its producer committed:
// the outbox contexts' per-aggregate sequence counters, and the workshop's event store
// (whose events carry the aggregate version as their sequence).
const producedQuery = `
	SELECT 'customers/' || subject, seq FROM customers.outbox_sequence
	UNION ALL SELECT 'vehicles/' || subject, seq FROM vehicles.outbox_sequence
	UNION ALL SELECT 'timekeeper/' || subject, seq FROM timekeeper.outbox_sequence
	UNION ALL SELECT 'notifications/' || subject, seq FROM notifications.outbox_sequence
	UNION ALL SELECT 'invoicing/' || subject, seq FROM invoicing.outbox_sequence
	UNION ALL SELECT 'workshop/' || stream_id, max(version) FROM workshop.events GROUP BY stream_id`

// produced returns the number of committed events of each aggregate ("<context>/<subject>").
func produced(ctx context.Context, db *pgxpool.Pool) (map[string]int64, error) {
	rows, err := db.Query(ctx, producedQuery)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for rows.Next() {
		var agg string
		var n int64
		if err := rows.Scan(&agg, &n); err != nil {
			return nil, err
		}
		out[agg] = n
	}
	return out, rows.Err()
}

func contextOf(aggregate string) string {
	c, _, _ := strings.Cut(aggregate, "/")
	return c
}

// expectedFor is how many events a consumer receiving contexts must have applied.
func expectedFor(prod map[string]int64, contexts []string) int64 {
	var n int64
	for agg, c := range prod {
		if slices.Contains(contexts, contextOf(agg)) {
			n += c
		}
	}
	return n
}

// inboxCount is how many events a consumer has applied.
func inboxCount(ctx context.Context, db *pgxpool.Pool, c consumerSpec) (int64, error) {
	var n int64
	err := db.QueryRow(ctx, `SELECT count(*) FROM `+c.schema+`.inbox WHERE consumer = $1`, c.name).Scan(&n)
	return n, err
}

// lagging describes the consumers of specs that have not applied every event the
// producers committed so far ("" when all have).
func lagging(ctx context.Context, db *pgxpool.Pool, specs []consumerSpec) (string, error) {
	prod, err := produced(ctx, db)
	if err != nil {
		return "", err
	}
	var behind []string
	for _, c := range specs {
		have, err := inboxCount(ctx, db, c)
		if err != nil {
			return "", err
		}
		if want := expectedFor(prod, c.receives); have != want {
			behind = append(behind, fmt.Sprintf("%s applied %d of %d events", c.name, have, want))
		}
	}
	return strings.Join(behind, "; "), nil
}

// waitCaughtUp polls until every consumer of specs has applied every committed event of
// the contexts it receives.
func waitCaughtUp(ctx context.Context, db *pgxpool.Pool, specs []consumerSpec, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	last := "no answer from Postgres"
	for {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		behind, err := lagging(cctx, db, specs)
		cancel()
		switch {
		case err == nil && behind == "":
			return nil
		case err == nil:
			last = behind
		default:
			last = err.Error()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("consumers not caught up after %s: %s", timeout, last)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// quietness says what still moves ("" when the system is quiet): unpublished outbox
// rows, unsent mails, consumers behind their producers, messages pending or unacked
// in JetStream.
func quietness(ctx context.Context, db *pgxpool.Pool, js jetstream.JetStream) (string, error) {
	var busy []string
	for _, s := range producers {
		var n int64
		if err := db.QueryRow(ctx, `SELECT count(*) FROM `+s+`.outbox`).Scan(&n); err != nil {
			return "", err
		}
		if n > 0 {
			busy = append(busy, fmt.Sprintf("%s outbox holds %d rows", s, n))
		}
	}
	for _, s := range []string{notificationsCtx, invoicingCtx} {
		var n int64
		if err := db.QueryRow(ctx, `SELECT count(*) FROM `+s+`.mail_outbox WHERE sent_at IS NULL`).Scan(&n); err != nil {
			return "", err
		}
		if n > 0 {
			busy = append(busy, fmt.Sprintf("%s has %d unsent mails", s, n))
		}
	}
	behind, err := lagging(ctx, db, consumers)
	if err != nil {
		return "", err
	}
	if behind != "" {
		busy = append(busy, behind)
	}
	for _, c := range consumers {
		cons, err := js.Consumer(ctx, messaging.StreamName, c.name)
		if err != nil {
			return "", err
		}
		info, err := cons.Info(ctx)
		if err != nil {
			return "", err
		}
		if info.NumPending > 0 || info.NumAckPending > 0 {
			busy = append(busy, fmt.Sprintf("JetStream consumer %s: %d pending, %d unacknowledged", c.name, info.NumPending, info.NumAckPending))
		}
	}
	return strings.Join(busy, "; "), nil
}

// waitQuiet polls until the system is quiet twice in a row.
func waitQuiet(ctx context.Context, db *pgxpool.Pool, js jetstream.JetStream, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	last, quietOnce := "no answer", false
	for {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		busy, err := quietness(cctx, db, js)
		cancel()
		switch {
		case err == nil && busy == "":
			if quietOnce {
				return nil
			}
			quietOnce = true
		case err == nil:
			last, quietOnce = busy, false
		default:
			last, quietOnce = err.Error(), false
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("system not quiet after %s: %s", timeout, last)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// ---------------------------------------------------------------------------------
// The checker.

// findings collects the checker's failures by area, keeping the first few of each.
type findings struct {
	byArea map[string][]string
	count  map[string]int
	order  []string
}

func (f *findings) add(area, format string, args ...any) {
	if f.byArea == nil {
		f.byArea, f.count = map[string][]string{}, map[string]int{}
	}
	if f.count[area] == 0 {
		f.order = append(f.order, area)
	}
	f.count[area]++
	if len(f.byArea[area]) < 12 {
		f.byArea[area] = append(f.byArea[area], fmt.Sprintf(format, args...))
	}
}

func (f *findings) String() string {
	var b strings.Builder
	for _, a := range f.order {
		fmt.Fprintf(&b, "%s: %d finding(s)\n", a, f.count[a])
		for _, s := range f.byArea[a] {
			fmt.Fprintf(&b, "    %s\n", s)
		}
		if f.count[a] > len(f.byArea[a]) {
			fmt.Fprintf(&b, "    ... and %d more\n", f.count[a]-len(f.byArea[a]))
		}
	}
	return b.String()
}

func (f *findings) empty() bool { return len(f.order) == 0 }

// figures are the checker's counts for the report.
type figures struct {
	events           int64 // committed by the producers
	streamMsgs       int   // messages in the stream
	streamDuplicates int   // copies of an event id beyond the first
	reminders        int
	invoices         int
	mailsDelivered   int // SMTP deliveries
	mailDuplicates   int // deliveries of a Message-ID beyond the first
	inboxRows        int64
}

// expectedOutcome is what the model says the system must hold.
type expectedOutcome struct {
	reminders map[[2]string][]string // (customerId, date) -> job ids
	invoices  map[[2]string][]string // (customerId, invoice date) -> job ids
	amounts   map[[2]string]int64    // (customerId, invoice date) -> cents
	byType    map[string]int64       // event type -> count
}

// expectation derives, from the successful commands, the reminders, invoices and
// events that the system must end with.
func (m *model) expectation() expectedOutcome {
	m.mu.Lock()
	defer m.mu.Unlock()
	x := expectedOutcome{reminders: map[[2]string][]string{}, invoices: map[[2]string][]string{},
		amounts: map[[2]string]int64{}, byType: map[string]int64{}}
	advances := m.counts[cmdAdvanceDay]
	daysUsed := map[string]bool{}
	for _, j := range m.jobs {
		daysUsed[j.date] = true
		// Reminded when its day began (advance j.day) if it was not finished by then.
		if j.day <= advances && (j.finishedIn == 0 || j.finishedIn > j.day) {
			k := [2]string{j.cust.id, j.date}
			x.reminders[k] = append(x.reminders[k], j.id)
		}
		// Invoiced when the next business day began after it was finished.
		if j.finishedIn > 0 && j.finishedIn <= advances {
			k := [2]string{j.cust.id, m.days[j.finishedIn-1]}
			x.invoices[k] = append(x.invoices[k], j.id)
			x.amounts[k] += int64(j.hours) * centsPerHour
		}
	}
	for _, c := range m.customers {
		x.byType[customerevents.SubjectCustomerUpdated] += int64(c.updates)
	}
	x.byType[customerevents.SubjectCustomerRegistered] = int64(m.counts[cmdRegisterCustomer])
	x.byType[vehicleevents.SubjectVehicleRegistered] = int64(m.counts[cmdRegisterVehicle])
	x.byType[workshopevents.SubjectWorkshopPlanningCreated] = int64(len(daysUsed))
	x.byType[workshopevents.SubjectMaintenanceJobPlanned] = int64(m.counts[cmdPlanJob])
	x.byType[workshopevents.SubjectMaintenanceJobFinished] = int64(m.counts[cmdFinishJob])
	x.byType[timekeeperevents.SubjectDayHasPassed] = int64(1 + advances)
	x.byType[notificationevents.SubjectMaintenanceReminderSent] = int64(len(x.reminders))
	x.byType[invoicingevents.SubjectInvoiceCreated] = int64(len(x.invoices))
	return x
}

// streamEvent is one message of the stream.
type streamEvent struct {
	id, aggregate string
	seq           int64
}

// readStream reads every message of the Pitstop stream.
func readStream(ctx context.Context, js jetstream.JetStream) ([]streamEvent, error) {
	stream, err := js.Stream(ctx, messaging.StreamName)
	if err != nil {
		return nil, err
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return nil, err
	}
	total := int(info.State.Msgs)
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return nil, err
	}
	out := make([]streamEvent, 0, total)
	for len(out) < total {
		batch, err := cons.Fetch(500, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return nil, err
		}
		n := 0
		for msg := range batch.Messages() {
			n++
			env, err := events.FromMsg(msg.Subject(), msg.Headers(), msg.Data())
			if err != nil {
				return nil, fmt.Errorf("stream message %s: %w", msg.Subject(), err)
			}
			agg := ""
			if env.Subject != "" {
				agg = messaging.AggregateKey(env)
			}
			out = append(out, streamEvent{id: env.ID.String(), aggregate: agg, seq: env.Seq})
		}
		if err := batch.Error(); err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, fmt.Errorf("read %d of %d stream messages, then nothing", len(out), total)
		}
	}
	return out, nil
}

// check runs every assertion on the quiet system and returns its findings.
func check(ctx context.Context, db *pgxpool.Pool, js jetstream.JetStream, m *model, mails []testutil.ReceivedMail,
	killedMailers map[string]int) (*findings, figures, error) {
	f := &findings{}
	var fig figures
	x := m.expectation()

	// Dead letters and outboxes.
	for _, s := range producers {
		var rows, dead int64
		if err := db.QueryRow(ctx, `SELECT (SELECT count(*) FROM `+s+`.outbox), (SELECT count(*) FROM `+s+`.outbox_dead_letter)`).
			Scan(&rows, &dead); err != nil {
			return nil, fig, err
		}
		if rows > 0 {
			f.add("outbox not empty", "%s.outbox holds %d rows", s, rows)
		}
		if dead > 0 {
			r, err := db.Query(ctx, `SELECT event_type, subject, seq, error FROM `+s+`.outbox_dead_letter ORDER BY id`)
			if err != nil {
				return nil, fig, err
			}
			for r.Next() {
				var typ, subject, reason string
				var seq int64
				if err := r.Scan(&typ, &subject, &seq, &reason); err != nil {
					return nil, fig, err
				}
				f.add("outbox dead letters", "%s: %s %s seq %d: %s", s, typ, subject, seq, reason)
			}
			r.Close()
		}
	}
	for _, c := range consumers {
		r, err := db.Query(ctx, `SELECT event_type, subject, aggregate, seq, deliveries, reason FROM `+c.schema+`.consumer_dead_letter ORDER BY id`)
		if err != nil {
			return nil, fig, err
		}
		for r.Next() {
			var typ, subject, agg, reason string
			var seq int64
			var deliveries int
			if err := r.Scan(&typ, &subject, &agg, &seq, &deliveries, &reason); err != nil {
				return nil, fig, err
			}
			f.add("consumer dead letters", "%s: %s %s (%s seq %d) after %d deliveries: %s", c.name, typ, subject, agg, seq, deliveries, reason)
		}
		r.Close()
	}

	// What the producers committed, against the successful commands.
	prod, err := produced(ctx, db)
	if err != nil {
		return nil, fig, err
	}
	perContext := map[string]int64{}
	for agg, n := range prod {
		perContext[contextOf(agg)] += n
		fig.events += n
	}
	var wsCount, wsGaps int64
	if err := db.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE version <> rn) FROM (
		SELECT version, row_number() OVER (PARTITION BY stream_id ORDER BY version) AS rn FROM workshop.events) e`).
		Scan(&wsCount, &wsGaps); err != nil {
		return nil, fig, err
	}
	if wsGaps > 0 || wsCount != perContext[workshopCtx] {
		f.add("producers", "workshop event store: %d events, %d out of sequence, versions sum to %d", wsCount, wsGaps, perContext[workshopCtx])
	}
	wantCtx := map[string]int64{
		customersCtx: x.byType[customerevents.SubjectCustomerRegistered] + x.byType[customerevents.SubjectCustomerUpdated],
		vehiclesCtx:  x.byType[vehicleevents.SubjectVehicleRegistered],
		workshopCtx: x.byType[workshopevents.SubjectWorkshopPlanningCreated] + x.byType[workshopevents.SubjectMaintenanceJobPlanned] +
			x.byType[workshopevents.SubjectMaintenanceJobFinished],
		timekeeperCtx:    x.byType[timekeeperevents.SubjectDayHasPassed],
		notificationsCtx: x.byType[notificationevents.SubjectMaintenanceReminderSent],
		invoicingCtx:     x.byType[invoicingevents.SubjectInvoiceCreated],
	}
	for _, c := range producers {
		if perContext[c] != wantCtx[c] {
			f.add("producers", "%s committed %d events; the successful commands (and the model's reminders and invoices) make %d",
				c, perContext[c], wantCtx[c])
		}
	}
	var nCustomers, nVehicles int64
	if err := db.QueryRow(ctx, `SELECT (SELECT count(*) FROM customers.customers), (SELECT count(*) FROM vehicles.vehicles)`).
		Scan(&nCustomers, &nVehicles); err != nil {
		return nil, fig, err
	}
	if nCustomers != x.byType[customerevents.SubjectCustomerRegistered] || nVehicles != x.byType[vehicleevents.SubjectVehicleRegistered] {
		f.add("producers", "%d customers and %d vehicles stored, %d and %d registered", nCustomers, nVehicles,
			x.byType[customerevents.SubjectCustomerRegistered], x.byType[vehicleevents.SubjectVehicleRegistered])
	}

	// The audit log: every event once.
	audit := map[string]bool{}
	auditByType := map[string]int64{}
	rows, err := db.Query(ctx, `SELECT event_id::text, type FROM auditlog.audit_entries`)
	if err != nil {
		return nil, fig, err
	}
	var auditTotal int64
	for rows.Next() {
		var id, typ string
		if err := rows.Scan(&id, &typ); err != nil {
			return nil, fig, err
		}
		auditTotal++
		if audit[id] {
			f.add("audit log", "event %s recorded twice", id)
		}
		audit[id] = true
		auditByType[typ]++
	}
	if err := rows.Err(); err != nil {
		return nil, fig, err
	}
	if auditTotal != fig.events {
		f.add("audit log", "%d entries, but the producers committed %d events", auditTotal, fig.events)
	}
	for _, typ := range slices.Sorted(keys(x.byType, auditByType)) {
		if auditByType[typ] != x.byType[typ] {
			f.add("audit log", "%d %s entries, want %d", auditByType[typ], typ, x.byType[typ])
		}
	}

	// The stream: every committed event was published (at least once), in aggregate order.
	stream, err := readStream(ctx, js)
	if err != nil {
		return nil, fig, fmt.Errorf("read the stream: %w", err)
	}
	fig.streamMsgs = len(stream)
	copies := map[string]int{}
	seqs := map[string]map[int64]bool{}
	for _, e := range stream {
		copies[e.id]++
		if copies[e.id] > 1 {
			fig.streamDuplicates++
			continue
		}
		if seqs[e.aggregate] == nil {
			seqs[e.aggregate] = map[int64]bool{}
		}
		if seqs[e.aggregate][e.seq] {
			f.add("stream", "two different events of %s carry seq %d", e.aggregate, e.seq)
		}
		seqs[e.aggregate][e.seq] = true
		if !audit[e.id] {
			f.add("audit log", "event %s (%s seq %d) is in the stream but not in the audit log", e.id, e.aggregate, e.seq)
		}
	}
	for id := range audit {
		if copies[id] == 0 {
			f.add("stream", "audit entry %s is not in the stream", id)
		}
	}
	for _, agg := range slices.Sorted(keys(prod, seqs)) {
		n := prod[agg]
		got := seqs[agg]
		if int64(len(got)) != n {
			f.add("stream", "%s: %d distinct events in the stream, %d committed", agg, len(got), n)
			continue
		}
		for s := int64(1); s <= n; s++ {
			if !got[s] {
				f.add("stream", "%s: seq %d missing from the stream", agg, s)
				break
			}
		}
	}

	// Each consumer applied each aggregate's events once, in order: 1, 2, ..., n.
	for _, c := range consumers {
		r, err := db.Query(ctx, `SELECT aggregate, array_agg(seq ORDER BY applied) FROM `+c.schema+`.inbox
			WHERE consumer = $1 GROUP BY aggregate`, c.name)
		if err != nil {
			return nil, fig, err
		}
		applied := map[string][]int64{}
		for r.Next() {
			var agg string
			var s []int64
			if err := r.Scan(&agg, &s); err != nil {
				return nil, fig, err
			}
			applied[agg] = s
			fig.inboxRows += int64(len(s))
		}
		if err := r.Err(); err != nil {
			return nil, fig, err
		}
		for _, agg := range slices.Sorted(keys(prod, applied)) {
			if !slices.Contains(c.receives, contextOf(agg)) {
				if len(applied[agg]) > 0 {
					f.add("consumer order", "%s applied %d events of %s, a context it does not receive", c.name, len(applied[agg]), agg)
				}
				continue
			}
			got, n := applied[agg], prod[agg]
			ok := int64(len(got)) == n
			for i := 0; ok && i < len(got); i++ {
				ok = got[i] == int64(i+1)
			}
			if !ok {
				f.add("consumer order", "%s applied %s as seq %v, want 1..%d", c.name, agg, abbreviate(got), n)
			}
		}
	}

	// Reminders: one per customer and day with unfinished jobs, listing exactly those.
	type stored struct {
		jobs      []string
		messageID string
		cents     int64
	}
	reminders := map[[2]string][]stored{}
	reminderIDs := map[string]bool{}
	r, err := db.Query(ctx, `SELECT customer_id, reminder_date::text, job_ids, message_id FROM notifications.reminders`)
	if err != nil {
		return nil, fig, err
	}
	for r.Next() {
		var cust, date, mid string
		var jobs []string
		if err := r.Scan(&cust, &date, &jobs, &mid); err != nil {
			return nil, fig, err
		}
		k := [2]string{cust, date}
		reminders[k] = append(reminders[k], stored{jobs: jobs, messageID: mid})
		reminderIDs[mid] = true
		fig.reminders++
	}
	if err := r.Err(); err != nil {
		return nil, fig, err
	}
	for _, k := range slices.SortedFunc(keys(x.reminders, reminders), cmpKey) {
		got, want := reminders[k], x.reminders[k]
		switch {
		case len(got) == 0:
			f.add("reminders", "customer %s got no reminder for %s (jobs %v)", k[0], k[1], want)
		case len(want) == 0:
			f.add("reminders", "customer %s got %d unexpected reminder(s) for %s: %v", k[0], len(got), k[1], got[0].jobs)
		case len(got) > 1:
			f.add("reminders", "customer %s got %d reminders for %s", k[0], len(got), k[1])
		case !sameSet(got[0].jobs, want):
			f.add("reminders", "customer %s's reminder for %s lists %v, want %v", k[0], k[1], got[0].jobs, want)
		}
	}

	// Invoices: one per customer and business day with newly finished jobs, each job
	// once, at €18.50 per hour.
	invoices := map[[2]string][]stored{}
	invoiceIDs := map[string]bool{}
	r, err = db.Query(ctx, `SELECT i.customer_id, i.invoice_date::text, i.amount_cents, i.message_id,
			coalesce(array_agg(l.job_id) FILTER (WHERE l.job_id IS NOT NULL), '{}')
		FROM invoicing.invoices i LEFT JOIN invoicing.invoice_lines l USING (invoice_id)
		GROUP BY i.invoice_id`)
	if err != nil {
		return nil, fig, err
	}
	for r.Next() {
		var cust, date, mid string
		var cents int64
		var jobs []string
		if err := r.Scan(&cust, &date, &cents, &mid, &jobs); err != nil {
			return nil, fig, err
		}
		k := [2]string{cust, date}
		invoices[k] = append(invoices[k], stored{jobs: jobs, messageID: mid, cents: cents})
		invoiceIDs[mid] = true
		fig.invoices++
	}
	if err := r.Err(); err != nil {
		return nil, fig, err
	}
	invoicedJob := map[string]int{}
	for _, k := range slices.SortedFunc(keys(x.invoices, invoices), cmpKey) {
		got, want := invoices[k], x.invoices[k]
		for _, g := range got {
			for _, j := range g.jobs {
				invoicedJob[j]++
			}
		}
		switch {
		case len(got) == 0:
			f.add("invoices", "customer %s was not invoiced on %s (jobs %v)", k[0], k[1], want)
		case len(want) == 0:
			f.add("invoices", "customer %s got %d unexpected invoice(s) on %s: %v", k[0], len(got), k[1], got[0].jobs)
		case len(got) > 1:
			f.add("invoices", "customer %s got %d invoices on %s", k[0], len(got), k[1])
		case !sameSet(got[0].jobs, want):
			f.add("invoices", "customer %s's invoice of %s bills %v, want %v", k[0], k[1], got[0].jobs, want)
		case got[0].cents != x.amounts[k]:
			f.add("invoices", "customer %s's invoice of %s is %d cents, want %d", k[0], k[1], got[0].cents, x.amounts[k])
		}
	}
	for j, n := range invoicedJob {
		if n > 1 {
			f.add("invoices", "job %s is on %d invoices", j, n)
		}
	}

	// Mails: every reminder and invoice mail delivered; a Message-ID more than once only
	// if a process of its sender was killed (a send whose marking died with it).
	delivered := map[string]int{}
	for _, mail := range mails {
		fig.mailsDelivered++
		delivered[mail.MessageID]++
		if delivered[mail.MessageID] > 1 {
			fig.mailDuplicates++
		}
		if !reminderIDs[mail.MessageID] && !invoiceIDs[mail.MessageID] {
			f.add("mails", "mail %q (%s) is neither a reminder nor an invoice", mail.MessageID, mail.Subject)
		}
	}
	for _, kind := range []struct {
		sender string
		ids    map[string]bool
	}{{notificationsCtx, reminderIDs}, {invoicingCtx, invoiceIDs}} {
		for _, id := range slices.Sorted(mapKeys(kind.ids)) {
			switch n := delivered[id]; {
			case n == 0:
				f.add("mails", "%s mail %s was never delivered", kind.sender, id)
			case n > 1 && killedMailers[kind.sender] == 0:
				f.add("mails", "%s mail %s was delivered %d times though no %s process was killed", kind.sender, id, n, kind.sender)
			}
		}
	}
	return f, fig, nil
}

func keys[K comparable, V1, V2 any](a map[K]V1, b map[K]V2) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range a {
			if !yield(k) {
				return
			}
		}
		for k := range b {
			if _, ok := a[k]; ok {
				continue
			}
			if !yield(k) {
				return
			}
		}
	}
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func cmpKey(a, b [2]string) int {
	if c := strings.Compare(a[1], b[1]); c != 0 {
		return c
	}
	return strings.Compare(a[0], b[0])
}

func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	sort.Strings(x)
	sort.Strings(y)
	return slices.Equal(x, y)
}

// abbreviate prints a sequence that should be 1, 2, ..., n: whole when short, else
// around its first deviation.
func abbreviate(s []int64) string {
	if len(s) <= 12 {
		return fmt.Sprint(s)
	}
	i := 0
	for i < len(s) && s[i] == int64(i+1) {
		i++
	}
	from, to := max(0, i-3), min(len(s), i+4)
	parts := make([]string, 0, to-from+2)
	if from > 0 {
		parts = append(parts, "...")
	}
	for _, v := range s[from:to] {
		parts = append(parts, strconv.FormatInt(v, 10))
	}
	if to < len(s) {
		parts = append(parts, "...")
	}
	return fmt.Sprintf("[%s] (%d events, first deviation at position %d)", strings.Join(parts, " "), len(s), i+1)
}

// diagnose describes where events are stuck: outbox rows per schema, each consumer's
// progress per context and its first lagging aggregates, JetStream's view of each
// consumer, and recorded handler failures.
func diagnose(ctx context.Context, db *pgxpool.Pool, js jetstream.JetStream, procs *processes) string {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var b strings.Builder
	for _, p := range procs.all {
		if !p.relay && slices.Contains(consumerServices, p.ctxName) {
			fmt.Fprintf(&b, "%s metrics: %s\n", p.name, consumerMetrics(ctx, p))
		}
	}
	for _, s := range producers {
		var n, retrying int64
		var lastErr *string
		err := db.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE attempts > 0), max(last_error) FROM `+s+`.outbox`).
			Scan(&n, &retrying, &lastErr)
		switch {
		case err != nil:
			fmt.Fprintf(&b, "outbox %s: %v\n", s, err)
		case n > 0:
			fmt.Fprintf(&b, "outbox %s: %d rows, %d retrying, an error: %v\n", s, n, retrying, deref(lastErr))
		}
	}
	prod, err := produced(ctx, db)
	if err != nil {
		fmt.Fprintf(&b, "produced: %v\n", err)
		return b.String()
	}
	for _, c := range consumers {
		rows, err := db.Query(ctx, `SELECT aggregate, last_seq FROM `+c.schema+`.inbox_sequence WHERE consumer = $1`, c.name)
		if err != nil {
			fmt.Fprintf(&b, "%s: %v\n", c.name, err)
			continue
		}
		last := map[string]int64{}
		for rows.Next() {
			var agg string
			var n int64
			if rows.Scan(&agg, &n) == nil {
				last[agg] = n
			}
		}
		rows.Close()
		var lag []string
		behind := map[string][2]int64{}
		for _, agg := range slices.Sorted(mapKeys(prod)) {
			if !slices.Contains(c.receives, contextOf(agg)) {
				continue
			}
			x := behind[contextOf(agg)]
			x[0] += last[agg]
			x[1] += prod[agg]
			behind[contextOf(agg)] = x
			if last[agg] < prod[agg] && len(lag) < 5 {
				lag = append(lag, fmt.Sprintf("%s at %d of %d", agg, last[agg], prod[agg]))
			}
		}
		fmt.Fprintf(&b, "%s applied (per context, of produced): %v; lagging e.g. %v\n", c.name, behind, lag)
		if js != nil {
			if cons, err := js.Consumer(ctx, messaging.StreamName, c.name); err == nil {
				if info, err := cons.Info(ctx); err == nil {
					fmt.Fprintf(&b, "    JetStream: pending %d, ack pending %d, redelivered %d, delivered stream seq %d, ack floor %d, waiting %d\n",
						info.NumPending, info.NumAckPending, info.NumRedelivered, info.Delivered.Stream, info.AckFloor.Stream, info.NumWaiting)
				}
			}
		}
		fr, err := db.Query(ctx, `SELECT event_id::text, failures, last_error FROM `+c.schema+`.consumer_failure WHERE consumer = $1 LIMIT 5`, c.name)
		if err == nil {
			for fr.Next() {
				var id, msg string
				var n int
				if fr.Scan(&id, &n, &msg) == nil {
					fmt.Fprintf(&b, "    failure: event %s x%d: %s\n", id, n, msg)
				}
			}
			fr.Close()
		}
	}
	if js != nil {
		if s, err := js.Stream(ctx, messaging.StreamName); err == nil {
			if info, err := s.Info(ctx); err == nil {
				fmt.Fprintf(&b, "stream: %d messages, last seq %d\n", info.State.Msgs, info.State.LastSeq)
			}
		}
	}
	return b.String()
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// consumerMetrics reads a consumer process's counters from its /metrics.
func consumerMetrics(ctx context.Context, p *proc) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url("/metrics"), nil)
	if err != nil {
		return err.Error()
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err.Error()
	}
	var out []string
	for _, line := range strings.Split(string(body), "\n") {
		for _, name := range []string{"processed_total", "duplicates_total", "out_of_order_total", "failures_total", "lag"} {
			if strings.HasPrefix(line, "pitstop_consumer_"+name+"{") {
				f := strings.Fields(line)
				out = append(out, name+"="+f[len(f)-1])
			}
		}
	}
	return strings.Join(out, " ") + " (since its last start)"
}
