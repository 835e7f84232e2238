package invoicing_test

import (
	"reflect"
	"testing"

	"github.com/pitstop/pitstop/serviceapis/invoicingevents"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

// TestCancelledJobIsNotInvoiced: only the customer's finished job is billed. A
// cancelled job never is: not while it is unfinished, not when a finish arrives for it
// after the cancel (the workshop never finishes a cancelled job; a stray finish bills
// nothing), not when the cancel arrives before the plan.
func TestCancelledJobIsNotInvoiced(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c, done, open, stray, early := newID(), newID(), newID(), newID(), newID()
	e.registerCustomer(c, "Lisa Verbeek")
	e.planJob(done, c, "2026-03-02", "08:00", "10:00")
	e.finishJob(done, "2026-03-02", "08:00", "10:00")
	e.planJob(open, c, "2026-03-02", "10:00", "12:00")
	e.cancelJob(open, "2026-03-02")
	e.planJob(stray, c, "2026-03-02", "13:00", "14:00")
	e.cancelJob(stray, "2026-03-02")
	e.finishJob(stray, "2026-03-02", "13:00", "14:00")
	e.cancelJob(early, "2026-03-02")
	e.planJob(early, c, "2026-03-02", "14:00", "15:00")
	e.finishJob(early, "2026-03-02", "14:00", "15:00")
	e.WaitHandled(e.dayHasPassed("2026-03-03"))

	invs := e.invoices("")
	if len(invs) != 1 || !reflect.DeepEqual(invs[0].JobIDs, []string{done}) || invs[0].Amount.Cents != 3700 {
		t.Fatalf("invoices %+v, want one of job %s only", invs, done)
	}
	if n := e.QueryInt(`SELECT count(*) FROM jobs WHERE job_id = ANY($1) AND cancelled AND invoice_id IS NULL`,
		[]string{open, stray, early}); n != 3 {
		t.Errorf("%d cancelled, uninvoiced job rows, want 3", n)
	}
	if n := e.Count("consumer_dead_letter", "true"); n != 0 {
		t.Errorf("%d events dead-lettered", n)
	}
	// Nothing is left over for a later day either.
	e.WaitHandled(e.dayHasPassed("2026-03-04"))
	if invs := e.invoices(""); len(invs) != 1 {
		t.Errorf("a later day invoiced a cancelled job: %+v", invs)
	}
}

// TestSameJobIDOnTwoDaysIsTwoJobs: the workshop makes job ids unique per day only; the
// same id planned and finished on two days (and on a third day for another customer)
// is three jobs: one customer's invoice has a line for each of their days, none
// overwritten, and the other customer's invoice its own.
func TestSameJobIDOnTwoDaysIsTwoJobs(t *testing.T) {
	t.Parallel()
	e := setup(t)
	lisa, bob, j := newID(), newID(), newID()
	e.registerCustomer(lisa, "Lisa Verbeek")
	e.registerCustomer(bob, "Bob Jansen")
	e.planJob(j, lisa, "2026-03-02", "08:00", "10:00")
	e.planJob(j, lisa, "2026-03-03", "13:00", "14:00")
	e.planJob(j, bob, "2026-03-04", "09:00", "10:30")
	e.finishJob(j, "2026-03-02", "08:00", "10:00")
	e.finishJob(j, "2026-03-03", "13:00", "14:00")
	e.finishJob(j, "2026-03-04", "09:00", "10:30")
	e.WaitHandled(e.dayHasPassed("2026-03-05"))

	invs := e.invoices(lisa)
	if len(invs) != 1 {
		t.Fatalf("lisa's invoices %+v, want 1", invs)
	}
	inv := invs[0]
	if len(inv.Lines) != 2 || !reflect.DeepEqual(inv.JobIDs, []string{j, j}) || inv.Amount.Cents != 5550 {
		t.Fatalf("lisa's invoice %+v, want two lines of job %s", inv, j)
	}
	first, second := inv.Lines[0], inv.Lines[1]
	if first.Date != "2026-03-02" || first.Amount.Cents != 3700 || first.ActualStartTime != "2026-03-02T07:00:00Z" ||
		second.Date != "2026-03-03" || second.Amount.Cents != 1850 || second.ActualStartTime != "2026-03-03T12:00:00Z" {
		t.Errorf("lines %+v, want 2026-03-02 (2 h) and 2026-03-03 (1 h)", inv.Lines)
	}
	bobs := e.invoices(bob)
	if len(bobs) != 1 || len(bobs[0].Lines) != 1 || bobs[0].Lines[0].Date != "2026-03-04" || bobs[0].Amount.Cents != 2775 {
		t.Errorf("bob's invoices %+v, want one line of 2026-03-04 (1.5 h)", bobs)
	}
	var lisasEvent *invoicingevents.InvoiceCreated
	for _, ev := range e.outboxEvents() {
		if ev.CustomerID == lisa {
			lisasEvent = &ev
		}
	}
	want := []invoicingevents.InvoicedJob{{PlanningDate: "2026-03-02", JobID: j}, {PlanningDate: "2026-03-03", JobID: j}}
	if lisasEvent == nil || !reflect.DeepEqual(lisasEvent.Jobs, want) {
		t.Errorf("lisa's InvoiceCreated %+v, want jobs %+v", lisasEvent, want)
	}
}

// TestMovedJobIsInvoicedOnItsNewDay: a job moved to another day (keeping its id) is
// billed once, as a job of the day it was finished on, whichever of the two events
// of the move (its old day's MaintenanceJobMoved, its new day's MaintenanceJobPlanned)
// is handled first; a job moved within its day is billed as usual. Nothing stays
// behind on the old day.
func TestMovedJobIsInvoicedOnItsNewDay(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c, moved, reversed, within := newID(), newID(), newID(), newID()
	e.registerCustomer(c, "Lisa Verbeek")
	e.planJob(moved, c, "2026-03-02", "08:00", "10:00")
	e.moveJob(moved, "2026-03-02", "2026-03-03", "08:00", "10:00")
	e.planJob(moved, c, "2026-03-03", "08:00", "10:00")
	e.finishJob(moved, "2026-03-03", "08:00", "09:30")

	// The events of one move belong to two days, whose order between them is not
	// guaranteed: the new day's plan may be handled first.
	e.planJob(reversed, c, "2026-03-02", "10:00", "12:00")
	e.planJob(reversed, c, "2026-03-04", "10:00", "12:00")
	e.moveJob(reversed, "2026-03-02", "2026-03-04", "10:00", "12:00")
	e.finishJob(reversed, "2026-03-04", "10:00", "11:00")

	e.planJob(within, c, "2026-03-02", "13:00", "15:00")
	e.moveJob(within, "2026-03-02", "2026-03-02", "15:00", "17:00")
	e.finishJob(within, "2026-03-02", "15:00", "17:00")
	e.WaitHandled(e.dayHasPassed("2026-03-05"))

	invs := e.invoices("")
	if len(invs) != 1 {
		t.Fatalf("invoices %+v, want 1", invs)
	}
	got := map[string]line{}
	for _, l := range invs[0].Lines {
		got[l.JobID] = l
	}
	if len(invs[0].Lines) != 3 || got[moved].Date != "2026-03-03" || got[moved].Amount.Cents != 2775 ||
		got[reversed].Date != "2026-03-04" || got[reversed].Amount.Cents != 1850 ||
		got[within].Date != "2026-03-02" || got[within].Amount.Cents != 3700 {
		t.Errorf("lines %+v, want the moved jobs on their new days", invs[0].Lines)
	}
	if n := e.QueryInt(`SELECT count(*) FROM jobs WHERE planning_date = '2026-03-02' AND job_id = ANY($1)`,
		[]string{moved, reversed}); n != 0 {
		t.Errorf("%d moved jobs left on their old day", n)
	}
	if n := e.QueryInt(`SELECT count(*) FROM jobs WHERE job_id = $1 AND planned_start = '2026-03-02T15:00:00+01:00'`,
		within); n != 1 {
		t.Errorf("the job moved within its day does not have its new planned start")
	}
}

// TestRedeliveredCancelAndMoveChangeNothing: a cancel or a move delivered again (the
// same event past JetStream's duplicate window) is recognised; sent again as a new
// event after the job was finished on its new day, a move bills nothing twice and
// loses nothing.
func TestRedeliveredCancelAndMoveChangeNothing(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c, cancelled, moved := newID(), newID(), newID()
	e.registerCustomer(c, "Lisa Verbeek")
	e.planJob(cancelled, c, "2026-03-02", "08:00", "10:00")
	cancel := e.cancelJob(cancelled, "2026-03-02")
	e.planJob(moved, c, "2026-03-02", "10:00", "12:00")
	move := e.moveJob(moved, "2026-03-02", "2026-03-03", "10:00", "12:00")
	plan := e.planJob(moved, c, "2026-03-03", "10:00", "12:00")
	finish := e.finishJob(moved, "2026-03-03", "10:00", "12:00")
	e.WaitHandled(finish)

	e.Publish(cancel, newID())
	e.Publish(move, newID())
	e.Publish(plan, newID())
	testutil.Eventually(t, wait, func() bool {
		return e.Metric("pitstop_consumer_duplicates_total", "consumer", "invoicing") >= 3
	}, "the redelivered cancel, move and plan to be recognised")
	e.cancelJob(cancelled, "2026-03-02")
	e.moveJob(moved, "2026-03-02", "2026-03-03", "10:00", "12:00")
	e.WaitHandled(e.dayHasPassed("2026-03-04"))

	invs := e.invoices("")
	if len(invs) != 1 || len(invs[0].Lines) != 1 || invs[0].Lines[0].JobID != moved ||
		invs[0].Lines[0].Date != "2026-03-03" || invs[0].Amount.Cents != 3700 {
		t.Fatalf("invoices %+v, want one line of %s on 2026-03-03", invs, moved)
	}
	if n := e.Count("consumer_dead_letter", "true"); n != 0 {
		t.Errorf("%d events dead-lettered", n)
	}
}
