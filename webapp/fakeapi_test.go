package webapp_test

// The fake APIs: an in-memory stand-in for the customers, vehicles, workshop,
// timekeeper, notifications and invoicing APIs, answering with the same JSON and
// problem documents as the real ones (SYSTEM.md 4), for the webapp's handler tests.
// Every exchange is checked against the API's OpenAPI document (see validated), so
// the fake cannot drift from the real services unnoticed. The real services are
// exercised by the webapp's end-to-end tests.

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/pitstop/pitstop/serviceapis/openapi/openapitest"
	"github.com/pitstop/pitstop/webapp/internal/apiclient"
)

// Messages of the workshop's business rules, as the real API words them.
const (
	msgVehicleBusy        = "Only 1 maintenance job can be executed on a vehicle during a certain time-slot."
	msgTooManyJobs        = "Maintenance job overlaps with more than 3 other jobs"
	msgJobAlreadyFinished = "An already finished job can not be finished."
)

type fieldError struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeProblem(w http.ResponseWriter, status int, detail string, errs ...fieldError) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Type   string       `json:"type"`
		Title  string       `json:"title"`
		Status int          `json:"status"`
		Detail string       `json:"detail,omitempty"`
		Errors []fieldError `json:"errors,omitempty"` // absent, not null, without field errors
	}{"about:blank", http.StatusText(status), status, detail, errs})
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		writeProblem(w, http.StatusBadRequest, "malformed JSON")
		return false
	}
	return true
}

func requireField(errs *[]fieldError, field, v string) {
	if strings.TrimSpace(v) == "" {
		*errs = append(*errs, fieldError{field, "is required"})
	}
}

// writePage answers items[cursor:cursor+limit] and the next cursor.
func writePage[T any](w http.ResponseWriter, r *http.Request, items []T) {
	limit, start := 50, 0
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 200 {
			writeProblem(w, http.StatusBadRequest, "One or more fields are invalid.", fieldError{"limit", "must be 1 to 200"})
			return
		}
		limit = n
	}
	if s := r.URL.Query().Get("cursor"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > len(items) {
			writeProblem(w, http.StatusBadRequest, "One or more fields are invalid.", fieldError{"cursor", "is not a cursor"})
			return
		}
		start = n
	}
	end := min(start+limit, len(items))
	out := apiclient.Page[T]{Items: append([]T{}, items[start:end]...)}
	if end < len(items) {
		out.Next = strconv.Itoa(end)
	}
	writeJSON(w, http.StatusOK, out)
}

// fakeAPI is the fake customers, vehicles, workshop, timekeeper, notifications and
// invoicing services, each on its own server. It is safe for concurrent use.
type fakeAPI struct {
	mu        sync.Mutex
	customers []apiclient.Customer
	vehicles  []apiclient.Vehicle
	plannings map[string]*apiclient.Planning
	// RefCustomers and RefVehicles are the workshop's reference data (by default the
	// registered customers and vehicles, as if the events had arrived at once).
	refCustomers map[string]apiclient.Customer
	refVehicles  map[string]apiclient.Vehicle
	// day is the timekeeper's current business day (nil before the first).
	day       *apiclient.BusinessDay
	reminders []apiclient.Reminder
	invoices  []apiclient.Invoice
	// custVer, vehVer and planVer are the versions of the customers, vehicles and
	// plannings (their ETags); audit is the audit log.
	custVer, vehVer, planVer map[string]int
	audit                    []apiclient.AuditEntry
	lastIfMatch              string

	// Requests counts the requests by "METHOD path-pattern".
	Requests map[string]int

	CustomersURL, VehiclesURL, WorkshopURL        string
	TimekeeperURL, NotificationsURL, InvoicingURL string
	AuditlogURL                                   string
}

// startFakeAPI starts the fake services; they stop when t ends.
func startFakeAPI(t testing.TB) *fakeAPI {
	t.Helper()
	a := &fakeAPI{plannings: map[string]*apiclient.Planning{}, refCustomers: map[string]apiclient.Customer{},
		refVehicles: map[string]apiclient.Vehicle{}, Requests: map[string]int{},
		custVer: map[string]int{}, vehVer: map[string]int{}, planVer: map[string]int{}}
	serve := func(service string, routes func(chi.Router)) string {
		r := chi.NewRouter()
		r.Use(func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				next.ServeHTTP(w, req)
				if rc := chi.RouteContext(req.Context()); rc != nil {
					a.mu.Lock()
					a.Requests[req.Method+" "+rc.RoutePattern()]++
					a.mu.Unlock()
				}
			})
		})
		r.Get("/readyz", func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusOK, map[string]any{"ready": true, "checks": map[string]string{}})
		})
		routes(r)
		s := httptest.NewServer(validated(t, service, r))
		t.Cleanup(s.Close)
		return s.URL
	}
	a.CustomersURL = serve("customers", a.customerRoutes)
	a.VehiclesURL = serve("vehicles", a.vehicleRoutes)
	a.WorkshopURL = serve("workshop", a.workshopRoutes)
	a.TimekeeperURL = serve("timekeeper", a.timekeeperRoutes)
	a.NotificationsURL = serve("notifications", a.notificationRoutes)
	a.InvoicingURL = serve("invoicing", a.invoicingRoutes)
	a.AuditlogURL = serve("auditlog", a.auditlogRoutes)
	return a
}

