package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"
)

const (
	// Workshop slots: a planning day is cut into 10-minute slots, each with up to 3
	// jobs (the 3 workstations), one per vehicle: no slot overlaps another, so the
	// rules "at most 3 concurrent jobs" and "one job per vehicle at a time" hold.
	slotLength  = 10 * time.Minute
	slotsPerDay = 144
	lanes       = 3
	// workers is the number of commands in flight at once.
	workers = 8
	// commandTimeout bounds the retries of one command (services down, Postgres
	// restarting).
	commandTimeout = 2 * time.Minute
	// centsPerHour is invoicing's rate, €18.50 per hour.
	centsPerHour = 1850
)

// Command kinds (figures).
const (
	cmdRegisterCustomer = "register customer"
	cmdRegisterVehicle  = "register vehicle"
	cmdUpdateCustomer   = "update customer"
	cmdPlanJob          = "plan job"
	cmdFinishJob        = "finish job"
	cmdAdvanceDay       = "advance business day"
)

var commandKinds = []string{cmdRegisterCustomer, cmdRegisterVehicle, cmdUpdateCustomer, cmdPlanJob, cmdFinishJob, cmdAdvanceDay}

type customer struct {
	id      string
	name    string
	phone   string
	updates int  // successful updates (each changes the address: one CustomerUpdated)
	busy    bool // an update is in flight
}

type vehicle struct {
	plate string
	owner *customer
}

type job struct {
	id    string
	day   int // 1..len(days): planned on days[day-1]
	date  string
	cust  *customer
	veh   *vehicle
	start time.Time
	hours int // actual duration once finished
	// finishedIn is the epoch in which the job was finished: epoch e is the time
	// before the e-th business-day advance; 0 = never finished.
	finishedIn int
	busy       bool // a finish is in flight
}

type slotUse struct {
	jobs   int
	plates []string
}

// model is what the driver has done so far (successful commands only): the expected
// state the checker compares the system with.
type model struct {
	mu       sync.Mutex
	loc      *time.Location
	today    string      // the business day when the run started (T0)
	days     []string    // the planning days, D1 = T0+1, D2, ...; each becomes the business day in turn
	dayStart []time.Time // midnight of each planning day
	slots    [][]slotUse // [day-1][slot]
	cursor   []int       // first slot of each day that may have room

	customers []*customer
	vehicles  []*vehicle
	jobs      []*job
	open      []*job // planned, not finished
	epoch     int    // 1 before the first advance, e+1 after the e-th

	nextCustomer, nextVehicle, nextUpdate int
	counts                                map[string]int // successful commands by kind
}

func newModel(loc *time.Location, today string, days int) (*model, error) {
	t0, err := time.ParseInLocation(time.DateOnly, today, loc)
	if err != nil {
		return nil, err
	}
	m := &model{loc: loc, today: today, epoch: 1, counts: map[string]int{}}
	for i := 1; i <= days; i++ {
		d := time.Date(t0.Year(), t0.Month(), t0.Day()+i, 0, 0, 0, 0, loc)
		m.days = append(m.days, d.Format(time.DateOnly))
		m.dayStart = append(m.dayStart, d)
		m.slots = append(m.slots, make([]slotUse, slotsPerDay))
		m.cursor = append(m.cursor, 0)
	}
	return m, nil
}

func (m *model) total() int {
	n := 0
	for _, c := range m.counts {
		n += c
	}
	return n
}

// command is one HTTP command with its retry semantics.
type command struct {
	kind   string
	svc    string // the context whose service answers it
	method string
	path   string
	body   any
	// judge decides on an answer that is neither 5xx nor a concurrency conflict:
	// true when the command succeeded; an error is a test failure. ambiguous says that
	// an earlier attempt may have taken effect (5xx, connection error, timeout).
	judge func(status int, body []byte, ambiguous bool) (bool, error)
	// commit records the success in the model (m.mu held); abort releases what the
	// command reserved when it fails for good (m.mu held).
	commit, abort func()
}

func created(status int, _ []byte, ambiguous bool) (bool, error) {
	switch {
	case status == http.StatusCreated:
		return true, nil
	case status == http.StatusOK && ambiguous: // the identical retry of a creation that took effect
		return true, nil
	}
	return false, fmt.Errorf("unexpected answer %d", status)
}

