package webapp_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitstop/pitstop/shared-go/testutil"
	"github.com/pitstop/pitstop/webapp"
	"github.com/pitstop/pitstop/webapp/internal/apiclient"
)

// garage is the test's time zone and now is its clock: "today" is 2030-05-06.
var (
	garage = time.FixedZone("CEST", 2*60*60)
	now    = time.Date(2030, 5, 6, 9, 30, 0, 0, garage)
)

const today = "2030-05-06"

// env is a webapp in front of the fake APIs.
type env struct {
	t   *testing.T
	api *fakeAPI
	app *webapp.WebApp
	srv *httptest.Server
}

// deadURL is the URL of a service that is down.
func deadURL(t *testing.T) string { return testutil.DeadURL(t) }

// start serves a webapp over fresh fake APIs; down names services that are down.
func start(t *testing.T, configure func(*webapp.Options), down ...string) *env {
	t.Helper()
	api := startFakeAPI(t)
	o := webapp.Options{
		Upstreams: map[string][]string{
			webapp.Customers: {api.CustomersURL}, webapp.Vehicles: {api.VehiclesURL}, webapp.Workshop: {api.WorkshopURL},
			webapp.Timekeeper: {api.TimekeeperURL}, webapp.Notifications: {api.NotificationsURL},
			webapp.Invoicing: {api.InvoicingURL},
		},
		Log: testutil.Logger(t), Registry: prometheus.NewRegistry(), Location: garage,
		Now: func() time.Time { return now },
	}
	for _, s := range down {
		o.Upstreams[s] = []string{deadURL(t)}
	}
	if configure != nil {
		configure(&o)
	}
	a, err := webapp.New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler(64 << 10))
	t.Cleanup(srv.Close)
	return &env{t: t, api: api, app: a, srv: srv}
}

// page is one answer.
type page struct {
	status   int
	header   http.Header
	body     string
	location string
}

var noRedirect = &http.Client{Timeout: 10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (e *env) do(req *http.Request) page {
	e.t.Helper()
	resp, err := noRedirect.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return page{status: resp.StatusCode, header: resp.Header, body: string(b), location: resp.Header.Get("Location")}
}

// get fetches a page as a browser would.
func (e *env) get(path string) page {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	return e.do(req)
}

// post submits a form.
func (e *env) post(path string, form url.Values) page {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	return e.do(req)
}

// expect fails unless p has status and contains every text (HTML-unescaped).
func (p page) expect(t *testing.T, status int, texts ...string) {
	t.Helper()
	if p.status != status {
		t.Fatalf("status %d, want %d; body:\n%s", p.status, status, p.body)
	}
	text := html.UnescapeString(p.body)
	for _, s := range texts {
		if !strings.Contains(text, s) {
			t.Fatalf("page does not contain %q:\n%s", s, p.body)
		}
	}
}

// lacks fails if p contains any of texts.
func (p page) lacks(t *testing.T, texts ...string) {
	t.Helper()
	text := html.UnescapeString(p.body)
	for _, s := range texts {
		if strings.Contains(text, s) {
			t.Fatalf("page contains %q:\n%s", s, p.body)
		}
	}
}

// fieldError is the error shown next to a form field ("" if none).
func (p page) fieldError(name string) string {
	m := regexp.MustCompile(`<p class="field-error" id="` + regexp.QuoteMeta(name) + `-error">([^<]*)</p>`).FindStringSubmatch(p.body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// hidden is the value of a form's hidden input.
func (p page) hidden(name string) string {
	m := regexp.MustCompile(`<input type="hidden" name="` + regexp.QuoteMeta(name) + `" value="([^"]*)">`).FindStringSubmatch(p.body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// inputValue is the value of a form input.
func (p page) inputValue(name string) string {
	m := regexp.MustCompile(`<input id="` + regexp.QuoteMeta(name) + `" name="` + regexp.QuoteMeta(name) + `" type="[a-z]+" value="([^"]*)"`).FindStringSubmatch(p.body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// Test data.
var (
	jane = apiclient.Customer{CustomerID: "4b1a0f59-7a44-4e8c-9a0b-0d1f2e3c4d5e", Name: "Jane Doe", Address: "Main Street 1",
		PostalCode: "1234 AB", City: "Utrecht", TelephoneNumber: "+31 30 123 4567", EmailAddress: "jane@example.com"}
	jansCar = apiclient.Vehicle{LicenseNumber: "AB-123-C", Brand: "Volkswagen", Type: "Golf", OwnerID: jane.CustomerID}
)

func customerForm(c apiclient.Customer) url.Values {
	return url.Values{"customerId": {c.CustomerID}, "name": {c.Name}, "address": {c.Address}, "postalCode": {c.PostalCode},
		"city": {c.City}, "telephoneNumber": {c.TelephoneNumber}, "emailAddress": {c.EmailAddress}}
}

// job is a planned job of jansCar on date from..to (hh:mm, garage time).
func job(id, date, from, to, description string) apiclient.Job {
	at := func(hhmm string) string {
		t, _ := time.ParseInLocation("2006-01-02 15:04", date+" "+hhmm, garage)
		return t.Format(time.RFC3339)
	}
	return apiclient.Job{JobID: id, StartTime: at(from), EndTime: at(to), Description: description,
		Customer: apiclient.JobCustomer{CustomerID: jane.CustomerID, Name: jane.Name, TelephoneNumber: jane.TelephoneNumber},
		Vehicle:  apiclient.JobVehicle{LicenseNumber: jansCar.LicenseNumber, Brand: jansCar.Brand, Type: jansCar.Type},
		Status:   apiclient.StatusPlanned}
}