// validated serves h behind a check of every exchange against service's OpenAPI
// document (package openapitest): a response that does not match it, or an accepted
// request that does not, fails t. So the fake cannot answer what the document does
// not allow, nor accept a request the document refuses (openapitest's validator checks
// types, required members and lengths; it does not assert formats such as uuid).
func validated(t testing.TB, service string, h http.Handler) http.Handler {
	check := openapitest.Transport(t, service, inProcess{h})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := r.Clone(r.Context()) // a server request as a client would have sent it
		req.RequestURI, req.URL.Scheme, req.URL.Host = "", "http", r.Host
		res, err := check.RoundTrip(req)
		if err != nil {
			t.Errorf("fake %s: %s %s: %v", service, r.Method, r.URL, err)
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer res.Body.Close()
		maps.Copy(w.Header(), res.Header)
		w.WriteHeader(res.StatusCode)
		_, _ = io.Copy(w, res.Body)
	})
}

// inProcess is an http.RoundTripper that serves each request with a handler.
type inProcess struct{ h http.Handler }

func (p inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	p.h.ServeHTTP(rec, req)
	res := rec.Result()
	res.Request = req
	return res, nil
}

// Count is the number of requests seen for "METHOD pattern".
func (a *fakeAPI) Count(key string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.Requests[key]
}

// Customers returns the registered customers.
func (a *fakeAPI) Customers() []apiclient.Customer {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]apiclient.Customer{}, a.customers...)
}

// Vehicles returns the registered vehicles.
func (a *fakeAPI) Vehicles() []apiclient.Vehicle {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]apiclient.Vehicle{}, a.vehicles...)
}

// Planning returns a copy of date's planning (nil if none).
func (a *fakeAPI) Planning(date string) *apiclient.Planning {
	a.mu.Lock()
	defer a.mu.Unlock()
	p := a.plannings[date]
	if p == nil {
		return nil
	}
	cp := *p
	cp.Jobs = append([]apiclient.Job{}, p.Jobs...)
	return &cp
}

// AddCustomer stores c as registered (and known to the workshop).
func (a *fakeAPI) AddCustomer(c apiclient.Customer) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.customers = append(a.customers, c)
	a.refCustomers[c.CustomerID] = c
	a.custVer[c.CustomerID] = 1
}

// AddVehicle stores v as registered (and known to the workshop).
func (a *fakeAPI) AddVehicle(v apiclient.Vehicle) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.vehicles = append(a.vehicles, v)
	a.refVehicles[v.LicenseNumber] = v
	a.vehVer[v.LicenseNumber] = 1
}

// ForgetRefCustomer removes a customer from the workshop's reference data only (its
// event has not arrived yet).
func (a *fakeAPI) ForgetRefCustomer(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.refCustomers, id)
}

// AddJob plans j on date directly.
func (a *fakeAPI) AddJob(date string, j apiclient.Job) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p := a.plannings[date]
	if p == nil {
		p = &apiclient.Planning{PlanningDate: date}
		a.plannings[date] = p
	}
	if j.Status == "" {
		j.Status = apiclient.StatusPlanned
	}
	p.Jobs = append(p.Jobs, j)
	a.planVer[date]++
}

var emailPattern = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

func validateCustomer(c apiclient.Customer) []fieldError {
	var errs []fieldError
	requireField(&errs, "name", c.Name)
	requireField(&errs, "address", c.Address)
	requireField(&errs, "postalCode", c.PostalCode)
	requireField(&errs, "city", c.City)
	requireField(&errs, "telephoneNumber", c.TelephoneNumber)
	if strings.TrimSpace(c.EmailAddress) == "" {
		errs = append(errs, fieldError{"emailAddress", "is required"})
	} else if !emailPattern.MatchString(c.EmailAddress) {
		errs = append(errs, fieldError{"emailAddress", "must be a valid e-mail address"})
	}
	return errs
}

