package features

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/cucumber/godog"
	"github.com/google/uuid"

	"github.com/pitstop/pitstop/shared-go/testutil"
)

// The steps of this file are about what happens when a business day begins: the
// customers' maintenance reminders (notifications.feature) and the invoices sent to the
// print company (invoicing.feature).
//
// Every scenario of a run shares one system, so one business calendar: a scenario
// learns the current business day D from the timekeeper, plans its jobs on D+1 (a day
// no other scenario plans on: scenarios run one after the other, and the one that plans
// on D+1 is the one that starts it), starts D+1, and looks only at its own customers
// (their e-mail addresses and ids are unique to the scenario) and at mails to the
// print company that name their customer ids. Before starting the day it waits until
// the workshop knows its customers and vehicles and the audit log shows its jobs'
// events: those events are then in the one event stream ahead of the day's
// DayHasPassed, and consumers read the stream in order.

func init() { stepRegistrars = append(stepRegistrars, businessDaySteps) }

const (
	reminderFrom    = "noreply@pitstop.example"
	reminderSubject = "Vehicle maintenance reminder"
	printCompany    = "invoices@prestoprint.example"
	// dayTimeout bounds the wait for what a new business day causes: events through
	// relays and consumers, then mails through the dispatchers (which back off while
	// the mail server is down).
	dayTimeout = 30 * time.Second
	// quietFor is how long a step watches that an event does NOT reach the audit log.
	// An event in an outbox reaches the audit log in well under a second here (relays
	// poll every 100 ms besides being woken at commit); the window is several times
	// that, so an event that was published would be seen.
	quietFor = 3 * time.Second
)

