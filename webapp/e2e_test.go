package webapp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitstop/pitstop/cmd/pitstop/system"
	"github.com/pitstop/pitstop/shared-go/auth"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/testutil"
	"github.com/pitstop/pitstop/webapp"
)

// liveSystem is the whole of Pitstop in-process with the webapp in front of it.
type liveSystem struct {
	sys *system.System
	app *webapp.WebApp
	env *env
	// today is the date the test plans on, in the webapp's (local) time zone.
	today string
	// js reaches the system's JetStream; dataDir holds its mail (.eml files).
	js      jetstream.JetStream
	dataDir string
}

// startLiveSystem starts every context on a fresh database and a webapp that knows
// two instances of customers: the real one and one that is down.
func startLiveSystem(t *testing.T) *liveSystem {
	t.Helper()
	dataDir := t.TempDir()
	dbURL := testutil.Database(t)
	_, key, err := auth.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	// The system's services trust key's tokens; the test runs its own webapp with it.
	sys, err := system.Start(context.Background(), system.Options{
		SigningKey:   key,
		NoWebApp:     true,
		DatabaseURL:  dbURL,
		DataDir:      dataDir,
		FreePorts:    true,
		PollInterval: 100 * time.Millisecond,
		Logger:       testutil.Logger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sys.Stop(); err != nil {
			t.Errorf("stop system: %v", err)
		}
	})
	upstreams := map[string][]string{}
	for _, s := range []string{webapp.Customers, webapp.Vehicles, webapp.Workshop, webapp.Notifications,
		webapp.Invoicing, webapp.Timekeeper, webapp.Auditlog} {
		if u := sys.URL(s); u != "" {
			upstreams[s] = []string{u}
		}
	}
	upstreams[webapp.Customers] = append(upstreams[webapp.Customers], deadURL(t))

	nc, err := nats.Connect(sys.NATSURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	// The health checks run at their default period, which is also their probe's
	// timeout: a shorter one (it was 500 ms) marks a slow but healthy service down when
	// the machine is loaded (a full test run), and a page then answers "offline".
	o := webapp.Options{Upstreams: upstreams, JetStream: js,
		Log: testutil.Logger(t), Registry: prometheus.NewRegistry(), Location: time.Local,
		HealthInterval: 2 * time.Second, SigningKey: key, Pool: testutil.Pool(t, dbURL, webapp.Schema)}
	withAuth(t, &o)
	a, err := webapp.New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler(64 << 10))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	workers := a.Workers()
	for _, w := range workers {
		go func() {
			if err := w(ctx); err != nil {
				t.Errorf("webapp worker: %v", err)
			}
			done <- struct{}{}
		}()
	}
	t.Cleanup(func() {
		cancel()
		for range workers {
			<-done
		}
		srv.Close()
	})
	select {
	case <-a.LiveReady():
	case <-time.After(30 * time.Second):
		t.Fatal("live updates did not start")
	}
	e := &env{t: t, app: a, srv: srv, key: key, pool: o.Pool}
	e.signIn("admin", adminPassword)
	e.token = e.issue(auth.Administrator)
	return &liveSystem{sys: sys, app: a, env: e, today: time.Now().Format(time.DateOnly),
		js: js, dataDir: dataDir}
}