func (a *fakeAPI) customerRoutes(r chi.Router) {
	r.Get("/api/customers", func(w http.ResponseWriter, r *http.Request) {
		q := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("q")))
		city := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("city")))
		var out []apiclient.Customer
		for _, c := range a.Customers() {
			if (q == "" || strings.Contains(strings.ToLower(c.Name), q) || strings.Contains(strings.ToLower(c.EmailAddress), q)) &&
				(city == "" || strings.HasPrefix(strings.ToLower(c.City), city)) {
				out = append(out, a.customerVersioned(c))
			}
		}
		key := map[string]func(apiclient.Customer) string{
			"name":       func(c apiclient.Customer) string { return strings.ToLower(c.Name) },
			"city":       func(c apiclient.Customer) string { return strings.ToLower(c.City) },
			"customerId": func(c apiclient.Customer) string { return c.CustomerID }}
		if !sortBy(w, r.URL.Query().Get("sort"), out, key) {
			return
		}
		writePage(w, r, out)
	})
	r.Post("/api/customers", func(w http.ResponseWriter, r *http.Request) {
		var c apiclient.Customer
		if !decode(w, r, &c) {
			return
		}
		if errs := validateCustomer(c); len(errs) > 0 {
			writeProblem(w, http.StatusBadRequest, "One or more fields are invalid.", errs...)
			return
		}
		if c.CustomerID == "" {
			c.CustomerID = uuid.NewString()
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		for _, old := range a.customers {
			if old.CustomerID == c.CustomerID {
				if old == c {
					old.Version = a.custVer[old.CustomerID]
					w.Header().Set("ETag", apiclient.ETag(old.Version))
					writeJSON(w, http.StatusOK, old)
				} else {
					writeProblem(w, http.StatusConflict, "a customer with this id exists with other data")
				}
				return
			}
		}
		a.customers = append(a.customers, c)
		a.refCustomers[c.CustomerID] = c
		a.custVer[c.CustomerID] = 1
		c.Version = 1
		w.Header().Set("ETag", `"1"`)
		writeJSON(w, http.StatusCreated, c)
	})
	r.Get("/api/customers/{id}", func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		defer a.mu.Unlock()
		for _, c := range a.customers {
			if c.CustomerID == chi.URLParam(r, "id") {
				c.Version = a.custVer[c.CustomerID]
				w.Header().Set("ETag", apiclient.ETag(c.Version))
				writeJSON(w, http.StatusOK, c)
				return
			}
		}
		writeProblem(w, http.StatusNotFound, "customer not found")
	})
	r.Put("/api/customers/{id}", func(w http.ResponseWriter, r *http.Request) {
		var c apiclient.Customer
		if !decode(w, r, &c) {
			return
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		for i, old := range a.customers {
			if old.CustomerID == chi.URLParam(r, "id") {
				if errs := validateCustomer(c); len(errs) > 0 {
					writeProblem(w, http.StatusBadRequest, "One or more fields are invalid.", errs...)
					return
				}
				ver := a.custVer[old.CustomerID]
				if !ifMatch(w, r, ver) {
					return
				}
				c.CustomerID, c.Version = old.CustomerID, 0
				if c != old {
					ver++
					a.custVer[c.CustomerID] = ver
				}
				a.customers[i] = c
				a.refCustomers[c.CustomerID] = c
				c.Version = ver
				w.Header().Set("ETag", apiclient.ETag(ver))
				writeJSON(w, http.StatusOK, c)
				return
			}
		}
		writeProblem(w, http.StatusNotFound, "customer not found")
	})
}

var licensePattern = regexp.MustCompile(`(?i)^((\d{1,3}|[a-z]{1,3})-){2}(\d{1,3}|[a-z]{1,3})$`)

