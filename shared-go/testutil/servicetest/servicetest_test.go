package servicetest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitstop/pitstop/serviceapis/customerevents"
	"github.com/pitstop/pitstop/shared-go/app"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/shared-go/problem"
	"github.com/pitstop/pitstop/shared-go/testutil"
	"github.com/pitstop/pitstop/shared-go/testutil/servicetest"
)

// notes is a module small enough to read at a glance: POST /notes stores a note (a
// problem with field errors when it is empty), GET /notes lists them, a counter counts
// them, and a consumer stores every customer's name as a note and gives up (dead
// letter) on a customer without a name.
type notes struct {
	pool     *pgxpool.Pool
	consumer *messaging.Consumer
	posted   prometheus.Counter
}

func buildNotes(ctx context.Context, d app.Deps) (app.Module, error) {
	if _, err := d.Pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS notes (id bigint GENERATED ALWAYS AS IDENTITY, text text NOT NULL)`); err != nil {
		return nil, err
	}
	m := &notes{pool: d.Pool}
	m.posted = prometheus.NewCounter(prometheus.CounterOpts{Name: "notes_posted_total", Help: "Notes posted.",
		ConstLabels: prometheus.Labels{"via": "http"}})
	d.Registry.MustRegister(m.posted)
	if d.JS != nil {
		if err := messaging.Migrate(ctx, d.Pool, "notes"); err != nil {
			return nil, err
		}
		c, err := messaging.NewConsumer(d.Pool, d.JS, messaging.ConsumerConfig{Name: "notes", MaxDeliver: 1,
			FilterSubjects: []string{customerevents.SubjectCustomerRegistered}},
			func(ctx context.Context, tx pgx.Tx, ev events.Envelope) error {
				var p customerevents.CustomerRegistered
				if err := json.Unmarshal(ev.Data, &p); err != nil {
					return err
				}
				if p.Customer.Name == "" {
					return errors.New("a customer without a name")
				}
				_, err := tx.Exec(ctx, `INSERT INTO notes (text) VALUES ($1)`, p.Customer.Name)
				return err
			}, d.Log, d.Registerer())
		if err != nil {
			return nil, err
		}
		m.consumer = c
	}
	return m, nil
}

func (m *notes) Routes(r chi.Router) {
	r.Get("/notes", func(w http.ResponseWriter, r *http.Request) {
		rows, _ := m.pool.Query(r.Context(), `SELECT text FROM notes ORDER BY id`)
		texts, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string][]string{"texts": texts})
	})
	r.Post("/notes", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusUnsupportedMediaType)
			return
		}
		var in struct {
			Text string `json:"text"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Text == "" {
			w.Header().Set("Content-Type", problem.ContentType)
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(problem.Problem{Type: "about:blank", Title: "Bad Request", Status: http.StatusBadRequest,
				Errors: []problem.FieldError{{Field: "text", Detail: "required"}, {Field: "author", Detail: "required"}}})
			return
		}
		if _, err := m.pool.Exec(r.Context(), `INSERT INTO notes (text) VALUES ($1)`, in.Text); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		m.posted.Inc()
		w.Header().Set("Location", "/notes")
		w.Header().Set("X-Echo", r.Header.Get("X-Author"))
		w.WriteHeader(http.StatusCreated)
	})
}

func (m *notes) Workers() []func(ctx context.Context) error {
	if m.consumer == nil {
		return nil
	}
	return []func(ctx context.Context) error{m.consumer.Run}
}

func TestServiceDrivesAModuleThroughHTTP(t *testing.T) {
	t.Parallel()
	s := servicetest.Start(t, servicetest.Options{Name: "notes", Schema: "notes", Build: buildNotes, NoOpenAPI: true})

	res := s.Do(http.MethodPost, "/notes", map[string]string{"text": "oil change"}, "X-Author", "lisa")
	if res.Status != http.StatusCreated || res.Header.Get("Location") != "/notes" || res.Header.Get("X-Echo") != "lisa" {
		t.Fatalf("post: %d %v %s", res.Status, res.Header, res.Body)
	}
	if res := s.Do(http.MethodPost, "/notes", `{"text":"tyres"}`); res.Status != http.StatusCreated {
		t.Fatalf("post a string body: %d %s", res.Status, res.Body)
	}
	if res := s.Do(http.MethodPost, "/notes", []byte(`{"text":"x"}`), "Content-Type", "text/plain"); res.Status != http.StatusUnsupportedMediaType {
		t.Fatalf("the content type was not overridden: %d %s", res.Status, res.Body)
	}
	var list struct{ Texts []string }
	s.Get("/notes").JSON(t, &list)
	if !slices.Equal(list.Texts, []string{"oil change", "tyres"}) {
		t.Errorf("GET /notes: %v", list.Texts)
	}
	if n := s.Count("notes", ""); n != 2 {
		t.Errorf("Count = %d, want 2", n)
	}
	if n := s.Count("notes", "text = $1", "tyres"); n != 1 {
		t.Errorf("Count where = %d, want 1", n)
	}
	if n := s.QueryInt(`SELECT max(length(text)) FROM notes`); n != len("oil change") {
		t.Errorf("QueryInt = %d", n)
	}
	if v := s.Metric("notes_posted_total"); v != 2 {
		t.Errorf("Metric = %v, want 2", v)
	}
	if v := s.Metric("notes_posted_total", "via", "http"); v != 2 {
		t.Errorf("Metric with label = %v, want 2", v)
	}
	if v, ok := s.MetricFound("notes_posted_total", "via", "mail"); ok || v != 0 {
		t.Errorf("Metric of another label = %v, %v", v, ok)
	}
	if _, ok := s.MetricFound("notes_nope_total"); ok {
		t.Error("an absent metric was found")
	}

	p := s.Do(http.MethodPost, "/notes", map[string]string{}).Problem(t, http.StatusBadRequest)
	if got := servicetest.Fields(p); !slices.Equal(got, []string{"author", "text"}) {
		t.Errorf("Fields = %v", got)
	}
	servicetest.WantFields(t, p, "text", "author")
}