// api calls the gateway with JSON and decodes the answer into out (if not nil).
func (l *liveSystem) api(t *testing.T, method, path string, in, out any) int {
	t.Helper()
	var body *bytes.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(b)
	} else {
		body = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, l.env.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	l.env.authorize(req)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode < 300 {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

// invoicingConsumer is the invoicing context's durable JetStream consumer.
const invoicingConsumer = "invoicing"

// waitInvoicingKnowsFinished waits until the invoicing context has processed the
// MaintenanceJobFinished events of jobIDs (planned on date), so that the next business
// day invoices them: each event is in JetStream (the audit log has recorded it), and
// then invoicing's consumer has nothing pending or unacknowledged (it acknowledges
// after committing).
func (l *liveSystem) waitInvoicingKnowsFinished(t *testing.T, date string, jobIDs ...string) {
	t.Helper()
	testutil.Eventually(t, 30*time.Second, func() bool {
		var audit struct {
			Items []struct {
				Data struct {
					JobID string `json:"jobId"`
				} `json:"data"`
			} `json:"items"`
		}
		if l.api(t, http.MethodGet, "/api/auditlog?type=MaintenanceJobFinished&limit=200&subject="+url.QueryEscape(date), nil, &audit) != http.StatusOK {
			return false
		}
		seen := map[string]bool{}
		for _, it := range audit.Items {
			seen[it.Data.JobID] = true
		}
		for _, id := range jobIDs {
			if !seen[id] {
				return false
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := l.js.Consumer(ctx, messaging.StreamName, invoicingConsumer)
		if err != nil {
			return false
		}
		info, err := c.Info(ctx)
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0
	}, "invoicing never processed the finished jobs")
}

// mailFile waits for the .eml file of the message whose id contains part and returns
// its content.
func (l *liveSystem) mailFile(t *testing.T, part string) string {
	t.Helper()
	var content string
	testutil.Eventually(t, 30*time.Second, func() bool {
		files, _ := filepath.Glob(filepath.Join(l.dataDir, "mail", "*.eml"))
		for _, f := range files {
			if strings.Contains(filepath.Base(f), part) {
				b, err := os.ReadFile(f)
				content = string(b)
				return err == nil
			}
		}
		return false
	}, "no mail "+part)
	return content
}

func TestEndToEnd(t *testing.T) {
	t.Parallel()
	l := startLiveSystem(t)
	t.Run("forms over HTTP against the real services", func(t *testing.T) { formsScenario(t, l) })
	t.Run("browser", func(t *testing.T) { browserScenario(t, l) })
}

// formsScenario submits the webapp's forms as a browser without JavaScript would,
// against the real APIs: their validation, idempotency and rules must come through.
func formsScenario(t *testing.T, l *liveSystem) {
	e := l.env
	// The real API's field errors appear next to the fields.
	form := e.get("/customers/new")
	form.expect(t, http.StatusOK)
	bad := customerForm(jane)
	bad.Set("customerId", form.hidden("customerId"))
	bad.Set("emailAddress", "not an address")
	bad.Set("name", "")
	p := e.post("/customers", bad)
	p.expect(t, http.StatusBadRequest)
	if p.fieldError("emailAddress") == "" || p.fieldError("name") == "" || p.fieldError("city") != "" {
		t.Fatalf("field errors: e-mail %q, name %q, city %q", p.fieldError("emailAddress"), p.fieldError("name"), p.fieldError("city"))
	}

	// Submitted three times (retries, double clicks, one instance down): one customer.
	good := customerForm(jane)
	good.Set("customerId", form.hidden("customerId"))
	good.Set("name", "Harry Forms")
	for i := range 3 {
		if p := e.post("/customers", good); p.status != http.StatusSeeOther {
			t.Fatalf("register %d: %d %s", i+1, p.status, p.body)
		}
	}
	id := good.Get("customerId")
	var list struct {
		Items []struct{ Name string } `json:"items"`
	}
	l.api(t, http.MethodGet, "/api/customers?limit=200", nil, &list)
	n := 0
	for _, c := range list.Items {
		if c.Name == "Harry Forms" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d customers named Harry Forms after three submits of one form", n)
	}
	e.get("/customers/"+id).expect(t, http.StatusOK, "Harry Forms")

	veh := url.Values{"licenseNumber": {"ht-001-p"}, "brand": {"Toyota"}, "type": {"Corolla"}, "ownerId": {id}}
	if p := e.post("/vehicles", veh); p.status != http.StatusSeeOther || p.location != "/vehicles/HT-001-P" {
		t.Fatalf("register vehicle: %d %q %s", p.status, p.location, p.body)
	}
	e.get("/vehicles/HT-001-P").expect(t, http.StatusOK, "Toyota", `<a id="owner" href="/customers/`+id+`">Harry Forms</a>`)

	// The workshop learns of the vehicle and its owner through events.
	testutil.Eventually(t, 30*time.Second, func() bool {
		p := e.get("/workshop/schedule")
		return p.status == http.StatusOK && strings.Contains(p.body, `<option value="HT-001-P">HT-001-P · Toyota Corolla (Harry Forms)</option>`)
	}, "vehicle never offered for planning")

	sched := e.get("/workshop/schedule")
	job := url.Values{"jobId": {sched.hidden("jobId")}, "licenseNumber": {"HT-001-P"}, "date": {l.today},
		"startTime": {"08:00"}, "endTime": {"10:00"}, "description": {"Forms job"}}
	for i := range 2 {
		if p := e.post("/workshop/schedule", job); p.status != http.StatusSeeOther {
			t.Fatalf("schedule %d: %d %s", i+1, p.status, p.body)
		}
	}
	var planning struct {
		Jobs []struct {
			JobID       string `json:"jobId"`
			Description string `json:"description"`
			Customer    struct{ Name string }
		} `json:"jobs"`
	}
	l.api(t, http.MethodGet, "/api/workshopplanning/"+l.today, nil, &planning)
	var mine int
	for _, j := range planning.Jobs {
		if j.Description == "Forms job" {
			mine++
			if j.JobID != job.Get("jobId") || j.Customer.Name != "Harry Forms" {
				t.Fatalf("planned %+v", j)
			}
		}
	}
	if mine != 1 {
		t.Fatalf("%d jobs planned by one form submitted twice", mine)
	}

	// The workshop's rule, in words.
	overlap := url.Values{"jobId": {uuid.NewString()}, "licenseNumber": {"HT-001-P"}, "date": {l.today},
		"startTime": {"09:00"}, "endTime": {"11:00"}, "description": {"Overlap"}}
	e.post("/workshop/schedule", overlap).expect(t, http.StatusConflict,
		"Only 1 maintenance job can be executed on a vehicle during a certain time-slot.")

	finish := "/workshop/" + l.today + "/jobs/" + job.Get("jobId") + "/finish"
	f := e.get(finish)
	if f.inputValue("actualStartTime") != "08:00" || f.inputValue("actualEndTime") != "10:00" {
		t.Fatalf("finish form prefilled %q–%q", f.inputValue("actualStartTime"), f.inputValue("actualEndTime"))
	}
	done := url.Values{"actualStartTime": {"08:15"}, "actualEndTime": {"09:30"}, "notes": {"All good"}}
	for i := range 2 {
		if p := e.post(finish, done); p.status != http.StatusSeeOther {
			t.Fatalf("finish %d: %d %s", i+1, p.status, p.body)
		}
	}
	e.get("/workshop/"+l.today+"/jobs/"+job.Get("jobId")).expect(t, http.StatusOK, "Completed", "08:15–09:30", "All good")

	// The gateway serves the other APIs too: the audit log has the registration.
	testutil.Eventually(t, 30*time.Second, func() bool {
		var audit struct {
			Items []struct{ Type string } `json:"items"`
		}
		if l.api(t, http.MethodGet, "/api/auditlog?subject="+id, nil, &audit) != http.StatusOK {
			return false
		}
		for _, it := range audit.Items {
			if strings.HasSuffix(it.Type, "CustomerRegistered") {
				return true
			}
		}
		return false
	}, "registration never reached the audit log through the gateway")

	// The dead customers instance was found out and is skipped.
	testutil.Eventually(t, 30*time.Second, func() bool {
		return strings.Contains(e.get("/about").body, "badge-down")
	}, "the dead customers instance is not shown as down")

	// The business day: the form starts the next day once, however often it is sent.
	l.waitInvoicingKnowsFinished(t, l.today, job.Get("jobId"))
	bd := e.get("/business-day")
	bd.expect(t, http.StatusOK, "Start the next business day")
	current := bd.hidden("current")
	start := url.Values{"current": {current}}
	p = e.post("/business-day", start)
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/business-day?started=") {
		t.Fatalf("start the next day: %d %q %s", p.status, p.location, p.body)
	}
	started := strings.TrimPrefix(p.location, "/business-day?started=")
	if want, err := time.Parse(time.DateOnly, current); current != "" && (err != nil || started != want.AddDate(0, 0, 1).Format(time.DateOnly)) {
		t.Fatalf("started %s after %s", started, current)
	}
	e.post("/business-day", start).expect(t, http.StatusConflict, "Nothing was started: the business day has already moved on")
	var day struct{ Date string }
	if s := l.api(t, http.MethodGet, "/api/time", nil, &day); s != http.StatusOK || day.Date != started {
		t.Fatalf("business day %d %q after one start, want %s", s, day.Date, started)
	}
	e.get(p.location).expect(t, http.StatusOK, "has started.")

	// Harry's finished job (08:15–09:30: 1.25 h at € 18.50 = € 23.125, rounded half up) is invoiced.
	var invoices string
	testutil.Eventually(t, 30*time.Second, func() bool {
		p := e.get("/invoices?customerId=" + id)
		invoices = p.body
		return p.status == http.StatusOK && strings.Contains(p.body, "€ 23.13")
	}, "Harry's invoice never appeared")
	m := regexp.MustCompile(`href="(/invoices/[0-9a-f-]{36})"`).FindStringSubmatch(invoices)
	if m == nil {
		t.Fatalf("no invoice link in\n%s", invoices)
	}
	e.get(m[1]).expect(t, http.StatusOK, "Harry Forms", "08:15–09:30", "1.25", "Forms job", "HT-001-P", "€ 23.13")
}