func (a *fakeAPI) vehicleRoutes(r chi.Router) {
	r.Get("/api/vehicles", func(w http.ResponseWriter, r *http.Request) {
		owner := r.URL.Query().Get("ownerId")
		q := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("q")))
		var out []apiclient.Vehicle
		for _, v := range a.Vehicles() {
			if (owner == "" || v.OwnerID == owner) && (q == "" || strings.Contains(strings.ToLower(v.LicenseNumber+"\x00"+v.Brand+"\x00"+v.Type), q)) {
				out = append(out, a.vehicleVersioned(v))
			}
		}
		key := map[string]func(apiclient.Vehicle) string{
			"licenseNumber": func(v apiclient.Vehicle) string { return v.LicenseNumber },
			"brand":         func(v apiclient.Vehicle) string { return strings.ToLower(v.Brand) }}
		if !sortBy(w, r.URL.Query().Get("sort"), out, key) {
			return
		}
		writePage(w, r, out)
	})
	r.Post("/api/vehicles", func(w http.ResponseWriter, r *http.Request) {
		var v apiclient.Vehicle
		if !decode(w, r, &v) {
			return
		}
		var errs []fieldError
		if strings.TrimSpace(v.LicenseNumber) == "" {
			errs = append(errs, fieldError{"licenseNumber", "is required"})
		} else if !licensePattern.MatchString(v.LicenseNumber) {
			errs = append(errs, fieldError{"licenseNumber", "must look like AB-123-C"})
		}
		requireField(&errs, "brand", v.Brand)
		requireField(&errs, "type", v.Type)
		if v.OwnerID == "" {
			errs = append(errs, fieldError{"ownerId", "is required"})
		} else if _, err := uuid.Parse(v.OwnerID); err != nil {
			errs = append(errs, fieldError{"ownerId", "must be a UUID"})
		}
		if len(errs) > 0 {
			writeProblem(w, http.StatusBadRequest, "One or more fields are invalid.", errs...)
			return
		}
		v.LicenseNumber = strings.ToUpper(v.LicenseNumber)
		a.mu.Lock()
		defer a.mu.Unlock()
		for _, old := range a.vehicles {
			if old.LicenseNumber == v.LicenseNumber {
				if old == v {
					old.Version = a.vehVer[old.LicenseNumber]
					w.Header().Set("ETag", apiclient.ETag(old.Version))
					writeJSON(w, http.StatusOK, old)
				} else {
					writeProblem(w, http.StatusConflict, "licence number registered with other data")
				}
				return
			}
		}
		a.vehicles = append(a.vehicles, v)
		a.refVehicles[v.LicenseNumber] = v
		a.vehVer[v.LicenseNumber] = 1
		v.Version = 1
		w.Header().Set("ETag", `"1"`)
		writeJSON(w, http.StatusCreated, v)
	})
	r.Get("/api/vehicles/{ln}", func(w http.ResponseWriter, r *http.Request) {
		for _, v := range a.Vehicles() {
			if strings.EqualFold(v.LicenseNumber, chi.URLParam(r, "ln")) {
				v = a.vehicleVersioned(v)
				w.Header().Set("ETag", apiclient.ETag(v.Version))
				writeJSON(w, http.StatusOK, v)
				return
			}
		}
		writeProblem(w, http.StatusNotFound, "vehicle not found")
	})
	r.Put("/api/vehicles/{ln}", func(w http.ResponseWriter, r *http.Request) {
		var v apiclient.Vehicle
		if !decode(w, r, &v) {
			return
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		for i, old := range a.vehicles {
			if !strings.EqualFold(old.LicenseNumber, chi.URLParam(r, "ln")) {
				continue
			}
			var errs []fieldError
			requireField(&errs, "brand", v.Brand)
			requireField(&errs, "type", v.Type)
			if _, err := uuid.Parse(v.OwnerID); err != nil {
				errs = append(errs, fieldError{"ownerId", "must be a UUID"})
			}
			if len(errs) > 0 {
				writeProblem(w, http.StatusBadRequest, "One or more fields are invalid.", errs...)
				return
			}
			ver := a.vehVer[old.LicenseNumber]
			if !ifMatch(w, r, ver) {
				return
			}
			v.LicenseNumber, v.Version = old.LicenseNumber, 0
			if v != old {
				ver++
				a.vehVer[v.LicenseNumber] = ver
			}
			a.vehicles[i] = v
			a.refVehicles[v.LicenseNumber] = v
			v.Version = ver
			w.Header().Set("ETag", apiclient.ETag(ver))
			writeJSON(w, http.StatusOK, v)
			return
		}
		writeProblem(w, http.StatusNotFound, "vehicle not found")
	})
}

// customerVersioned is c with its version.
func (a *fakeAPI) customerVersioned(c apiclient.Customer) apiclient.Customer {
	a.mu.Lock()
	defer a.mu.Unlock()
	c.Version = max(a.custVer[c.CustomerID], 1)
	return c
}

// vehicleVersioned is v with its version.
func (a *fakeAPI) vehicleVersioned(v apiclient.Vehicle) apiclient.Vehicle {
	a.mu.Lock()
	defer a.mu.Unlock()
	v.Version = max(a.vehVer[v.LicenseNumber], 1)
	return v
}

// ifMatch checks the request's If-Match against version ver, answering 412 (false)
// when it names another; no If-Match or * passes.
func ifMatch(w http.ResponseWriter, r *http.Request, ver int) bool {
	im := r.Header.Get("If-Match")
	if im == "" || im == "*" || im == apiclient.ETag(ver) {
		return true
	}
	writeProblem(w, http.StatusPreconditionFailed, "It was changed since the version named in If-Match was read; nothing was stored.")
	return false
}

// sortBy sorts items by the sort parameter s (a key of keys, "-" for descending;
// "": unchanged); an unknown one is a 400 (false).
func sortBy[T any](w http.ResponseWriter, s string, items []T, keys map[string]func(T) string) bool {
	if s == "" {
		return true
	}
	desc := strings.HasPrefix(s, "-")
	key, ok := keys[strings.TrimPrefix(s, "-")]
	if !ok {
		writeProblem(w, http.StatusBadRequest, "One or more fields are invalid.", fieldError{"sort", "is not a sort order"})
		return false
	}
	sort.SliceStable(items, func(i, j int) bool {
		if desc {
			return key(items[j]) < key(items[i])
		}
		return key(items[i]) < key(items[j])
	})
	return true
}

