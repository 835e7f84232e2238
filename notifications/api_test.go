package notifications_test

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pitstop/pitstop/shared-go/testutil/servicetest"
)

// TestListReminders: GET /api/reminders lists the reminders in creation order with
// their customer, date, jobs, Message-ID and sentAt; filters by customerId and date;
// pages with limit and the next cursor.
func TestListReminders(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	lisa := h.registerCustomer("Lisa de Vries", "lisa@example.com")
	bob := h.registerCustomer("Bob Jansen", "bob@example.com")
	lisa1 := h.planJob(lisa, "2024-05-01", 8, "APK", "AB-123-C")
	bob1 := h.planJob(bob, "2024-05-01", 8, "Oil", "XY-99-Z")
	lisa2 := h.planJob(lisa, "2024-05-02", 8, "Tyres", "AB-123-C")
	h.beginDay("2024-05-01")
	h.beginDay("2024-05-02")
	h.waitAllSent()

	all := h.reminders("")
	if all.Next != nil {
		t.Errorf("next %q on the only page", *all.Next)
	}
	type summary struct{ customer, date, job string }
	var got []summary
	for _, r := range all.Items {
		if len(r.JobIDs) != 1 {
			t.Fatalf("reminder %+v, want one job", r)
		}
		got = append(got, summary{r.CustomerID, r.Date, r.JobIDs[0]})
		if r.MessageID != "reminder."+r.CustomerID+"."+r.Date+"@pitstop.example" {
			t.Errorf("messageId %q", r.MessageID)
		}
		if r.SentAt == nil {
			t.Errorf("reminder %s: sentAt null after the mail was sent", r.MessageID)
		} else if _, err := time.Parse(time.RFC3339Nano, *r.SentAt); err != nil {
			t.Errorf("sentAt %q: %v", *r.SentAt, err)
		}
		if _, err := time.Parse(time.RFC3339Nano, r.CreatedAt); err != nil {
			t.Errorf("createdAt %q: %v", r.CreatedAt, err)
		}
	}
	// Within a day reminders are created in customer id order.
	first := []summary{{lisa.id, "2024-05-01", lisa1.id}, {bob.id, "2024-05-01", bob1.id}}
	if bob.id < lisa.id {
		first[0], first[1] = first[1], first[0]
	}
	want := append(first, summary{lisa.id, "2024-05-02", lisa2.id})
	if !reflect.DeepEqual(got, want) {
		t.Errorf("reminders %+v, want %+v", got, want)
	}

	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"customerId=" + lisa.id, []string{lisa1.id, lisa2.id}},
		{"customerId=" + bob.id, []string{bob1.id}},
		{"date=2024-05-02", []string{lisa2.id}},
		{"customerId=" + bob.id + "&date=2024-05-02", nil},
		{"customerId=nobody", nil},
		{"date=2024-06-01", nil},
	} {
		var jobs []string
		for _, r := range h.reminders(tc.query).Items {
			jobs = append(jobs, r.JobIDs...)
		}
		if !reflect.DeepEqual(jobs, tc.want) {
			t.Errorf("?%s: jobs %v, want %v", tc.query, jobs, tc.want)
		}
	}

	// Paging by one returns the same reminders in the same order.
	var paged []string
	q := url.Values{"limit": {"1"}}
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		l := h.reminders(q.Encode())
		for _, r := range l.Items {
			paged = append(paged, r.MessageID)
		}
		if l.Next == nil {
			break
		}
		q.Set("cursor", *l.Next)
	}
	var allIDs []string
	for _, r := range all.Items {
		allIDs = append(allIDs, r.MessageID)
	}
	if !reflect.DeepEqual(paged, allIDs) {
		t.Errorf("paged %v, want %v", paged, allIDs)
	}
}

// TestListRemindersEmpty: no reminders is an empty items array, not null.
func TestListRemindersEmpty(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	res := h.Get("/api/reminders")
	if res.Status != http.StatusOK || !strings.Contains(string(res.Body), `"items":[]`) ||
		strings.Contains(string(res.Body), "next") {
		t.Errorf("empty list: %d %s", res.Status, res.Body)
	}
}

// TestListRemindersRejectsBadParameters: every bad parameter is a 400 problem document
// naming it; never a 5xx.
func TestListRemindersRejectsBadParameters(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"limit=0", []string{"limit"}},
		{"limit=201", []string{"limit"}},
		{"limit=abc", []string{"limit"}},
		{"cursor=nonsense", []string{"cursor"}},
		{"date=2024-13-01", []string{"date"}},
		{"date=yesterday", []string{"date"}},
		{"date=" + url.QueryEscape("2024-05-01'; DROP TABLE reminders; --"), []string{"date"}},
		{"customerId=%00", []string{"customerId"}},
		{"customerId=%FF", []string{"customerId"}},
		{"customerId=" + strings.Repeat("x", 1001), []string{"customerId"}},
		{"limit=-1&cursor=x&date=x&customerId=%0A", []string{"cursor", "customerId", "date", "limit"}},
	} {
		p := h.Get("/api/reminders?"+tc.query).Problem(t, http.StatusBadRequest)
		if got := servicetest.Fields(p); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("?%.60s: fields %v, want %v", tc.query, got, tc.want)
		}
	}
	// A harmless injection attempt in customerId is just an unknown customer.
	if l := h.reminders("customerId=" + url.QueryEscape("x' OR '1'='1")); len(l.Items) != 0 {
		t.Errorf("injection attempt listed %d reminders", len(l.Items))
	}
	// Other methods are 405 problem documents.
	if res := h.Do(http.MethodPost, "/api/reminders", map[string]any{}); res.Status != http.StatusMethodNotAllowed {
		t.Errorf("POST /api/reminders: %d, want 405", res.Status)
	}
}
