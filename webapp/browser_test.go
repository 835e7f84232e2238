package webapp_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"github.com/pitstop/pitstop/shared-go/testutil"
)

// chromiumPath is Debian's chromium, or PITSTOP_CHROMIUM.
func chromiumPath() string {
	if p := os.Getenv("PITSTOP_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// artifactsDir is where the screenshots go: $PITSTOP_ARTIFACTS_DIR/webapp-browser when
// set (kept), otherwise the test's temporary directory (removed after the test).
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if base := os.Getenv("PITSTOP_ARTIFACTS_DIR"); base != "" {
		dir = filepath.Join(base, "webapp-browser")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// browser drives one headless chromium tab.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	dir  string
	shot int
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	path := chromiumPath()
	if _, err := os.Stat(path); err != nil {
		t.Skipf("browser test skipped: no chromium at %s (apt-get install chromium, or set PITSTOP_CHROMIUM; .ci/run installs it)", path)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], // headless, no first run, no background networking, no sync, ...
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	// The first Run starts the browser, which lives as long as this context: no timeout here.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium %s: %v", path, err)
	}
	return &browser{t: t, ctx: ctx, base: base, dir: artifactsDir(t)}
}

// run performs actions; on failure it saves a screenshot and the page's HTML and fails.
func (b *browser) run(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 45*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.screenshot("failure-" + strings.ReplaceAll(step, " ", "-"))
		hctx, hcancel := context.WithTimeout(b.ctx, 5*time.Second)
		html, _ := chromedp.Run(hctx, chromedp.OuterHTML("html"))
		hcancel()
		b.t.Fatalf("%s: %v\npage:\n%s", step, err, html)
	}
}

// try performs actions with the same deadline as run and returns their error.
func (b *browser) try(actions ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(b.ctx, 45*time.Second)
	defer cancel()
	return chromedp.Do(ctx, actions...)
}

// screenshot saves the whole page as NN-name.png and logs its path.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	b.shot++
	path := filepath.Join(b.dir, fmt.Sprintf("%02d-%s.png", b.shot, name))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
}

// into runs a and stores its value in dst.
func into[T any](a chromedp.Action[T], dst *T) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		v, err := a(ctx, t)
		if err == nil {
			*dst = v
		}
		return chromedp.Void{}, err
	}
}

// attr stores the value of the first sel's attribute name in dst.
func attr(sel, name string, dst *string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		r, err := chromedp.AttributeValue(sel, name)(ctx, t)
		*dst = r.Value
		return chromedp.Void{}, err
	}
}

// navigateStatus navigates to url and stores the HTTP status of its response in dst.
func navigateStatus(url string, dst *int64) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		resp, err := chromedp.NavigateResponse(url)(ctx, t)
		if err == nil && resp != nil {
			*dst = resp.Status
		}
		return chromedp.Void{}, err
	}
}

// waitJS polls a JavaScript condition until it is true.
func waitJS(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(50*time.Millisecond))
}

// eval runs a script whose result does not matter.
func eval(script string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Evaluate[bool](script)(ctx, t)
		return chromedp.Void{}, err
	}
}

// staffMember is an account the administrator adds in the browser scenario.
type staffMember struct{ user, name, role, password string }

var (
	browserFrontDesk = staffMember{"frida", "Frida Desk", "frontdesk", "frontdesk-secret-1"}
	browserPlanner   = staffMember{"piet", "Piet Planner", "planner", "planner-secret-22"}
	browserMechanic  = staffMember{"max", "Max Mechanic", "mechanic", "mechanic-secret-333"}
)

// signIn opens path, is sent to the sign-in page, signs in as user and is taken back
// to path; the top bar then names them.
func (b *browser) signIn(path, user, password, name string) {
	b.t.Helper()
	var who string
	b.run("sign in as "+user,
		chromedp.Navigate(b.base+path),
		chromedp.WaitVisible("#signin-form"),
		chromedp.SendKeys("#username", user),
		chromedp.SendKeys("#password", password),
		chromedp.Click(`#signin-form button[type="submit"]`),
		chromedp.WaitVisible("#signed-in-as"),
		into(chromedp.Text("#signed-in-as"), &who),
	)
	if !strings.Contains(who, name) {
		b.t.Fatalf("signed in as %s, the top bar says %q", user, who)
	}
}