func parseTime(errs *[]fieldError, field, s string) (time.Time, bool) {
	if s == "" {
		*errs = append(*errs, fieldError{field, "is required"})
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		*errs = append(*errs, fieldError{field, "must be an RFC 3339 date-time"})
		return time.Time{}, false
	}
	return t, true
}

func overlaps(s1, e1, s2, e2 time.Time) bool { return s1.Before(e2) && s2.Before(e1) }

func mustTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339, s)
	return t
}

func (a *fakeAPI) workshopRoutes(r chi.Router) {
	r.Get("/api/workshopplanning/{date}", func(w http.ResponseWriter, r *http.Request) {
		if p := a.Planning(chi.URLParam(r, "date")); p != nil {
			writeJSON(w, http.StatusOK, p)
			return
		}
		writeProblem(w, http.StatusNotFound, "no workshop planning for this date")
	})
	r.Post("/api/workshopplanning/{date}/jobs", func(w http.ResponseWriter, r *http.Request) {
		date := chi.URLParam(r, "date")
		var in apiclient.PlanJob
		if !decode(w, r, &in) {
			return
		}
		var errs []fieldError
		s, okS := parseTime(&errs, "startTime", in.StartTime)
		e, okE := parseTime(&errs, "endTime", in.EndTime)
		if okS && okE && !e.After(s) {
			errs = append(errs, fieldError{"endTime", "must be after startTime"})
		}
		requireField(&errs, "description", in.Description)
		if len(in.Description) > 2000 {
			errs = append(errs, fieldError{"description", "must be at most 2000 characters"})
		}
		requireField(&errs, "customer.customerId", in.Customer.CustomerID)
		requireField(&errs, "vehicle.licenseNumber", in.Vehicle.LicenseNumber)
		if len(errs) > 0 {
			writeProblem(w, http.StatusBadRequest, "One or more fields are invalid.", errs...)
			return
		}
		if in.JobID == "" {
			in.JobID = uuid.NewString()
		}
		job := apiclient.Job{JobID: in.JobID, StartTime: in.StartTime, EndTime: in.EndTime, Description: in.Description,
			Customer: in.Customer, Vehicle: in.Vehicle, Status: apiclient.StatusPlanned}
		a.mu.Lock()
		defer a.mu.Unlock()
		p := a.plannings[date]
		if p == nil {
			p = &apiclient.Planning{PlanningDate: date}
		}
		concurrent := 0
		for _, j := range p.Jobs {
			if j.JobID == job.JobID {
				if j.StartTime == job.StartTime && j.EndTime == job.EndTime && j.Description == job.Description &&
					j.Vehicle == job.Vehicle && j.Customer == job.Customer {
					writeJSON(w, http.StatusOK, p)
				} else {
					writeProblem(w, http.StatusConflict, "A maintenance job with id "+j.JobID+" already exists.")
				}
				return
			}
			if overlaps(s, e, mustTime(j.StartTime), mustTime(j.EndTime)) {
				if j.Vehicle.LicenseNumber == job.Vehicle.LicenseNumber {
					writeProblem(w, http.StatusConflict, msgVehicleBusy)
					return
				}
				concurrent++
			}
		}
		if concurrent >= 3 {
			writeProblem(w, http.StatusConflict, msgTooManyJobs)
			return
		}
		p.Jobs = append(p.Jobs, job)
		a.plannings[date] = p
		a.planVer[date]++
		w.Header().Set("Location", fmt.Sprintf("/api/workshopplanning/%s/jobs/%s", date, job.JobID))
		writeJSON(w, http.StatusCreated, p)
	})
	r.Get("/api/workshopplanning/{date}/jobs/{id}", func(w http.ResponseWriter, r *http.Request) {
		if p := a.Planning(chi.URLParam(r, "date")); p != nil {
			for _, j := range p.Jobs {
				if j.JobID == chi.URLParam(r, "id") {
					a.mu.Lock()
					w.Header().Set("ETag", apiclient.ETag(a.planVer[chi.URLParam(r, "date")]))
					a.mu.Unlock()
					writeJSON(w, http.StatusOK, j)
					return
				}
			}
		}
		writeProblem(w, http.StatusNotFound, "maintenance job not found")
	})
	r.Put("/api/workshopplanning/{date}/jobs/{id}/finish", func(w http.ResponseWriter, r *http.Request) {
		var in apiclient.FinishJob
		if !decode(w, r, &in) {
			return
		}
		var errs []fieldError
		s, okS := parseTime(&errs, "actualStartTime", in.ActualStartTime)
		e, okE := parseTime(&errs, "actualEndTime", in.ActualEndTime)
		if okS && okE && !e.After(s) {
			errs = append(errs, fieldError{"actualEndTime", "must be after actualStartTime"})
		}
		if len(in.Notes) > 4000 {
			errs = append(errs, fieldError{"notes", "must be at most 4000 characters"})
		}
		if len(errs) > 0 {
			writeProblem(w, http.StatusBadRequest, "One or more fields are invalid.", errs...)
			return
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		if p := a.plannings[chi.URLParam(r, "date")]; p != nil {
			for i, j := range p.Jobs {
				if j.JobID != chi.URLParam(r, "id") {
					continue
				}
				if j.Status == apiclient.StatusCompleted {
					writeProblem(w, http.StatusConflict, msgJobAlreadyFinished)
					return
				}
				j.Status, j.ActualStartTime, j.ActualEndTime, j.Notes = apiclient.StatusCompleted, in.ActualStartTime, in.ActualEndTime, in.Notes
				p.Jobs[i] = j
				a.planVer[chi.URLParam(r, "date")]++
				writeJSON(w, http.StatusOK, j)
				return
			}
		}
		writeProblem(w, http.StatusNotFound, "maintenance job not found")
	})
	a.cancelMoveHistoryRoutes(r)
	r.Get("/api/refdata/vehicles", func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		out := make([]apiclient.Vehicle, 0, len(a.refVehicles))
		q := strings.ToLower(r.URL.Query().Get("q"))
		for _, v := range a.refVehicles {
			if q == "" || strings.Contains(strings.ToLower(v.LicenseNumber+"\x00"+v.Brand+"\x00"+v.Type), q) {
				out = append(out, v)
			}
		}
		a.mu.Unlock()
		sort.Slice(out, func(i, j int) bool { return out[i].LicenseNumber < out[j].LicenseNumber })
		writePage(w, r, out)
	})
	r.Get("/api/refdata/customers", func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		out := make([]apiclient.Customer, 0, len(a.refCustomers))
		q := strings.ToLower(r.URL.Query().Get("q"))
		for _, c := range a.refCustomers {
			if q == "" || strings.Contains(strings.ToLower(c.Name), q) {
				out = append(out, c)
			}
		}
		a.mu.Unlock()
		sort.Slice(out, func(i, j int) bool { return out[i].CustomerID < out[j].CustomerID })
		if q != "" {
			sort.SliceStable(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
		}
		writePage(w, r, out)
	})
	r.Get("/api/refdata/vehicles/{ln}", func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		v, ok := a.refVehicles[strings.ToUpper(chi.URLParam(r, "ln"))]
		a.mu.Unlock()
		if !ok {
			writeProblem(w, http.StatusNotFound, "vehicle not found")
			return
		}
		writeJSON(w, http.StatusOK, v)
	})
	r.Get("/api/refdata/customers/{id}", func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		c, ok := a.refCustomers[chi.URLParam(r, "id")]
		a.mu.Unlock()
		if !ok {
			writeProblem(w, http.StatusNotFound, "customer not found")
			return
		}
		writeJSON(w, http.StatusOK, c)
	})
}