func (m *model) registerCustomer() *command {
	m.nextCustomer++
	n := m.nextCustomer
	c := &customer{id: uuid.NewString(), name: fmt.Sprintf("Chaos Customer %05d", n), phone: fmt.Sprintf("+31 6 %08d", n)}
	body := map[string]string{
		"customerId": c.id, "name": c.name, "address": fmt.Sprintf("Kerkstraat %d", n), "postalCode": "1234 AB",
		"city": "Amsterdam", "telephoneNumber": c.phone, "emailAddress": fmt.Sprintf("customer%05d@example.com", n),
	}
	return &command{kind: cmdRegisterCustomer, svc: customersCtx, method: http.MethodPost, path: "/api/customers", body: body,
		judge: created, commit: func() { m.customers = append(m.customers, c) }, abort: func() {}}
}

// plate returns the n-th licence number: XX-nnn-YY, unique for n < 26^4 * 1000.
func plate(n int) string {
	letters := func(v int) string { return string(rune('A'+v/26%26)) + string(rune('A'+v%26)) }
	return fmt.Sprintf("%s-%03d-%s", letters(n/1000/676), n%1000, letters(n/1000%676))
}

func (m *model) registerVehicle(rng *rand.Rand) *command {
	owner := m.customers[rng.IntN(len(m.customers))]
	v := &vehicle{plate: plate(m.nextVehicle), owner: owner}
	m.nextVehicle++
	body := map[string]string{"licenseNumber": v.plate, "brand": "Volkswagen", "type": "Golf", "ownerId": owner.id}
	return &command{kind: cmdRegisterVehicle, svc: vehiclesCtx, method: http.MethodPost, path: "/api/vehicles", body: body,
		judge: created, commit: func() { m.vehicles = append(m.vehicles, v) }, abort: func() {}}
}

func (m *model) updateCustomer(rng *rand.Rand) *command {
	c := m.customers[rng.IntN(len(m.customers))]
	if c.busy {
		return nil // one update per customer at a time: each successful PUT is one change
	}
	c.busy = true
	m.nextUpdate++
	n := m.nextUpdate
	body := map[string]string{
		"name": c.name, "address": fmt.Sprintf("Chaosweg %d", n), "postalCode": "4321 BA", "city": "Utrecht",
		"telephoneNumber": c.phone, "emailAddress": fmt.Sprintf("moved%06d@example.com", n),
	}
	return &command{kind: cmdUpdateCustomer, svc: customersCtx, method: http.MethodPut, path: "/api/customers/" + c.id, body: body,
		judge: func(status int, _ []byte, _ bool) (bool, error) {
			if status == http.StatusOK {
				return true, nil
			}
			return false, fmt.Errorf("unexpected answer %d", status)
		},
		commit: func() { c.updates++; c.busy = false }, abort: func() { c.busy = false }}
}