// signOut signs out with the top bar's button and lands on the sign-in page.
func (b *browser) signOut() {
	b.t.Helper()
	b.run("sign out",
		chromedp.Click(`form.signout button[type="submit"]`),
		chromedp.WaitVisible("#signin-form"),
	)
}

// browserScenario walks the garage's day in a real browser, each step by the role
// whose work it is: the administrator adds a front desk, a planner and a mechanic on
// the Staff page; the front desk registers a customer and, choosing the owner with the
// type-ahead picker, a vehicle, sees no Business day in the navigation and gets the 403
// page there; the planner schedules a job today 08:00–12:00 (the vehicle chosen with
// the type-ahead picker), sees it Planned, has the Move and Cancel forms, and sees the
// overlap rule in words; the mechanic (who has neither form) finishes it 08:00–11:00
// with notes, sees it Completed, and sees the day view update itself when a job is
// planned and finished elsewhere; the administrator plans a job on the next business
// day, starts that day on the Business day page, sees the customer's invoice (both
// finished jobs, € 64.75) and the reminder of the next day's job, each sent, and the
// audit log naming the planner as who planned the job and the mechanic as who
// finished it.
func browserScenario(t *testing.T, l *liveSystem) {
	b := newBrowser(t, l.env.srv.URL)
	u := func(path string) string { return b.base + path }

	// 0. The administrator adds the staff: a page asks for a sign-in first and comes
	// back afterwards.
	b.signIn("/staff", "admin", adminPassword, "")
	for _, m := range []staffMember{browserFrontDesk, browserPlanner, browserMechanic} {
		var row string
		b.run("add staff member "+m.user,
			chromedp.WaitVisible("#staff-form"),
			chromedp.SendKeys("#userName", m.user),
			chromedp.SendKeys("#displayName", m.name),
			chromedp.SetValue("#role", m.role),
			chromedp.SendKeys("#password", m.password),
			// They keep this password (the forced change has tests of its own).
			eval(`document.querySelector('#staff-form input[name="mustChange"]').checked = false; true`),
			chromedp.Click(`#staff-form button[type="submit"]`),
			chromedp.WaitVisible("#staff-"+m.user),
			into(chromedp.Text("#staff-"+m.user), &row),
		)
		if !strings.Contains(row, m.name) || !strings.Contains(row, "active") || strings.Contains(row, "must change") {
			t.Fatalf("staff row of %s: %q", m.user, row)
		}
	}
	b.screenshot("staff-added")
	b.signOut()

	// 1. The front desk registers a customer. There is no Business day for them: not
	// in the navigation, and the page itself is refused.
	b.signIn("/customers/new", browserFrontDesk.user, browserFrontDesk.password, browserFrontDesk.name)
	var businessDayLink bool
	b.run("front desk navigation",
		into(chromedp.Evaluate[bool](`!!document.querySelector('nav a[href="/business-day"]')`), &businessDayLink),
	)
	if businessDayLink {
		t.Fatal("the front desk is offered the Business day in the navigation")
	}
	var customerURL, heading string
	b.run("register customer",
		chromedp.WaitVisible("#customer-form"),
		chromedp.SendKeys("#name", "Ada Browser"),
		chromedp.SendKeys("#address", "Keizersgracht 1"),
		chromedp.SendKeys("#postalCode", "1015 CJ"),
		chromedp.SendKeys("#city", "Amsterdam"),
		chromedp.SendKeys("#telephoneNumber", "+31 20 555 0101"),
		chromedp.SendKeys("#emailAddress", "ada@example.com"),
		chromedp.Click(`#customer-form button[type="submit"]`),
		chromedp.WaitVisible("#customer"),
		into(chromedp.Text("h1"), &heading),
		into(chromedp.Location(), &customerURL),
	)
	if heading != "Ada Browser" || !strings.Contains(customerURL, "/customers/") {
		t.Fatalf("after registering: heading %q at %s", heading, customerURL)
	}
	customerID := customerURL[strings.LastIndex(customerURL, "/")+1:]
	if _, err := uuid.Parse(customerID); err != nil {
		t.Fatalf("customer page %s", customerURL)
	}
	b.screenshot("customer-registered")

	// 2. The front desk registers a vehicle. The form opened from the customer's page
	// has them as the owner; the front desk picks the owner anew by typing a part of
	// the name: the picker's list is refilled with the matches only (no other
	// customer, such as the forms scenario's Harry Forms).
	var owner, ownerOption, ownerText string
	b.run("open the vehicle form",
		chromedp.Click(`a[href^="/vehicles/new?ownerId="]`),
		chromedp.WaitVisible("#vehicle-form"),
		into(chromedp.Value("#ownerId"), &owner),
	)
	if owner != customerID {
		t.Fatalf("owner preselected %q, want %s", owner, customerID)
	}
	adaOption := `#ownerId-options option[value="` + customerID + `"]`
	b.run("pick the owner",
		eval(`document.querySelector("#ownerId").value = ""; true`),
		chromedp.SendKeys("#ownerId", "ada bro"),
		waitJS(`!!document.querySelector('`+adaOption+`') && `+
			`![...document.querySelectorAll('#ownerId-options option')].some(o => o.textContent.includes("Harry Forms"))`),
		into(chromedp.TextContent(adaOption), &ownerOption),
		// Choosing the option puts its value, the customer id, in the field.
		chromedp.SetValue("#ownerId", customerID),
		chromedp.SendKeys("#licenseNumber", "AB-123-C"),
		chromedp.SendKeys("#brand", "Volkswagen"),
		chromedp.SendKeys("#type", "Golf"),
	)
	if !strings.Contains(ownerOption, "Ada Browser") {
		t.Fatalf("the owner picker offers %s as %q", customerID, ownerOption)
	}
	b.screenshot("owner-picked")
	b.run("register vehicle",
		chromedp.Click(`#vehicle-form button[type="submit"]`),
		chromedp.WaitVisible("#vehicle"),
		into(chromedp.Text("#owner"), &ownerText),
	)
	if ownerText != "Ada Browser" {
		t.Fatalf("owner shown as %q", ownerText)
	}
	b.screenshot("vehicle-registered")

	// The Business day page is for the administrator: the front desk gets the 403 page.
	var refused int64
	var refusal string
	b.run("front desk refused the business day",
		navigateStatus(u("/business-day"), &refused),
		chromedp.WaitVisible(".error-page"),
		into(chromedp.Text(".error-page"), &refusal),
	)
	if refused != http.StatusForbidden || !strings.Contains(refusal, "Not allowed") ||
		!strings.Contains(refusal, "you are signed in as") {
		t.Fatalf("the front desk on /business-day: %v, %q", refused, refusal)
	}
	b.screenshot("front-desk-refused")
	b.signOut()

	// 3. The planner schedules a job today 08:00–12:00. The workshop learns of the
	// vehicle through events: until it has, the picker finds nothing.
	b.signIn("/workshop/schedule", browserPlanner.user, browserPlanner.password, browserPlanner.name)
	testutil.Eventually(t, 60*time.Second, func() bool {
		var known bool
		b.run("the workshop knows the vehicle",
			into(chromedp.Evaluate[bool](`fetch("/pick/vehicles?q=AB-123-C", {headers: {Accept: "application/json"}})`+
				`.then(r => r.ok ? r.json() : []).then(a => a.some(i => i.id === "AB-123-C"))`, chromedp.EvalAwaitPromise), &known),
		)
		return known
	}, "the vehicle was never offered for planning")
	vehicleOption := `#licenseNumber-options option[value="AB-123-C"]`
	var date, start, end, option, jobID string
	b.run("schedule job",
		chromedp.Navigate(u("/workshop/schedule")),
		chromedp.WaitVisible("#job-form"),
		into(chromedp.Value(`#job-form input[name="jobId"]`), &jobID),
		into(chromedp.Value("#date"), &date),
		into(chromedp.Value("#startTime"), &start),
		into(chromedp.Value("#endTime"), &end),
		// Typed, the picker's list holds the matches only (not the forms scenario's HT-001-P).
		chromedp.SendKeys("#licenseNumber", "ab-123"),
		waitJS(`!!document.querySelector('`+vehicleOption+`') && !document.querySelector('#licenseNumber-options option[value="HT-001-P"]')`),
		into(chromedp.TextContent(vehicleOption), &option),
		chromedp.SetValue("#licenseNumber", "AB-123-C"),
		chromedp.SetValue("#endTime", "12:00"),
		chromedp.SendKeys("#description", "Yearly maintenance"),
	)
	if date != l.today || start != "08:00" || end != "10:00" || !strings.Contains(option, "Ada Browser") {
		t.Fatalf("schedule form defaults: date %q start %q end %q, option %q", date, start, end, option)
	}
	if _, err := uuid.Parse(jobID); err != nil {
		t.Fatalf("schedule form job id %q", jobID)
	}
	b.screenshot("schedule-form")
	// The row of this job (the day may hold other jobs).
	jobRow := "#job-" + jobID
	var row, status string
	b.run("see job planned",
		chromedp.Click(`#job-form button[type="submit"]`),
		chromedp.WaitVisible(jobRow),
		attr(jobRow, "data-status", &status),
		into(chromedp.Text(jobRow), &row),
	)
	if status != "Planned" || !strings.Contains(row, "08:00–12:00") || !strings.Contains(row, "AB-123-C") ||
		!strings.Contains(row, "Yearly maintenance") || !strings.Contains(row, "Ada Browser") {
		t.Fatalf("planned job row: status %q, %q", status, row)
	}
	b.screenshot("job-planned")
	jobPage := u("/workshop/" + l.today + "/jobs/" + jobID)
	b.run("the planner can move and cancel the job",
		chromedp.Navigate(jobPage),
		chromedp.WaitVisible("#move-form"),
		chromedp.WaitVisible("#cancel-form"),
	)
	b.screenshot("job-page-planner")

	// A second job for the same vehicle in an overlapping slot: the rule, in words.
	var rejection string
	b.run("overlapping job rejected",
		chromedp.Navigate(u("/workshop/schedule")),
		chromedp.WaitVisible("#job-form"),
		chromedp.SetValue("#licenseNumber", "AB-123-C"),
		chromedp.SetValue("#startTime", "09:00"),
		chromedp.SendKeys("#description", "Overlapping job"),
		chromedp.Click(`#job-form button[type="submit"]`),
		chromedp.WaitVisible("#job-form .alert-error"),
		into(chromedp.Text("#job-form .alert-error"), &rejection),
	)
	if rejection != "Only 1 maintenance job can be executed on a vehicle during a certain time-slot." {
		t.Fatalf("overlap shown as %q", rejection)
	}
	b.screenshot("overlap-rejected")
	b.signOut()

	// 4. The mechanic finishes it 08:00–11:00 with notes. Moving and cancelling are
	// not theirs: the job page has no such forms for them.
	b.signIn("/workshop/"+l.today+"/jobs/"+jobID, browserMechanic.user, browserMechanic.password, browserMechanic.name)
	var planningForms bool
	b.run("the mechanic's job page",
		chromedp.WaitVisible("#job"),
		into(chromedp.Evaluate[bool](`!!document.querySelector('#move-form, #cancel-form')`), &planningForms),
	)
	if planningForms {
		t.Fatal("the mechanic is offered the move or cancel form")
	}
	b.run("back to the day", chromedp.Navigate(u("/workshop/"+l.today)), chromedp.WaitVisible(jobRow))

	var actualStart, actualEnd string
	b.run("finish job",
		chromedp.Click(jobRow+" a.finish"),
		chromedp.WaitVisible("#finish-form"),
		into(chromedp.Value("#actualStartTime"), &actualStart),
		into(chromedp.Value("#actualEndTime"), &actualEnd),
		chromedp.SetValue("#actualEndTime", "11:00"),
		chromedp.SendKeys("#notes", "Replaced oil and filters; brakes fine."),
	)
	if actualStart != "08:00" || actualEnd != "12:00" {
		t.Fatalf("finish form prefilled %q–%q, want the planned 08:00–12:00", actualStart, actualEnd)
	}
	b.screenshot("finish-form")
	var class string
	b.run("see job completed",
		chromedp.Click(`#finish-form button[type="submit"]`),
		chromedp.WaitVisible(jobRow),
		attr(jobRow, "data-status", &status),
		attr(jobRow, "class", &class),
		into(chromedp.Text(jobRow), &row),
	)
	if status != "Completed" || !strings.Contains(class, "completed") || !strings.Contains(row, "done 08:00–11:00") {
		t.Fatalf("finished job row: status %q class %q, %q", status, class, row)
	}
	b.screenshot("job-completed")

	// 5. Live: a job planned and finished elsewhere appears on the open page, without
	// the page being reloaded (a marker set on this page survives).
	b.run("wait for live updates",
		waitJS(`document.body.dataset.live === "on"`),
		eval(`window.pitstopMarker = "still here"; true`),
	)
	otherID := uuid.NewString()
	at := func(hhmm string) string {
		tm, err := time.ParseInLocation("2006-01-02 15:04", l.today+" "+hhmm, time.Local)
		if err != nil {
			t.Fatal(err)
		}
		return tm.Format(time.RFC3339)
	}
	plan := map[string]any{"jobId": otherID, "startTime": at("13:00"), "endTime": at("14:00"), "description": "Planned elsewhere",
		"customer": map[string]string{"customerId": customerID, "name": "Ada Browser", "telephoneNumber": "+31 20 555 0101"},
		"vehicle":  map[string]string{"licenseNumber": "AB-123-C", "brand": "Volkswagen", "type": "Golf"}}
	if s := l.api(t, http.MethodPost, "/api/workshopplanning/"+l.today+"/jobs", plan, nil); s != http.StatusCreated {
		t.Fatalf("plan through the gateway: %d", s)
	}
	b.run("see job planned elsewhere",
		waitJS(`!!document.querySelector('#job-`+otherID+`[data-status="Planned"]')`),
	)
	fin := map[string]string{"actualStartTime": at("13:00"), "actualEndTime": at("13:30"), "notes": "done elsewhere"}
	if s := l.api(t, http.MethodPut, "/api/workshopplanning/"+l.today+"/jobs/"+otherID+"/finish", fin, nil); s != http.StatusOK {
		t.Fatalf("finish through the gateway: %d", s)
	}
	var marker string
	if err := b.try(waitJS(`!!document.querySelector('#job-` + otherID + `[data-status="Completed"]')`)); err != nil {
		// Tell a lost update from a late event: did the event reach the audit log, how
		// often did the page reload its list, and does a fresh list show the job done?
		var audit struct {
			Items []struct{ Type, Time string } `json:"items"`
		}
		l.api(t, http.MethodGet, "/api/auditlog?q="+otherID, nil, &audit)
		var diag string
		b.run("diagnose", into(chromedp.Evaluate[string](`fetch(document.getElementById("joblist").dataset.fragment).then(r => r.text())`+
			`.then(h => "live=" + document.body.dataset.live + " reloads=" + document.getElementById("joblist").dataset.reloads + `+
			`" fresh list has it completed=" + h.includes('id="job-`+otherID+`" class="job completed"'))`, chromedp.EvalAwaitPromise), &diag))
		b.screenshot("failure-see-job-finished-elsewhere")
		t.Fatalf("see job finished elsewhere: %v (at %s); %s; audit log of the job: %+v", err, time.Now().Format(time.RFC3339Nano), diag, audit.Items)
	}
	b.run("see job finished elsewhere",
		into(chromedp.Evaluate[string](`window.pitstopMarker || ""`), &marker),
	)
	if marker != "still here" {
		t.Fatal("the page was reloaded instead of updating its job list")
	}
	b.screenshot("live-updates")

	b.signOut()

	// 6. The administrator's business day: the next day's job gets a reminder when
	// that day begins.
	b.signIn("/", "admin", adminPassword, "")
	var current, next string
	b.run("open business day",
		chromedp.Click(`a.card[href="/business-day"]`),
		chromedp.WaitVisible("#start-day-form"),
		attr("#current-date", "data-date", &current),
		attr("#next-date", "data-date", &next),
	)
	if want, err := time.Parse(time.DateOnly, current); err != nil || next != want.AddDate(0, 0, 1).Format(time.DateOnly) {
		t.Fatalf("business day %q, next %q", current, next)
	}
	b.screenshot("business-day")
	var nextJobID string
	b.run("open the next day's schedule form",
		chromedp.Click(`#start-day-form a[href="/workshop/`+next+`"]`),
		chromedp.WaitVisible("#schedule"),
		chromedp.Click("#schedule"),
		chromedp.WaitVisible("#job-form"),
		into(chromedp.Value(`#job-form input[name="jobId"]`), &nextJobID),
		into(chromedp.Value("#date"), &date),
	)
	b.run("plan the job on the next day",
		chromedp.SetValue("#licenseNumber", "AB-123-C"),
		chromedp.SetValue("#startTime", "09:00"),
		chromedp.SetValue("#endTime", "10:30"),
		chromedp.SendKeys("#description", "Tyre change"),
		chromedp.Click(`#job-form button[type="submit"]`),
		chromedp.WaitVisible("#job-"+nextJobID),
	)
	if date != next {
		t.Fatalf("the schedule form opened from the next day's planning is for %q, want %s", date, next)
	}

	// 7. Start the next business day. (Invoicing must have seen both finished jobs
	// first, or they would be invoiced on the day after: wait for it, as the garage
	// would wait a moment.)
	l.waitInvoicingKnowsFinished(t, l.today, jobID, otherID)
	var notice, now string
	b.run("start the next business day",
		chromedp.Click(`nav a[href="/business-day"]`),
		chromedp.WaitVisible("#start-day-form"),
		chromedp.Click(`#start-day-form button[type="submit"]`),
		chromedp.WaitVisible("#day-started"),
		into(chromedp.Text("#day-started"), &notice),
		attr("#current-date", "data-date", &now),
	)
	if now != next || !strings.Contains(notice, "has started") {
		t.Fatalf("after starting the day: current %q (want %s), notice %q", now, next, notice)
	}
	b.screenshot("business-day-started")

	// 8. The invoice: 08:00–11:00 is 3 h = € 55.50, 13:00–13:30 is 0.5 h = € 9.25.
	invoiceRow := `#invoices tr.invoice[data-customer="` + customerID + `"]`
	testutil.Eventually(t, 30*time.Second, func() bool {
		var found bool
		b.run("open invoices",
			chromedp.Click(`nav a[href="/invoices"]`),
			chromedp.WaitVisible("h1"),
			into(chromedp.Evaluate[bool](`!!document.querySelector('`+invoiceRow+`')`), &found),
		)
		return found
	}, "Ada's invoice never appeared")
	var total, invoiceURL, invoiceTotal, lines string
	b.run("read the invoice",
		into(chromedp.Text(invoiceRow+" td.total"), &total),
	)
	if total != "€ 64.75" {
		t.Fatalf("invoice total in the list %q, want € 64.75", total)
	}
	b.screenshot("invoices")
	b.run("open the invoice",
		chromedp.Click(invoiceRow+" td a"),
		chromedp.WaitVisible("#invoice-lines"),
		into(chromedp.Location(), &invoiceURL),
		into(chromedp.Text("#invoice-total"), &invoiceTotal),
		into(chromedp.Text("#invoice-lines"), &lines),
	)
	if invoiceTotal != "€ 64.75" || !strings.Contains(lines, "08:00–11:00") || !strings.Contains(lines, "3.00") ||
		!strings.Contains(lines, "€ 55.50") || !strings.Contains(lines, "Yearly maintenance") ||
		!strings.Contains(lines, "0.50") || !strings.Contains(lines, "€ 9.25") || !strings.Contains(lines, "AB-123-C") {
		t.Fatalf("invoice total %q, lines:\n%s", invoiceTotal, lines)
	}
	invoiceID := invoiceURL[strings.LastIndex(invoiceURL, "/")+1:]
	// The invoice mail reaches the print company; the page then says it was sent.
	if eml := l.mailFile(t, "invoice."+invoiceID); !strings.Contains(eml, "invoices@prestoprint.example") {
		t.Fatalf("invoice mail:\n%s", eml)
	}
	testutil.Eventually(t, 30*time.Second, func() bool {
		b.run("invoice sent", chromedp.Reload(), chromedp.WaitVisible("#invoice-status"), into(chromedp.Text("#invoice-status"), &status))
		return status == "Sent"
	}, "the invoice is never shown as sent")
	b.screenshot("invoice")

	// 9. The reminder of the next day's job, sent to Ada.
	reminderRow := `#reminders tr.reminder[data-customer="` + customerID + `"][data-date="` + next + `"]`
	var reminder string
	testutil.Eventually(t, 30*time.Second, func() bool {
		var found bool
		b.run("open reminders",
			chromedp.Click(`nav a[href="/reminders"]`),
			chromedp.WaitVisible("h1"),
			into(chromedp.Evaluate[bool](`!!document.querySelector('`+reminderRow+` .badge-completed')`), &found),
		)
		return found
	}, "the reminder of the next day's job was never shown as sent")
	b.run("read the reminder", into(chromedp.Text(reminderRow), &reminder))
	if !strings.Contains(reminder, "Ada Browser") || !strings.Contains(reminder, "1 job") || !strings.Contains(reminder, "Sent") {
		t.Fatalf("reminder row %q", reminder)
	}
	if eml := l.mailFile(t, "reminder."+customerID+"."+next); !strings.Contains(eml, "ada@example.com") ||
		!strings.Contains(eml, "Vehicle maintenance reminder") {
		t.Fatalf("reminder mail:\n%s", eml)
	}
	b.screenshot("reminders")

	// 10. The audit log names who did what: the planner planned the job, the
	// mechanic finished it.
	var entries []string
	testutil.Eventually(t, 60*time.Second, func() bool {
		b.run("open the audit log of the job",
			chromedp.Navigate(u("/auditlog?q="+jobID)),
			chromedp.WaitVisible("#audit-search"),
			into(chromedp.Evaluate[[]string](`[...document.querySelectorAll('#auditlog tbody tr')]`+
				`.map(r => r.cells[1].textContent.trim() + " by " + r.cells[3].textContent.trim())`), &entries),
		)
		var planned, finished bool
		for _, e := range entries {
			planned = planned || strings.HasSuffix(e, "MaintenanceJobPlanned by "+browserPlanner.user)
			finished = finished || strings.HasSuffix(e, "MaintenanceJobFinished by "+browserMechanic.user)
		}
		return planned && finished
	}, "the audit log does not name the planner and the mechanic")
	for _, e := range entries {
		if (strings.Contains(e, "MaintenanceJobPlanned") && !strings.HasSuffix(e, " by "+browserPlanner.user)) ||
			(strings.Contains(e, "MaintenanceJobFinished") && !strings.HasSuffix(e, " by "+browserMechanic.user)) {
			t.Fatalf("audit entry %q: want the planner as who planned, the mechanic as who finished (all: %q)", e, entries)
		}
	}
	b.screenshot("audit-log")
}