// LastIfMatch is the If-Match of the last cancel or move ("" for none).
func (a *fakeAPI) LastIfMatch() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.lastIfMatch
}

// jobWrite finds job id of date's planning for a cancel or move under a.mu, checking
// If-Match and that the job is Planned; nil when it answered.
func (a *fakeAPI) jobWrite(w http.ResponseWriter, r *http.Request) (*apiclient.Planning, int) {
	date := chi.URLParam(r, "date")
	a.lastIfMatch = r.Header.Get("If-Match")
	p := a.plannings[date]
	if p == nil {
		writeProblem(w, http.StatusNotFound, "maintenance job not found")
		return nil, 0
	}
	for i, j := range p.Jobs {
		if j.JobID != chi.URLParam(r, "id") {
			continue
		}
		if !ifMatch(w, r, a.planVer[date]) {
			return nil, 0
		}
		if j.Status != apiclient.StatusPlanned {
			writeProblem(w, http.StatusConflict, "Only a planned job can be changed; this one is "+j.Status+".")
			return nil, 0
		}
		return p, i
	}
	writeProblem(w, http.StatusNotFound, "maintenance job not found")
	return nil, 0
}

func (a *fakeAPI) cancelMoveHistoryRoutes(r chi.Router) {
	r.Post("/api/workshopplanning/{date}/jobs/{id}/cancel", func(w http.ResponseWriter, r *http.Request) {
		var in apiclient.CancelJob
		if r.ContentLength != 0 && !decode(w, r, &in) {
			return
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		p, i := a.jobWrite(w, r)
		if p == nil {
			return
		}
		p.Jobs[i].Status, p.Jobs[i].CancellationReason = apiclient.StatusCancelled, in.Reason
		a.planVer[p.PlanningDate]++
		w.Header().Set("ETag", apiclient.ETag(a.planVer[p.PlanningDate]))
		writeJSON(w, http.StatusOK, p.Jobs[i])
	})
	r.Post("/api/workshopplanning/{date}/jobs/{id}/move", func(w http.ResponseWriter, r *http.Request) {
		var in apiclient.MoveJob
		if !decode(w, r, &in) {
			return
		}
		var errs []fieldError
		s, okS := parseTime(&errs, "startTime", in.StartTime)
		e, okE := parseTime(&errs, "endTime", in.EndTime)
		if okS && okE && !e.After(s) {
			errs = append(errs, fieldError{"endTime", "must be after startTime"})
		}
		if len(errs) > 0 {
			writeProblem(w, http.StatusBadRequest, "One or more fields are invalid.", errs...)
			return
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		p, i := a.jobWrite(w, r)
		if p == nil {
			return
		}
		to := in.PlanningDate
		if to == "" {
			to = p.PlanningDate
		}
		moved := p.Jobs[i]
		moved.StartTime, moved.EndTime = in.StartTime, in.EndTime
		if to == p.PlanningDate {
			p.Jobs[i] = moved
		} else {
			np := a.plannings[to]
			if np == nil {
				np = &apiclient.Planning{PlanningDate: to}
				a.plannings[to] = np
			}
			np.Jobs = append(np.Jobs, moved)
			a.planVer[to]++
			p.Jobs[i].Status, p.Jobs[i].MovedTo = apiclient.StatusMoved, &apiclient.MovedTo{PlanningDate: to, JobID: moved.JobID}
		}
		a.planVer[p.PlanningDate]++
		w.Header().Set("ETag", apiclient.ETag(a.planVer[p.PlanningDate]))
		w.Header().Set("Location", "/api/workshopplanning/"+to+"/jobs/"+moved.JobID)
		writeJSON(w, http.StatusOK, moved)
	})
	r.Get("/api/workshopplanning/history", func(w http.ResponseWriter, r *http.Request) {
		ln, cid := r.URL.Query().Get("licenseNumber"), r.URL.Query().Get("customerId")
		if (ln == "") == (cid == "") {
			writeProblem(w, http.StatusBadRequest, "One or more fields are invalid.", fieldError{"licenseNumber", "or customerId is required, not both"})
			return
		}
		a.mu.Lock()
		var out []apiclient.HistoryItem
		for date, p := range a.plannings {
			for _, j := range p.Jobs {
				if (ln != "" && strings.EqualFold(j.Vehicle.LicenseNumber, ln)) || (cid != "" && j.Customer.CustomerID == cid) {
					out = append(out, apiclient.HistoryItem{Job: j, PlanningDate: date})
				}
			}
		}
		a.mu.Unlock()
		sort.Slice(out, func(i, j int) bool {
			if out[i].PlanningDate != out[j].PlanningDate {
				return out[i].PlanningDate > out[j].PlanningDate
			}
			return out[i].StartTime > out[j].StartTime
		})
		writePage(w, r, out)
	})
}

// AddAuditEntry records an entry in the fake audit log.
func (a *fakeAPI) AddAuditEntry(e apiclient.AuditEntry) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if e.EventID == "" {
		e.EventID = uuid.NewString()
	}
	if e.Data == nil {
		e.Data = json.RawMessage(`{}`)
	}
	a.audit = append(a.audit, e)
}

func (a *fakeAPI) auditlogRoutes(r chi.Router) {
	r.Get("/api/auditlog", func(w http.ResponseWriter, r *http.Request) {
		qv := r.URL.Query()
		typ, actor, q := qv.Get("type"), qv.Get("actor"), strings.ToLower(strings.TrimSpace(qv.Get("q")))
		a.mu.Lock()
		var out []apiclient.AuditEntry
		for _, e := range a.audit {
			short := e.Type[strings.LastIndex(e.Type, ".")+1:]
			if (typ == "" || typ == e.Type || (!strings.Contains(typ, ".") && typ == short)) && (actor == "" || actor == e.Actor) &&
				(q == "" || strings.Contains(strings.ToLower(e.Type+"\x00"+e.Subject+"\x00"+e.Actor+"\x00"+string(e.Data)), q)) {
				out = append(out, e)
			}
		}
		a.mu.Unlock()
		key := map[string]func(apiclient.AuditEntry) string{
			"recorded": func(e apiclient.AuditEntry) string { return e.RecordedAt },
			"time":     func(e apiclient.AuditEntry) string { return e.Time },
			"type":     func(e apiclient.AuditEntry) string { return e.Type }}
		if !sortBy(w, qv.Get("sort"), out, key) {
			return
		}
		writePage(w, r, out)
	})
}

// fakeTimeZone is the fake timekeeper's time zone.
const fakeTimeZone = "Europe/Amsterdam"

func businessDay(date string) apiclient.BusinessDay {
	return apiclient.BusinessDay{Date: date, StartedAt: date + "T00:00:00+02:00", TimeZone: fakeTimeZone}
}

// SetBusinessDay makes date the timekeeper's current business day (as if it had
// started at its midnight).
func (a *fakeAPI) SetBusinessDay(date string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	d := businessDay(date)
	a.day = &d
}

// BusinessDay returns the current business day; ok is false before the first.
func (a *fakeAPI) BusinessDay() (day apiclient.BusinessDay, ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.day == nil {
		return apiclient.BusinessDay{}, false
	}
	return *a.day, true
}

// AddReminder stores a reminder as sent (or pending, without SentAt).
func (a *fakeAPI) AddReminder(r apiclient.Reminder) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.reminders = append(a.reminders, r)
}