func (m *model) planJob(rng *rand.Rand) *command {
	if len(m.vehicles) == 0 {
		return nil
	}
	v := m.vehicles[rng.IntN(len(m.vehicles))]
	first := rng.IntN(len(m.days))
	for k := range m.days {
		day := (first+k)%len(m.days) + 1
		slots := m.slots[day-1]
		for s := m.cursor[day-1]; s < slotsPerDay; s++ {
			u := &slots[s]
			if u.jobs >= lanes || containsString(u.plates, v.plate) {
				if s == m.cursor[day-1] && u.jobs >= lanes {
					m.cursor[day-1]++
				}
				continue
			}
			u.jobs++
			u.plates = append(u.plates, v.plate)
			return m.planCommand(day, s, v)
		}
	}
	return nil // every day is full
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (m *model) planCommand(day, slot int, v *vehicle) *command {
	start := m.dayStart[day-1].Add(time.Duration(slot) * slotLength)
	j := &job{id: "job-" + uuid.NewString(), day: day, date: m.days[day-1], cust: v.owner, veh: v, start: start}
	body := map[string]any{
		"jobId": j.id, "startTime": start.Format(time.RFC3339), "endTime": start.Add(slotLength).Format(time.RFC3339),
		"description": "Chaos maintenance " + j.id[4:12],
		"customer":    map[string]string{"customerId": v.owner.id, "name": v.owner.name, "telephoneNumber": v.owner.phone},
		"vehicle":     map[string]string{"licenseNumber": v.plate, "brand": "Volkswagen", "type": "Golf"},
	}
	return &command{kind: cmdPlanJob, svc: workshopCtx, method: http.MethodPost, path: "/api/workshopplanning/" + j.date + "/jobs",
		body: body, judge: created,
		commit: func() { m.jobs = append(m.jobs, j); m.open = append(m.open, j) },
		abort:  func() {}}
}

func (m *model) finishJob(rng *rand.Rand, d *driver) *command {
	if len(m.open) == 0 {
		return nil
	}
	j := m.open[rng.IntN(len(m.open))]
	if j.busy {
		return nil
	}
	j.busy = true
	hours := 1 + rng.IntN(3)
	start, end := j.start, j.start.Add(time.Duration(hours)*time.Hour)
	body := map[string]string{"actualStartTime": start.Format(time.RFC3339), "actualEndTime": end.Format(time.RFC3339),
		"notes": "done under chaos"}
	path := "/api/workshopplanning/" + j.date + "/jobs/" + j.id
	return &command{kind: cmdFinishJob, svc: workshopCtx, method: http.MethodPut, path: path + "/finish", body: body,
		judge: func(status int, _ []byte, ambiguous bool) (bool, error) {
			switch {
			case status == http.StatusOK:
				return true, nil
			case status == http.StatusConflict && ambiguous:
				// "already finished": by the earlier attempt whose answer was lost?
				return d.jobFinished(path, start, end)
			}
			return false, fmt.Errorf("unexpected answer %d", status)
		},
		commit: func() {
			j.busy, j.hours, j.finishedIn = false, hours, m.epoch
			for i, o := range m.open {
				if o == j {
					m.open = append(m.open[:i], m.open[i+1:]...)
					break
				}
			}
		},
		abort: func() { j.busy = false }}
}

// advanceDay starts D_e, the day after the current business day, and only if the
// current day is still the one before it (a retry must not start two days).
func (m *model) advanceDay(e int, d *driver) *command {
	after, target := m.today, m.days[e-1]
	if e > 1 {
		after = m.days[e-2]
	}
	return &command{kind: cmdAdvanceDay, svc: timekeeperCtx, method: http.MethodPost, path: "/api/time/days?after=" + after,
		judge: func(status int, body []byte, ambiguous bool) (bool, error) {
			switch {
			case status == http.StatusCreated:
				var day struct{ Date string }
				if err := json.Unmarshal(body, &day); err != nil || day.Date != target {
					return false, fmt.Errorf("started %s (%v), want %s", body, err, target)
				}
				return true, nil
			case status == http.StatusConflict && ambiguous:
				cur, err := d.businessDay()
				if err != nil {
					return false, nil // ask again
				}
				if cur != target {
					return false, fmt.Errorf("business day is %s, want %s", cur, target)
				}
				return true, nil
			}
			return false, fmt.Errorf("unexpected answer %d %s", status, body)
		},
		commit: func() { m.epoch = e + 1 }, abort: func() {}}
}

// driver sends commands to the services, retrying until each succeeds.
type driver struct {
	m         *model
	procs     *processes
	client    *http.Client
	rr        atomic.Uint64
	retries   atomic.Int64 // attempts beyond each command's first
	ambiguous atomic.Int64 // commands with an attempt of unknown outcome (5xx, connection error)
}

// send sends one request to one replica of svc (round-robin; each retry moves on).
func (d *driver) send(ctx context.Context, svc string, attempt int, method, path string, body []byte) (int, []byte, error) {
	replicas := d.procs.get(svc, false)
	p := replicas[(int(d.rr.Add(1))+attempt)%len(replicas)]
	var rdr io.Reader
	if body != nil {
		rdr = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, p.url(path), rdr)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// exec runs c until it succeeds: 5xx, connection errors and concurrency conflicts are
// retried with the same body (so with the same client-supplied id).
func (d *driver) exec(ctx context.Context, c *command) error {
	var raw []byte
	if c.body != nil {
		var err error
		if raw, err = json.Marshal(c.body); err != nil {
			return err
		}
	}
	deadline := time.Now().Add(commandTimeout)
	ambiguous := false
	var last string
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			d.retries.Add(1)
		}
		status, body, err := d.send(ctx, c.svc, attempt, c.method, c.path, raw)
		done := false
		switch {
		case ctx.Err() != nil:
			d.abort(c)
			return ctx.Err()
		case err != nil || status >= 500:
			if !ambiguous {
				d.ambiguous.Add(1)
			}
			ambiguous = true
			last = fmt.Sprintf("%d %v %s", status, err, truncate(body))
		case status == http.StatusConflict && bytes.Contains(body, []byte("concurrent-update")):
			last = "concurrent update"
		default:
			ok, jerr := c.judge(status, body, ambiguous)
			if jerr != nil {
				d.abort(c)
				return fmt.Errorf("%s: %s %s: %w: %s", c.kind, c.method, c.path, jerr, truncate(body))
			}
			done = ok
			last = fmt.Sprintf("%d %s", status, truncate(body))
		}
		if done {
			d.m.mu.Lock()
			c.commit()
			d.m.counts[c.kind]++
			d.m.mu.Unlock()
			return nil
		}
		if time.Now().After(deadline) {
			d.abort(c)
			return fmt.Errorf("%s: %s %s: no success after %d attempts in %s; last: %s", c.kind, c.method, c.path,
				attempt+1, commandTimeout, last)
		}
		wait := min(20*time.Millisecond<<min(attempt, 6), time.Second)
		select {
		case <-ctx.Done():
		case <-time.After(wait/2 + rand.N(wait/2+1)):
		}
	}
}