// failures records what the helpers report, to show that they fail when they should.
type failures struct {
	testing.TB
	errors, fatals int
}

func (f *failures) Helper()               {}
func (f *failures) Errorf(string, ...any) { f.errors++ }
func (f *failures) Fatalf(string, ...any) { f.fatals++; panic(f) }
func (f *failures) Fatal(...any)          { f.fatals++; panic(f) }
func (f *failures) Cleanup(fn func())     { panic("not for cleanups") }
func (f *failures) Logf(string, ...any)   {}
func (f *failures) Name() string          { return "failures" }

// run calls fn with f as its testing.TB, stopping where a Fatal would stop it.
func (f *failures) run(fn func(t testing.TB)) *failures {
	func() {
		defer func() {
			if r := recover(); r != nil && r != f {
				panic(r)
			}
		}()
		fn(f)
	}()
	return f
}

func TestProblemAndWantFieldsFailWhenTheyShould(t *testing.T) {
	t.Parallel()
	doc := func(status int) []byte {
		b, _ := json.Marshal(problem.Problem{Status: status, Errors: []problem.FieldError{{Field: "b"}, {Field: "a"}}})
		return b
	}
	problemHeader := http.Header{"Content-Type": {problem.ContentType}}
	for _, tc := range []struct {
		name           string
		res            servicetest.Response
		errors, fatals int
	}{
		{"a matching problem", servicetest.Response{Status: 400, Header: problemHeader, Body: doc(400)}, 0, 0},
		{"another status", servicetest.Response{Status: 409, Header: problemHeader, Body: doc(409)}, 0, 1},
		{"plain JSON", servicetest.Response{Status: 400, Header: http.Header{"Content-Type": {"application/json"}}, Body: doc(400)}, 1, 0},
		{"another status member", servicetest.Response{Status: 400, Header: problemHeader, Body: doc(500)}, 1, 0},
		{"not JSON", servicetest.Response{Status: 400, Header: problemHeader, Body: []byte("oops")}, 0, 1},
	} {
		f := (&failures{TB: t}).run(func(ft testing.TB) { tc.res.Problem(ft, 400) })
		if f.errors != tc.errors || f.fatals != tc.fatals {
			t.Errorf("%s: %d errors, %d fatals; want %d, %d", tc.name, f.errors, f.fatals, tc.errors, tc.fatals)
		}
	}
	p := problem.Problem{Errors: []problem.FieldError{{Field: "b"}, {Field: "a"}}}
	for _, tc := range []struct {
		want   []string
		errors int
	}{{[]string{"a", "b"}, 0}, {[]string{"b", "a"}, 0}, {[]string{"a"}, 1}, {nil, 1}, {[]string{"a", "b", "c"}, 1}} {
		f := (&failures{TB: t}).run(func(ft testing.TB) { servicetest.WantFields(ft, p, tc.want...) })
		if f.errors != tc.errors {
			t.Errorf("WantFields %v: %d errors, want %d", tc.want, f.errors, tc.errors)
		}
	}
	if f := (&failures{TB: t}).run(func(ft testing.TB) { servicetest.WantFields(ft, problem.Problem{}) }); f.errors != 0 {
		t.Errorf("no fields, none wanted: %d errors", f.errors)
	}
}

func TestServiceConsumesWhatIsPublished(t *testing.T) {
	t.Parallel()
	s := servicetest.Start(t, servicetest.Options{Name: "notes", Schema: "notes", Build: buildNotes, NoOpenAPI: true,
		JetStream: true, Workers: true, Wait: 5 * time.Second})
	customer := func(name string) events.Envelope {
		return servicetest.Event(t, customerevents.Source, customerevents.CustomerRegistered{
			Customer: customerevents.Customer{CustomerID: "c-" + name, Name: name}}, time.Now())
	}
	lisa := s.Publish(customer("Lisa"))
	s.WaitProcessed(lisa)
	if n := s.Count("notes", "text = 'Lisa'"); n != 1 {
		t.Fatalf("processed, but %d notes of Lisa", n)
	}
	// A second copy under another message id reaches the consumer, which sees it is a
	// duplicate.
	s.Publish(lisa, "another-copy")
	testutil.Eventually(t, 20*time.Second, func() bool { return s.Metric("pitstop_consumer_duplicates_total") == 1 },
		"the second copy was never seen")
	if n := s.Count("notes", ""); n != 1 {
		t.Errorf("%d notes after a duplicate", n)
	}

	// A dead-lettered event is handled but not processed.
	nameless, bram := customer(""), customer("Bram")
	s.Publish(nameless)
	s.Publish(bram)
	s.WaitHandled(nameless, bram)
	if n := s.Count("consumer_dead_letter", "consumer = 'notes'"); n != 1 {
		t.Errorf("%d dead letters, want 1", n)
	}
	f := (&failures{TB: t}).run(func(ft testing.TB) {
		s.For(ft).WaitProcessed(nameless)
	})
	if f.fatals != 1 {
		t.Errorf("WaitProcessed of a dead-lettered event: %d fatals, want 1", f.fatals)
	}
}