// AddInvoice stores an invoice.
func (a *fakeAPI) AddInvoice(inv apiclient.Invoice) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.invoices = append(a.invoices, inv)
}

func (a *fakeAPI) timekeeperRoutes(r chi.Router) {
	r.Get("/api/time", func(w http.ResponseWriter, _ *http.Request) {
		if d, ok := a.BusinessDay(); ok {
			writeJSON(w, http.StatusOK, d)
			return
		}
		writeProblem(w, http.StatusNotFound, "no business day has started yet")
	})
	r.Post("/api/time/days", func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		defer a.mu.Unlock()
		if after := r.URL.Query().Get("after"); after != "" && (a.day == nil || a.day.Date != after) {
			writeProblem(w, http.StatusConflict, "The business day is no longer the one given in 'after'; nothing was started.")
			return
		}
		next := time.Now().UTC().Format(time.DateOnly) // the first day: today
		if a.day != nil {
			t, _ := time.Parse(time.DateOnly, a.day.Date)
			next = t.AddDate(0, 0, 1).Format(time.DateOnly)
		}
		d := businessDay(next)
		a.day = &d
		w.Header().Set("Location", "/api/time")
		writeJSON(w, http.StatusCreated, d)
	})
}

// byCustomer keeps the items of customerID ("": all).
func byCustomer[T any](items []T, customerID string, of func(T) string) []T {
	if customerID == "" {
		return items
	}
	var out []T
	for _, it := range items {
		if of(it) == customerID {
			out = append(out, it)
		}
	}
	return out
}

