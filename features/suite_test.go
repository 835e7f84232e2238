package features

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/cucumber/godog"

	"github.com/pitstop/pitstop/cmd/pitstop/system"
	"github.com/pitstop/pitstop/shared-go/auth"
	"github.com/pitstop/pitstop/shared-go/mail"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

// stepRegistrars add the steps of one area (customers, vehicles, workshop, ...).
var stepRegistrars []func(sc *godog.ScenarioContext, w *world)

func TestFeatures(t *testing.T) {
	// Every e-mail the system sends (reminders, invoices) lands in this SMTP server.
	smtp := testutil.StartSMTP(t)
	sys, err := system.Start(context.Background(), system.Options{
		DatabaseURL:  testutil.Database(t),
		DataDir:      t.TempDir(),
		FreePorts:    true,
		PollInterval: 100 * time.Millisecond,
		Mail:         mail.NewSMTPSender(mail.SMTPConfig{Host: smtp.Host(), Port: smtp.Port()}),
		MailPoll:     100 * time.Millisecond,
		Logger:       testutil.Logger(t),
		SigningKey:   testutil.SigningKey(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sys.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	suite := godog.TestSuite{
		Name: "pitstop",
		ScenarioInitializer: func(sc *godog.ScenarioContext) {
			w := &world{sys: sys, smtp: smtp, ids: map[string]string{},
				tokenFor: func(r auth.Role) string { return testutil.Token(t, r) }}
			w.signIn(auth.Administrator)
			for _, register := range stepRegistrars {
				register(sc, w)
			}
		},
		Options: &godog.Options{
			Format:   "pretty",
			Paths:    []string{"."},
			Tags:     os.Getenv("GODOG_TAGS"),
			TestingT: t,
			Strict:   true,
			NoColors: true,
		},
	}
	if suite.Run() != 0 {
		t.Fatal("feature scenarios failed")
	}
}

// world is one scenario's state: the running system and its mail server, the last
// HTTP exchange, and the ids the scenario created, by the business name it used.
type world struct {
	sys      *system.System
	smtp     *testutil.SMTPServer
	client   *http.Client
	tokenFor func(auth.Role) string // a token the system accepts, for a staff member of the role
	status   int
	header   http.Header
	body     []byte
	ids      map[string]string
}

// signIn makes every later request of the scenario carry a token of the role (a
// scenario starts signed in as an administrator).
func (w *world) signIn(role auth.Role) {
	w.client = &http.Client{Timeout: 10 * time.Second, Transport: testutil.TokenTransport{Token: w.tokenFor(role)}}
}

// signOut makes every later request of the scenario carry no token at all.
func (w *world) signOut() { w.client = &http.Client{Timeout: 10 * time.Second} }

// call sends a JSON request to the named service and records the answer.
func (w *world) call(method, service, path string, payload any) error {
	return w.callWith(method, service, path, payload, nil)
}

// callWith is call with extra request headers (If-Match, ...).
func (w *world) callWith(method, service, path string, payload any, headers map[string]string) error {
	var rdr io.Reader
	switch p := payload.(type) {
	case nil:
	case string:
		rdr = bytes.NewBufferString(p)
	default:
		raw, err := json.Marshal(p)
		if err != nil {
			return err
		}
		rdr = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, w.sys.URL(service)+path, rdr)
	if err != nil {
		return err
	}
	if rdr != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	w.status, w.header = resp.StatusCode, resp.Header
	w.body, err = io.ReadAll(resp.Body)
	return err
}

// decode unmarshals the last answer's body.
func (w *world) decode(v any) error {
	if err := json.Unmarshal(w.body, v); err != nil {
		return fmt.Errorf("answer %d %q: %w", w.status, w.body, err)
	}
	return nil
}

// expectStatus fails unless the last answer had one of the statuses.
func (w *world) expectStatus(want ...int) error {
	for _, s := range want {
		if w.status == s {
			return nil
		}
	}
	return fmt.Errorf("answer was %d %s, want %v", w.status, w.body, want)
}

// problem is the RFC 9457 document of a rejection.
type problem struct {
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Field  string `json:"field"`
		Detail string `json:"detail"`
	} `json:"errors"`
}

// eventually polls check until it returns nil or the deadline passes.
func eventually(timeout time.Duration, check func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %s: %w", timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// auditEntries returns the audit log entries of one type about one subject.
func (w *world) auditEntries(eventType, subject string) ([]map[string]any, error) {
	if err := w.call(http.MethodGet, "auditlog", "/api/auditlog?type=pitstop."+eventType+"&subject="+subject, nil); err != nil {
		return nil, err
	}
	if err := w.expectStatus(http.StatusOK); err != nil {
		return nil, err
	}
	var page struct {
		Items []map[string]any `json:"items"`
	}
	return page.Items, w.decode(&page)
}

// auditShows waits until the audit log holds exactly want events of the type about subject.
func (w *world) auditShows(eventType, subject string, want int) error {
	return eventually(10*time.Second, func() error {
		items, err := w.auditEntries(eventType, subject)
		if err != nil {
			return err
		}
		if len(items) != want {
			return fmt.Errorf("audit log holds %d %s events about %s, want %d", len(items), eventType, subject, want)
		}
		return nil
	})
}