func (d *driver) abort(c *command) {
	d.m.mu.Lock()
	c.abort()
	d.m.mu.Unlock()
}

func truncate(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// get reads a resource once; err for anything but 200.
func (d *driver) get(svc, path string, v any) error {
	status, body, err := d.send(context.Background(), svc, 0, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("GET %s: %d %s", path, status, truncate(body))
	}
	return json.Unmarshal(body, v)
}

// businessDay is timekeeper's current business day.
func (d *driver) businessDay() (string, error) {
	var day struct{ Date string }
	if err := d.get(timekeeperCtx, "/api/time", &day); err != nil {
		return "", err
	}
	return day.Date, nil
}

// jobFinished checks that the job at path is finished with the given actual times
// (false, nil: could not tell, ask again).
func (d *driver) jobFinished(path string, start, end time.Time) (bool, error) {
	var j struct {
		Status          string
		ActualStartTime string
		ActualEndTime   string
	}
	if err := d.get(workshopCtx, path, &j); err != nil {
		return false, nil
	}
	s, err1 := time.Parse(time.RFC3339, j.ActualStartTime)
	e, err2 := time.Parse(time.RFC3339, j.ActualEndTime)
	if j.Status != "Completed" || errors.Join(err1, err2) != nil || !s.Equal(start) || !e.Equal(end) {
		return false, fmt.Errorf("409 on a retried finish, but the job is %+v", j)
	}
	return true, nil
}

// run executes n commands, workers at a time; next picks each (nil: nothing to do,
// which ends that worker).
func (d *driver) run(ctx context.Context, n int, seed uint64, next func(rng *rand.Rand) *command) error {
	var issued atomic.Int64
	g, ctx := errgroup.WithContext(ctx)
	for w := range workers {
		rng := rand.New(rand.NewPCG(seed, uint64(w)+1))
		g.Go(func() error {
			for issued.Add(1) <= int64(n) {
				c := next(rng)
				if c == nil {
					return nil
				}
				if err := d.exec(ctx, c); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// nextMixed picks the next command of the main phase: registrations, updates, plans
// and finishes, in proportions that keep every kind supplied.
func (d *driver) nextMixed(rng *rand.Rand) *command {
	m := d.m
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.customers)+len(m.vehicles) < 12 {
		if len(m.customers) < 6 {
			return m.registerCustomer()
		}
		return m.registerVehicle(rng)
	}
	for {
		var c *command
		switch r := rng.IntN(100); {
		case r < 14:
			c = m.registerCustomer()
		case r < 30:
			c = m.registerVehicle(rng)
		case r < 42:
			c = m.updateCustomer(rng)
		case r < 82:
			c = m.planJob(rng)
		default:
			c = m.finishJob(rng, d)
		}
		if c != nil {
			return c
		}
	}
}

// nextFinish picks a job to finish (between two business days); nil when none is left.
func (d *driver) nextFinish(rng *rand.Rand) *command {
	m := d.m
	m.mu.Lock()
	defer m.mu.Unlock()
	for range 100 {
		if len(m.open) == 0 {
			return nil
		}
		if c := m.finishJob(rng, d); c != nil {
			return c
		}
	}
	return nil
}