func (a *fakeAPI) notificationRoutes(r chi.Router) {
	r.Get("/api/reminders", func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		all := append([]apiclient.Reminder{}, a.reminders...)
		a.mu.Unlock()
		writePage(w, r, byCustomer(all, r.URL.Query().Get("customerId"), func(x apiclient.Reminder) string { return x.CustomerID }))
	})
}

func (a *fakeAPI) invoicingRoutes(r chi.Router) {
	r.Get("/api/invoices", func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		all := append([]apiclient.Invoice{}, a.invoices...)
		a.mu.Unlock()
		writePage(w, r, byCustomer(all, r.URL.Query().Get("customerId"), func(x apiclient.Invoice) string { return x.CustomerID }))
	})
	r.Get("/api/invoices/{id}", func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		defer a.mu.Unlock()
		for _, inv := range a.invoices {
			if inv.InvoiceID == chi.URLParam(r, "id") {
				writeJSON(w, http.StatusOK, inv)
				return
			}
		}
		writeProblem(w, http.StatusNotFound, "invoice not found")
	})
}

// errorRecorder is a testing.TB that keeps Errorf messages instead of failing.
type errorRecorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *errorRecorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *errorRecorder) errors() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string{}, r.errs...)
}

// The fake must report an exchange the OpenAPI document does not allow: a request it
// accepted although the document refuses it, and a response the document does not have.
func TestFakeAPIReportsExchangesThatDoNotMatchTheDocuments(t *testing.T) {
	t.Run("accepted request", func(t *testing.T) {
		rec := &errorRecorder{TB: t}
		api := startFakeAPI(rec)
		// The fake does not limit a name's length; the document allows 200 characters.
		body := `{"name":"` + strings.Repeat("a", 201) + `","address":"b","postalCode":"c","city":"d","telephoneNumber":"1","emailAddress":"a@b.nl"}`
		req, err := http.NewRequest(http.MethodPost, api.CustomersURL+"/api/customers", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer any") // the fake takes any token
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if errs := rec.errors(); res.StatusCode != http.StatusCreated || len(errs) != 1 ||
			!strings.Contains(errs[0], "accepted request does not match") {
			t.Fatalf("status %d, validation errors %q; want 201 and one error about the request", res.StatusCode, errs)
		}
	})
	t.Run("response", func(t *testing.T) {
		rec := &errorRecorder{TB: t}
		srv := httptest.NewServer(validated(rec, "customers", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusOK, map[string]any{"customerId": "6f1c7a52-3a43-4c39-9d1f-2c1b0a3e5b11", "name": 42})
		})))
		defer srv.Close()
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/api/customers/6f1c7a52-3a43-4c39-9d1f-2c1b0a3e5b11", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer any")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if errs := rec.errors(); len(errs) != 1 || !strings.Contains(errs[0], "response does not match") {
			t.Fatalf("validation errors %q; want one about the response", errs)
		}
	})
}