// consistently polls check for the whole of d and returns its first error: the way to
// observe that something does not happen (there is no event to wait for).
func consistently(d time.Duration, check func() error) error {
	deadline := time.Now().Add(d)
	for {
		if err := check(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type businessDay struct {
	Date     string `json:"date"`
	TimeZone string `json:"timeZone"`
}

type reminder struct {
	CustomerID string   `json:"customerId"`
	Date       string   `json:"date"`
	JobIDs     []string `json:"jobIds"`
	MessageID  string   `json:"messageId"`
	SentAt     *string  `json:"sentAt"`
}

type money struct {
	Currency string `json:"currency"`
	Cents    int64  `json:"cents"`
}

type invoice struct {
	InvoiceID     string   `json:"invoiceId"`
	InvoiceNumber string   `json:"invoiceNumber"`
	InvoiceDate   string   `json:"invoiceDate"`
	CustomerID    string   `json:"customerId"`
	JobIDs        []string `json:"jobIds"`
	Amount        money    `json:"amount"`
	SentAt        *string  `json:"sentAt"`
}

// dayJob is a maintenance job the scenario planned.
type dayJob struct {
	id, owner, plate, description string
	plannedOn                     string // the day it was first planned on
	start, end                    time.Time
	finished                      bool
}

// auditWait is an event the audit log must show before the next business day begins.
type auditWait struct{ eventType, day, jobID string }

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// mailTo reports whether m was delivered to addr (its envelope recipients).
func mailTo(m testutil.ReceivedMail, addr string) bool {
	for _, to := range m.To {
		if strings.EqualFold(strings.Trim(strings.TrimSpace(to), "<>"), addr) {
			return true
		}
	}
	return false
}

// normalEuros writes every euro sign of an HTML text as "€" directly followed by the
// amount, so "€ 37.00", "&euro;37.00" and "€37.00" all read "€37.00".
func normalEuros(s string) string {
	for _, sign := range []string{"&euro;", "&#8364;", "&#x20AC;", "&#x20ac;"} {
		s = strings.ReplaceAll(s, sign, "€")
	}
	for _, space := range []string{" ", "\u00a0", "&nbsp;", "&#160;"} {
		s = strings.ReplaceAll(s, "€"+space, "€")
	}
	return s
}

func businessDaySteps(sc *godog.ScenarioContext, w *world) {
	var (
		token      = strings.ReplaceAll(uuid.NewString(), "-", "")[:12] // makes this scenario's e-mail addresses unique
		customers  = map[string]customer{}                              // registered customers by name
		owners     = map[string]string{}                                // customer name by upper-cased licence number
		cars       = map[string]vehicle{}                               // registered vehicles by upper-cased licence number
		today      string                                               // the business day when the scenario first asked
		loc        *time.Location                                       // the garage's time zone
		jobs       []*dayJob                                            // planned jobs, in order
		nextFree   = 8 * time.Hour                                      // the next free start on tomorrow, for the mechanic's jobs
		newDay     string                                               // the business day the scenario started
		dayHandled bool                                                 // something the new day caused was seen
		waits      []auditWait                                          // cancellations and moves to see in the audit log
	)

	// A scenario that takes the mail server down must never leave it down for the
	// scenarios after it, whatever happened.
	// (The scenario's own error, if any, stays its result.)
	sc.After(func(ctx context.Context, _ *godog.Scenario, _ error) (context.Context, error) {
		w.smtp.Start()
		return ctx, nil
	})

	learnToday := func() error {
		if today != "" {
			return nil
		}
		if err := w.call(http.MethodGet, "timekeeper", "/api/time", nil); err != nil {
			return err
		}
		if err := w.expectStatus(http.StatusOK); err != nil {
			return fmt.Errorf("the current business day: %w", err)
		}
		var d businessDay
		if err := w.decode(&d); err != nil {
			return err
		}
		l, err := time.LoadLocation(d.TimeZone)
		if err != nil {
			return fmt.Errorf("the garage's time zone %q: %w", d.TimeZone, err)
		}
		today, loc = d.Date, l
		return nil
	}
	tomorrow := func() (string, error) {
		if err := learnToday(); err != nil {
			return "", err
		}
		d, err := time.Parse(time.DateOnly, today)
		if err != nil {
			return "", fmt.Errorf("business day %q: %w", today, err)
		}
		return d.AddDate(0, 0, 1).Format(time.DateOnly), nil
	}
	// at is the wall-clock time of day (hours and minutes since 00:00) on day in the
	// garage's time zone: on the days daylight saving time begins or ends, 08:00 is not
	// 8 hours after midnight.
	at := func(day string, timeOfDay time.Duration) (time.Time, error) {
		d, err := time.ParseInLocation(time.DateOnly, day, loc)
		if err != nil {
			return time.Time{}, err
		}
		return time.Date(d.Year(), d.Month(), d.Day(),
			int(timeOfDay/time.Hour), int(timeOfDay%time.Hour/time.Minute), 0, 0, loc), nil
	}
	clock := func(hhmm string) (time.Duration, error) {
		t, err := time.Parse("15:04", hhmm)
		if err != nil {
			return 0, err
		}
		return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
	}
	customerNamed := func(name string) (customer, error) {
		c, ok := customers[name]
		if !ok {
			return customer{}, fmt.Errorf("the scenario never registered the customer %q", name)
		}
		return c, nil
	}
	refData := func(path string, v any) error {
		if err := w.call(http.MethodGet, "workshop", path, nil); err != nil {
			return err
		}
		if err := w.expectStatus(http.StatusOK); err != nil {
			return err
		}
		return w.decode(v)
	}

	// registerCustomer registers the customer with an e-mail address of this scenario's
	// own and waits until the workshop knows them: their CustomerRegistered is then in
	// the event stream, ahead of any later day's DayHasPassed.
	registerCustomer := func(c customer) error {
		var slug strings.Builder
		for _, r := range strings.ToLower(c.Name) {
			if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
				slug.WriteRune(r)
			}
		}
		c.EmailAddress = fmt.Sprintf("%s.%s.%d@example.com", slug.String(), token, len(customers)+1)
		if err := w.call(http.MethodPost, "customers", "/api/customers", c); err != nil {
			return err
		}
		if err := w.expectStatus(http.StatusCreated); err != nil {
			return fmt.Errorf("registering %s: %w", c.Name, err)
		}
		var got customer
		if err := w.decode(&got); err != nil {
			return err
		}
		customers[c.Name], w.ids[c.Name] = got, got.CustomerID
		return eventually(10*time.Second, func() error {
			var known customer
			if err := refData("/api/refdata/customers/"+url.PathEscape(got.CustomerID), &known); err != nil {
				return fmt.Errorf("the workshop does not know %s yet: %w", c.Name, err)
			}
			if known != got {
				return fmt.Errorf("the workshop knows %+v, want %+v", known, got)
			}
			return nil
		})
	}
	registerCar := func(owner, plate, brand, typ string) error {
		c, err := customerNamed(owner)
		if err != nil {
			return err
		}
		if err := w.registerVehicle(vehicle{LicenseNumber: plate, Brand: brand, Type: typ, OwnerID: c.CustomerID}); err != nil {
			return err
		}
		if err := w.expectStatus(http.StatusCreated); err != nil {
			return fmt.Errorf("registering %s: %w", plate, err)
		}
		var got vehicle
		if err := w.decode(&got); err != nil {
			return err
		}
		key := strings.ToUpper(plate)
		cars[key], owners[key] = got, owner
		return eventually(10*time.Second, func() error {
			var known vehicle
			if err := refData("/api/refdata/vehicles/"+url.PathEscape(got.LicenseNumber), &known); err != nil {
				return fmt.Errorf("the workshop does not know %s yet: %w", plate, err)
			}
			if known != got {
				return fmt.Errorf("the workshop knows %+v, want %+v", known, got)
			}
			return nil
		})
	}
	customerWithCar := func(name, address, postal, city, plate, brand, typ string) error {
		c := sampleCustomer(name)
		if address != "" {
			c.Address, c.PostalCode, c.City = address, postal, city
		}
		if err := registerCustomer(c); err != nil {
			return err
		}
		return registerCar(name, plate, brand, typ)
	}

	// plan plans a job for the vehicle's owner on tomorrow's planning, with the customer
	// and vehicle details the workshop knows.
	plan := func(description, plate string, from, to time.Duration) (*dayJob, error) {
		key := strings.ToUpper(plate)
		owner, ok := owners[key]
		if !ok {
			return nil, fmt.Errorf("the scenario never registered vehicle %q", plate)
		}
		c, car := customers[owner], cars[key]
		day, err := tomorrow()
		if err != nil {
			return nil, err
		}
		start, err := at(day, from)
		if err != nil {
			return nil, err
		}
		end, err := at(day, to)
		if err != nil {
			return nil, err
		}
		j := &dayJob{id: uuid.NewString(), owner: owner, plate: car.LicenseNumber, description: description, start: start, end: end, plannedOn: day}
		req := planJobRequest{JobID: j.id, StartTime: start.Format(time.RFC3339), EndTime: end.Format(time.RFC3339),
			Description: description,
			Customer:    jobCustomer{CustomerID: c.CustomerID, Name: c.Name, TelephoneNumber: c.TelephoneNumber},
			Vehicle:     jobVehicle{LicenseNumber: car.LicenseNumber, Brand: car.Brand, Type: car.Type}}
		if err := w.call(http.MethodPost, "workshop", "/api/workshopplanning/"+day+"/jobs", req); err != nil {
			return nil, err
		}
		if err := w.expectStatus(http.StatusCreated); err != nil {
			return nil, fmt.Errorf("planning %q for %s: %w", description, plate, err)
		}
		jobs = append(jobs, j)
		return j, nil
	}
	planAt := func(description, plate, from, to string) error {
		f, err := clock(from)
		if err != nil {
			return err
		}
		t, err := clock(to)
		if err != nil {
			return err
		}
		_, err = plan(description, plate, f, t)
		return err
	}
	// planNext plans a job in the next free slot of tomorrow.
	planNext := func(description, plate string, d time.Duration) (*dayJob, error) {
		j, err := plan(description, plate, nextFree, nextFree+d)
		if err != nil {
			return nil, err
		}
		nextFree += d
		return j, nil
	}
	finish := func(j *dayJob) error {
		day := j.start.Format(time.DateOnly)
		if err := w.call(http.MethodPut, "workshop", "/api/workshopplanning/"+day+"/jobs/"+j.id+"/finish", map[string]string{
			"actualStartTime": j.start.Format(time.RFC3339), "actualEndTime": j.end.Format(time.RFC3339), "notes": "Done."}); err != nil {
			return err
		}
		if err := w.expectStatus(http.StatusOK); err != nil {
			return fmt.Errorf("finishing the job on %s: %w", j.plate, err)
		}
		j.finished = true
		return nil
	}
	jobsOf := func(name string, finished bool) []string {
		var ids []string
		for _, j := range jobs {
			if j.owner == name && j.finished == finished {
				ids = append(ids, j.id)
			}
		}
		return ids
	}

	// auditJobIDs returns the job ids of the audit log's events of one type about day.
	auditJobIDs := func(eventType, day string) ([]string, error) {
		var ids []string
		cursor := ""
		for {
			q := url.Values{"type": {"pitstop." + eventType}, "subject": {day}, "limit": {"200"}}
			if cursor != "" {
				q.Set("cursor", cursor)
			}
			if err := w.call(http.MethodGet, "auditlog", "/api/auditlog?"+q.Encode(), nil); err != nil {
				return nil, err
			}
			if err := w.expectStatus(http.StatusOK); err != nil {
				return nil, err
			}
			var page struct {
				Items []struct {
					Data struct {
						JobID string `json:"jobId"`
					} `json:"data"`
				} `json:"items"`
				Next string `json:"next"`
			}
			if err := w.decode(&page); err != nil {
				return nil, err
			}
			for _, it := range page.Items {
				ids = append(ids, it.Data.JobID)
			}
			if page.Next == "" {
				return ids, nil
			}
			cursor = page.Next
		}
	}
	// jobEventsPublished waits until the audit log holds the events of every job the
	// scenario planned and finished, so that they are in the event stream before the
	// DayHasPassed that the next day's start publishes (consumers read the stream in
	// order).
	jobEventsPublished := func() error {
		return eventually(10*time.Second, func() error {
			for _, e := range waits {
				ids, err := auditJobIDs(e.eventType, e.day)
				if err != nil {
					return err
				}
				if !slices.Contains(ids, e.jobID) {
					return fmt.Errorf("the audit log does not show %s of job %s on %s yet", e.eventType, e.jobID, e.day)
				}
			}
			byDay := map[string][]*dayJob{}
			for _, j := range jobs {
				byDay[j.plannedOn] = append(byDay[j.plannedOn], j)
			}
			for day, js := range byDay {
				planned, err := auditJobIDs("workshop.MaintenanceJobPlanned", day)
				if err != nil {
					return err
				}
				finished, err := auditJobIDs("workshop.MaintenanceJobFinished", day)
				if err != nil {
					return err
				}
				for _, j := range js {
					if !slices.Contains(planned, j.id) {
						return fmt.Errorf("the audit log does not show the job on %s planned yet", j.plate)
					}
					if j.finished && !slices.Contains(finished, j.id) {
						return fmt.Errorf("the audit log does not show the job on %s finished yet", j.plate)
					}
				}
			}
			return nil
		})
	}

	// mailsFor returns the captured mails to addr whose subject passes keep.
	mailsFor := func(addr string, keep func(testutil.ReceivedMail) bool) []testutil.ReceivedMail {
		var out []testutil.ReceivedMail
		for _, m := range w.smtp.Messages() {
			if mailTo(m, addr) && keep(m) {
				out = append(out, m)
			}
		}
		return out
	}
	isReminder := func(m testutil.ReceivedMail) bool { return m.Subject == reminderSubject }
	remindersMailedTo := func(name string) ([]testutil.ReceivedMail, error) {
		c, err := customerNamed(name)
		if err != nil {
			return nil, err
		}
		return mailsFor(c.EmailAddress, isReminder), nil
	}
	// invoiceMailsFor returns the mails to the print company about the customer: the
	// invoice shows the customer id, which is unique to this scenario's customer.
	invoiceMailsFor := func(name string) ([]testutil.ReceivedMail, error) {
		c, err := customerNamed(name)
		if err != nil {
			return nil, err
		}
		return mailsFor(printCompany, func(m testutil.ReceivedMail) bool {
			return strings.HasPrefix(m.Subject, "Invoice") && strings.Contains(m.HTML, c.CustomerID)
		}), nil
	}
	// receives waits until the mails are at least want, then requires exactly want.
	receives := func(want int, what string, mails func() ([]testutil.ReceivedMail, error)) ([]testutil.ReceivedMail, error) {
		var got []testutil.ReceivedMail
		err := eventually(dayTimeout, func() error {
			var err error
			if got, err = mails(); err != nil {
				return err
			}
			if len(got) < want {
				return fmt.Errorf("%d %s received, want %d", len(got), what, want)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(got) != want {
			return nil, fmt.Errorf("%d %s received, want %d", len(got), what, want)
		}
		dayHandled = true
		return got, nil
	}
	theOnly := func(mails []testutil.ReceivedMail, what string) (testutil.ReceivedMail, error) {
		if len(mails) != 1 {
			return testutil.ReceivedMail{}, fmt.Errorf("%d %s received, want 1", len(mails), what)
		}
		return mails[0], nil
	}
	requireNewDay := func() error {
		if newDay == "" {
			return errors.New("the scenario has not started a new business day")
		}
		return nil
	}
	// requireDayHandled refuses to conclude that something did not happen before
	// something else that the same new day caused was seen.
	requireDayHandled := func() error {
		if err := requireNewDay(); err != nil {
			return err
		}
		if !dayHandled {
			return errors.New("the scenario cannot tell that nothing happened: nothing the new business day caused was seen first")
		}
		return nil
	}

	// remindersOf lists the customer's reminders, of every day when date is empty.
	remindersOf := func(name, date string) ([]reminder, error) {
		c, err := customerNamed(name)
		if err != nil {
			return nil, err
		}
		q := url.Values{"customerId": {c.CustomerID}, "limit": {"200"}}
		if date != "" {
			q.Set("date", date)
		}
		if err := w.call(http.MethodGet, "notifications", "/api/reminders?"+q.Encode(), nil); err != nil {
			return nil, err
		}
		if err := w.expectStatus(http.StatusOK); err != nil {
			return nil, err
		}
		var page struct {
			Items []reminder `json:"items"`
		}
		return page.Items, w.decode(&page)
	}
	invoicesOf := func(name string) ([]invoice, error) {
		c, err := customerNamed(name)
		if err != nil {
			return nil, err
		}
		if err := w.call(http.MethodGet, "invoicing", "/api/invoices?limit=200&customerId="+url.QueryEscape(c.CustomerID), nil); err != nil {
			return nil, err
		}
		if err := w.expectStatus(http.StatusOK); err != nil {
			return nil, err
		}
		var page struct {
			Items []invoice `json:"items"`
		}
		return page.Items, w.decode(&page)
	}
	// theInvoiceOf waits until the customer has exactly one invoice and returns it.
	theInvoiceOf := func(name string) (invoice, error) {
		var got []invoice
		err := eventually(dayTimeout, func() error {
			var err error
			if got, err = invoicesOf(name); err != nil {
				return err
			}
			if len(got) == 0 {
				return fmt.Errorf("%s has no invoice", name)
			}
			return nil
		})
		if err != nil {
			return invoice{}, err
		}
		if len(got) != 1 {
			return invoice{}, fmt.Errorf("%s has %d invoices, want 1: %+v", name, len(got), got)
		}
		dayHandled = true
		return got[0], nil
	}

	// Given

	sc.Step(`^"([^"]*)" is a customer of the garage who drives "([^"]*)", a "([^"]*)" "([^"]*)"$`,
		func(name, plate, brand, typ string) error {
			return customerWithCar(name, "", "", "", plate, brand, typ)
		})
	sc.Step(`^"([^"]*)" is a customer of the garage living at "([^"]*)", "([^"]*)" "([^"]*)", who drives "([^"]*)", a "([^"]*)" "([^"]*)"$`,
		customerWithCar)
	sc.Step(`^"([^"]*)" also drives "([^"]*)", a "([^"]*)" "([^"]*)"$`, registerCar)
	sc.Step(`^the planner has planned "([^"]*)" for vehicle "([^"]*)" from (\d\d:\d\d) to (\d\d:\d\d) tomorrow$`, planAt)
	sc.Step(`^the planner has planned for tomorrow$`, func(table *godog.Table) error {
		for i, row := range table.Rows {
			if i == 0 {
				continue // the header
			}
			c := row.Cells
			if err := planAt(c[0].Value, c[1].Value, c[2].Value, c[3].Value); err != nil {
				return fmt.Errorf("row %d: %w", i, err)
			}
		}
		return nil
	})
	sc.Step(`^the planner has planned "([^"]*)" for vehicle "([^"]*)", which is not finished yet$`, func(description, plate string) error {
		_, err := planNext(description, plate, time.Hour)
		return err
	})
	sc.Step(`^the mechanic has already finished the job on vehicle "([^"]*)"$`, func(plate string) error {
		for _, j := range jobs {
			if strings.EqualFold(j.plate, plate) && !j.finished {
				return finish(j)
			}
		}
		return fmt.Errorf("no unfinished job was planned for vehicle %s", plate)
	})
	sc.Step(`^the mechanic has finished "([^"]*)" on vehicle "([^"]*)" after (\d+) hours? of work$`, func(description, plate string, hours int) error {
		j, err := planNext(description, plate, time.Duration(hours)*time.Hour)
		if err != nil {
			return err
		}
		return finish(j)
	})
	sc.Step(`^the mail server is down$`, func() error {
		w.smtp.Stop()
		return nil
	})

	// When

	sc.Step(`^the next business day begins$`, func() error {
		want, err := tomorrow()
		if err != nil {
			return err
		}
		if err := jobEventsPublished(); err != nil {
			return err
		}
		if err := w.call(http.MethodPost, "timekeeper", "/api/time/days", nil); err != nil {
			return err
		}
		if err := w.expectStatus(http.StatusCreated); err != nil {
			return err
		}
		var d businessDay
		if err := w.decode(&d); err != nil {
			return err
		}
		if d.Date != want {
			return fmt.Errorf("the business day %s began, want %s (did another day begin meanwhile?)", d.Date, want)
		}
		newDay, today, dayHandled = d.Date, d.Date, false
		return nil
	})
	sc.Step(`^the mail server is back$`, func() error {
		w.smtp.Start()
		return nil
	})

	// Then: reminders

	sc.Step(`^"([^"]*)" receives (\d+) reminder e-mails?$`, func(name string, n int) error {
		if err := requireNewDay(); err != nil {
			return err
		}
		mails, err := receives(n, "reminder e-mails to "+name, func() ([]testutil.ReceivedMail, error) { return remindersMailedTo(name) })
		if err != nil {
			return err
		}
		for _, m := range mails {
			if from := m.Header.Get("From"); !strings.Contains(strings.ToLower(from), reminderFrom) {
				return fmt.Errorf("the reminder to %s is from %q, want %s", name, from, reminderFrom)
			}
		}
		return nil
	})
	sc.Step(`^the reminder e-mail to "([^"]*)" lists "([^"]*)" for vehicle "([^"]*)" from (\d\d:\d\d) to (\d\d:\d\d)$`,
		func(name, description, plate, from, to string) error {
			if err := requireNewDay(); err != nil {
				return err
			}
			mails, err := remindersMailedTo(name)
			if err != nil {
				return err
			}
			m, err := theOnly(mails, "reminder e-mails to "+name)
			if err != nil {
				return err
			}
			for line := range strings.Lines(m.Text) {
				if strings.Contains(line, strings.ToUpper(plate)) {
					for _, part := range []string{newDay, from, to, description} {
						if !strings.Contains(line, part) {
							return fmt.Errorf("the reminder lists vehicle %s as %q, which does not say %q", plate, strings.TrimSpace(line), part)
						}
					}
					return nil
				}
			}
			return fmt.Errorf("the reminder to %s does not list vehicle %s:\n%s", name, plate, m.Text)
		})
	sc.Step(`^the reminder e-mail to "([^"]*)" does not mention vehicle "([^"]*)"$`, func(name, plate string) error {
		mails, err := remindersMailedTo(name)
		if err != nil {
			return err
		}
		m, err := theOnly(mails, "reminder e-mails to "+name)
		if err != nil {
			return err
		}
		if strings.Contains(strings.ToUpper(m.Text), strings.ToUpper(plate)) {
			return fmt.Errorf("the reminder to %s mentions vehicle %s:\n%s", name, plate, m.Text)
		}
		return nil
	})
	sc.Step(`^"([^"]*)" receives no reminder$`, func(name string) error {
		if err := requireDayHandled(); err != nil {
			return err
		}
		// The reminders of a day are all created in the one transaction that handles the
		// day, which committed before the other customer's reminder was seen.
		rs, err := remindersOf(name, "")
		if err != nil {
			return err
		}
		if len(rs) != 0 {
			return fmt.Errorf("%s was reminded: %+v", name, rs)
		}
		mails, err := remindersMailedTo(name)
		if err != nil {
			return err
		}
		if len(mails) != 0 {
			return fmt.Errorf("%s received %d reminder e-mails", name, len(mails))
		}
		return nil
	})
	sc.Step(`^"([^"]*)" has received no reminder e-mail yet$`, func(name string) error {
		mails, err := remindersMailedTo(name)
		if err != nil {
			return err
		}
		if len(mails) != 0 {
			return fmt.Errorf("%s received %d reminder e-mails", name, len(mails))
		}
		return nil
	})
	sc.Step(`^the reminders show that "([^"]*)" was reminded of (\d+) jobs? for the new business day (and that the e-mail was sent|but that the e-mail was not sent yet)$`,
		func(name string, n int, state string) error {
			if err := requireNewDay(); err != nil {
				return err
			}
			sent := strings.HasPrefix(state, "and")
			want := jobsOf(name, false)
			if len(want) != n {
				return fmt.Errorf("the scenario planned %d unfinished jobs for %s, not %d", len(want), name, n)
			}
			var got reminder
			err := eventually(dayTimeout, func() error {
				rs, err := remindersOf(name, newDay)
				if err != nil {
					return err
				}
				if len(rs) != 1 {
					return fmt.Errorf("%s has %d reminders for %s, want 1: %+v", name, len(rs), newDay, rs)
				}
				got = rs[0]
				if sent && got.SentAt == nil {
					return fmt.Errorf("the reminder to %s is not sent yet", name)
				}
				return nil
			})
			if err != nil {
				return err
			}
			dayHandled = true
			if got.Date != newDay || !sameSet(got.JobIDs, want) {
				return fmt.Errorf("the reminder to %s is for %s about jobs %v, want %s about %v", name, got.Date, got.JobIDs, newDay, want)
			}
			if !sent {
				if got.SentAt != nil {
					return fmt.Errorf("the reminder to %s was sent at %s, though the mail server is down", name, *got.SentAt)
				}
				return nil
			}
			mails, err := remindersMailedTo(name)
			if err != nil {
				return err
			}
			m, err := theOnly(mails, "reminder e-mails to "+name)
			if err != nil {
				return err
			}
			if m.MessageID != got.MessageID {
				return fmt.Errorf("the reminder is listed with Message-ID %q, the e-mail has %q", got.MessageID, m.MessageID)
			}
			return nil
		})
	sc.Step(`^the audit log shows the MaintenanceReminderSent event for "([^"]*)"$`, func(name string) error {
		if err := requireNewDay(); err != nil {
			return err
		}
		c, err := customerNamed(name)
		if err != nil {
			return err
		}
		if err := w.auditShows("notifications.MaintenanceReminderSent", c.CustomerID, 1); err != nil {
			return err
		}
		items, err := w.auditEntries("notifications.MaintenanceReminderSent", c.CustomerID)
		if err != nil {
			return err
		}
		if len(items) != 1 {
			return fmt.Errorf("the audit log shows %d MaintenanceReminderSent events for %s, want 1", len(items), name)
		}
		data, _ := items[0]["data"].(map[string]any)
		var ids []string
		list, _ := data["jobIds"].([]any)
		for _, id := range list {
			s, _ := id.(string)
			ids = append(ids, s)
		}
		if data["customerId"] != c.CustomerID || data["date"] != newDay || !sameSet(ids, jobsOf(name, false)) {
			return fmt.Errorf("the audit log shows %v, want the reminder to %s for %s about jobs %v", data, c.CustomerID, newDay, jobsOf(name, false))
		}
		// The event is about the e-mail that left: its Message-ID, at the time it was sent.
		rs, err := remindersOf(name, newDay)
		if err != nil {
			return err
		}
		if len(rs) != 1 || rs[0].SentAt == nil {
			return fmt.Errorf("the audit log shows the reminder to %s as sent, but the reminders show %+v", name, rs)
		}
		if data["messageId"] != rs[0].MessageID {
			return fmt.Errorf("the audit log shows the reminder with Message-ID %v, the reminders %q", data["messageId"], rs[0].MessageID)
		}
		evTime, _ := items[0]["time"].(string)
		at, err := time.Parse(time.RFC3339Nano, evTime)
		if err != nil {
			return fmt.Errorf("the audit log entry's time %q: %w", evTime, err)
		}
		sentAt, err := time.Parse(time.RFC3339Nano, *rs[0].SentAt)
		if err != nil {
			return fmt.Errorf("the reminder's sentAt %q: %w", *rs[0].SentAt, err)
		}
		if !at.Equal(sentAt) {
			return fmt.Errorf("the audit log says the reminder to %s was sent at %s, the reminders say %s", name, evTime, *rs[0].SentAt)
		}
		return nil
	})
	sc.Step(`^the audit log does not show a MaintenanceReminderSent event for "([^"]*)" while the e-mail waits$`, func(name string) error {
		// Only after the reminder was seen pending (the reminders step): it and its mail
		// are committed, so an event published at queue time would be on its way.
		if err := requireDayHandled(); err != nil {
			return err
		}
		c, err := customerNamed(name)
		if err != nil {
			return err
		}
		return consistently(quietFor, func() error {
			rs, err := remindersOf(name, newDay)
			if err != nil {
				return err
			}
			if len(rs) != 1 || rs[0].SentAt != nil {
				return fmt.Errorf("the reminder to %s should still wait for the mail server: %+v", name, rs)
			}
			items, err := w.auditEntries("notifications.MaintenanceReminderSent", c.CustomerID)
			if err != nil {
				return err
			}
			if len(items) != 0 {
				return fmt.Errorf("the audit log shows %d MaintenanceReminderSent events for %s although the e-mail has not left: %v",
					len(items), name, items)
			}
			return nil
		})
	})

	// Then: invoices

	sc.Step(`^the print company receives (\d+) invoice e-mails? for "([^"]*)"$`, func(n int, name string) error {
		if err := requireNewDay(); err != nil {
			return err
		}
		mails, err := receives(n, "invoice e-mails for "+name, func() ([]testutil.ReceivedMail, error) { return invoiceMailsFor(name) })
		if err != nil {
			return err
		}
		for _, m := range mails {
			if m.HTML == "" {
				return fmt.Errorf("the invoice e-mail for %s has no HTML body: %q", name, m.Data)
			}
		}
		return nil
	})
	sc.Step(`^the print company has received no invoice e-mail for "([^"]*)" yet$`, func(name string) error {
		mails, err := invoiceMailsFor(name)
		if err != nil {
			return err
		}
		if len(mails) != 0 {
			return fmt.Errorf("the print company received %d invoice e-mails for %s", len(mails), name)
		}
		return nil
	})
	theInvoiceMail := func(name string) (testutil.ReceivedMail, error) {
		mails, err := invoiceMailsFor(name)
		if err != nil {
			return testutil.ReceivedMail{}, err
		}
		return theOnly(mails, "invoice e-mails for "+name)
	}
	sc.Step(`^the invoice e-mail for "([^"]*)" shows a total of (€\d+\.\d\d)$`, func(name, total string) error {
		m, err := theInvoiceMail(name)
		if err != nil {
			return err
		}
		if !strings.Contains(normalEuros(m.HTML), total) {
			return fmt.Errorf("the invoice e-mail for %s does not show %s:\n%s", name, total, m.HTML)
		}
		return nil
	})
	sc.Step(`^the invoice e-mail for "([^"]*)" shows the name and address of "([^"]*)"$`, func(name, whose string) error {
		m, err := theInvoiceMail(name)
		if err != nil {
			return err
		}
		c, err := customerNamed(whose)
		if err != nil {
			return err
		}
		for _, part := range []string{c.Name, c.Address, c.PostalCode, c.City} {
			if !strings.Contains(m.HTML, html.EscapeString(part)) {
				return fmt.Errorf("the invoice e-mail for %s does not show %q:\n%s", name, part, m.HTML)
			}
		}
		return nil
	})
	sc.Step(`^the invoice e-mail for "([^"]*)" shows the name "([^"]*)" as text, not as markup$`, func(name, shown string) error {
		m, err := theInvoiceMail(name)
		if err != nil {
			return err
		}
		if strings.Contains(strings.ToLower(m.HTML), "<script") {
			return fmt.Errorf("the invoice e-mail for %s holds a script element:\n%s", name, m.HTML)
		}
		if !strings.Contains(m.HTML, html.EscapeString(shown)) {
			return fmt.Errorf("the invoice e-mail for %s does not show %q as text (%q):\n%s", name, shown, html.EscapeString(shown), m.HTML)
		}
		return nil
	})
	sc.Step(`^the invoices show (\d+) invoices? for "([^"]*)" of (\d+) cents covering the finished jobs, dated the new business day$`,
		func(n int, name string, cents int64) error {
			if err := requireNewDay(); err != nil {
				return err
			}
			if n != 1 {
				return fmt.Errorf("the scenario expects one invoice per customer and day, not %d", n)
			}
			c, err := customerNamed(name)
			if err != nil {
				return err
			}
			inv, err := theInvoiceOf(name)
			if err != nil {
				return err
			}
			want := jobsOf(name, true)
			if inv.CustomerID != c.CustomerID || inv.InvoiceDate != newDay || inv.Amount != (money{Currency: "EUR", Cents: cents}) ||
				!sameSet(inv.JobIDs, want) || inv.InvoiceNumber == "" {
				return fmt.Errorf("the invoice is %+v, want one for %s dated %s of EUR %d cents about jobs %v",
					inv, c.CustomerID, newDay, cents, want)
			}
			// The invoice can be looked up by its id, too.
			if err := w.call(http.MethodGet, "invoicing", "/api/invoices/"+url.PathEscape(inv.InvoiceID), nil); err != nil {
				return err
			}
			if err := w.expectStatus(http.StatusOK); err != nil {
				return err
			}
			var one invoice
			if err := w.decode(&one); err != nil {
				return err
			}
			if one.InvoiceID != inv.InvoiceID || one.Amount != inv.Amount || !sameSet(one.JobIDs, inv.JobIDs) {
				return fmt.Errorf("GET /api/invoices/%s is %+v, the list shows %+v", inv.InvoiceID, one, inv)
			}
			return nil
		})
	sc.Step(`^the invoice for "([^"]*)" is marked as sent$`, func(name string) error {
		if err := requireNewDay(); err != nil {
			return err
		}
		var inv invoice
		err := eventually(dayTimeout, func() error {
			var err error
			if inv, err = theInvoiceOf(name); err != nil {
				return err
			}
			if inv.SentAt == nil {
				return fmt.Errorf("the invoice for %s is not marked as sent", name)
			}
			return nil
		})
		if err != nil {
			return err
		}
		m, err := theInvoiceMail(name)
		if err != nil {
			return fmt.Errorf("the invoice for %s is marked as sent: %w", name, err)
		}
		if want := "invoice." + inv.InvoiceID + "@pitstop.example"; m.MessageID != want {
			return fmt.Errorf("the invoice e-mail has Message-ID %q, want %q", m.MessageID, want)
		}
		return nil
	})
	sc.Step(`^the invoice for "([^"]*)" is not sent yet$`, func(name string) error {
		inv, err := theInvoiceOf(name)
		if err != nil {
			return err
		}
		if inv.SentAt != nil {
			return fmt.Errorf("the invoice for %s was sent at %s, though the mail server is down", name, *inv.SentAt)
		}
		return nil
	})
	sc.Step(`^there is no invoice for "([^"]*)"$`, func(name string) error {
		if err := requireDayHandled(); err != nil {
			return err
		}
		// A day's invoices are all created in the one transaction that handles the day,
		// which committed before the other customer's invoice was seen.
		invs, err := invoicesOf(name)
		if err != nil {
			return err
		}
		if len(invs) != 0 {
			return fmt.Errorf("%s was invoiced: %+v", name, invs)
		}
		mails, err := invoiceMailsFor(name)
		if err != nil {
			return err
		}
		if len(mails) != 0 {
			return fmt.Errorf("the print company received %d invoice e-mails for %s", len(mails), name)
		}
		return nil
	})
	sc.Step(`^the audit log shows the InvoiceCreated event for "([^"]*)"$`, func(name string) error {
		c, err := customerNamed(name)
		if err != nil {
			return err
		}
		inv, err := theInvoiceOf(name)
		if err != nil {
			return err
		}
		if err := w.auditShows("invoicing.InvoiceCreated", inv.InvoiceID, 1); err != nil {
			return err
		}
		items, err := w.auditEntries("invoicing.InvoiceCreated", inv.InvoiceID)
		if err != nil {
			return err
		}
		data, _ := items[0]["data"].(map[string]any)
		amount, _ := data["amount"].(map[string]any)
		cents, _ := amount["cents"].(float64)
		if data["customerId"] != c.CustomerID || data["invoiceDate"] != newDay || int64(cents) != inv.Amount.Cents {
			return fmt.Errorf("the audit log shows %v, want the invoice %s for %s of %d cents", data, inv.InvoiceID, c.CustomerID, inv.Amount.Cents)
		}
		return nil
	})

	// Cancelling and moving tomorrow's jobs.

	jobOn := func(plate string) (*dayJob, error) {
		for _, j := range jobs {
			if strings.EqualFold(j.plate, plate) && !j.finished {
				return j, nil
			}
		}
		return nil, fmt.Errorf("no unfinished job was planned for vehicle %s", plate)
	}
	sc.Step(`^the planner cancels the job on vehicle "([^"]*)"$`, func(plate string) error {
		j, err := jobOn(plate)
		if err != nil {
			return err
		}
		day := j.start.Format(time.DateOnly)
		if err := w.call(http.MethodPost, "workshop", "/api/workshopplanning/"+day+"/jobs/"+j.id+"/cancel",
			map[string]string{"reason": "The customer called to cancel."}); err != nil {
			return err
		}
		if err := w.expectStatus(http.StatusOK); err != nil {
			return fmt.Errorf("cancelling the job on %s: %w", plate, err)
		}
		waits = append(waits, auditWait{"workshop.MaintenanceJobCancelled", day, j.id})
		return nil
	})
	sc.Step(`^the planner moves the job on vehicle "([^"]*)" to (\d\d:\d\d) to (\d\d:\d\d) (tomorrow|the day after tomorrow)$`,
		func(plate, from, to, when string) error {
			j, err := jobOn(plate)
			if err != nil {
				return err
			}
			day, err := tomorrow()
			if err != nil {
				return err
			}
			if when != "tomorrow" {
				d, _ := time.Parse(time.DateOnly, day)
				day = d.AddDate(0, 0, 1).Format(time.DateOnly)
			}
			f, err := clock(from)
			if err != nil {
				return err
			}
			t, err := clock(to)
			if err != nil {
				return err
			}
			start, err := at(day, f)
			if err != nil {
				return err
			}
			end, err := at(day, t)
			if err != nil {
				return err
			}
			oldDay := j.start.Format(time.DateOnly)
			if err := w.call(http.MethodPost, "workshop", "/api/workshopplanning/"+oldDay+"/jobs/"+j.id+"/move", map[string]string{
				"planningDate": day, "startTime": start.Format(time.RFC3339), "endTime": end.Format(time.RFC3339)}); err != nil {
				return err
			}
			if err := w.expectStatus(http.StatusOK); err != nil {
				return fmt.Errorf("moving the job on %s: %w", plate, err)
			}
			var moved job
			if err := w.decode(&moved); err != nil {
				return err
			}
			if moved.Status != "Planned" || !sameInstant(moved.StartTime, start) || !sameInstant(moved.EndTime, end) {
				return fmt.Errorf("the moved job is %s, want it Planned from %s to %s on %s", w.body, from, to, day)
			}
			waits = append(waits, auditWait{"workshop.MaintenanceJobMoved", oldDay, j.id})
			j.start, j.end = start, end
			return nil
		})
	sc.Step(`^the job on vehicle "([^"]*)" shows as (Cancelled|Moved) in tomorrow's planning$`, func(plate, status string) error {
		var j *dayJob
		for _, dj := range jobs {
			if strings.EqualFold(dj.plate, plate) {
				j = dj
			}
		}
		if j == nil {
			return fmt.Errorf("no job was planned for vehicle %s", plate)
		}
		day, err := tomorrow()
		if err != nil {
			return err
		}
		if err := w.call(http.MethodGet, "workshop", "/api/workshopplanning/"+day+"/jobs/"+j.id, nil); err != nil {
			return err
		}
		if err := w.expectStatus(http.StatusOK); err != nil {
			return err
		}
		var got job
		if err := w.decode(&got); err != nil {
			return err
		}
		if got.Status != status {
			return fmt.Errorf("the job on %s is %s, want %s", plate, got.Status, status)
		}
		return nil
	})
	sc.Step(`^the mechanic cannot finish the cancelled job on vehicle "([^"]*)"$`, func(plate string) error {
		j, err := jobOn(plate)
		if err != nil {
			return err
		}
		day := j.start.Format(time.DateOnly)
		if err := w.call(http.MethodPut, "workshop", "/api/workshopplanning/"+day+"/jobs/"+j.id+"/finish", map[string]string{
			"actualStartTime": j.start.Format(time.RFC3339), "actualEndTime": j.end.Format(time.RFC3339), "notes": "Done."}); err != nil {
			return err
		}
		return w.expectStatus(http.StatusConflict)
	})
}
