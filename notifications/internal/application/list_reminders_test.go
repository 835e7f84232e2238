package application_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/pitstop/pitstop/notifications/internal/application"
	"github.com/pitstop/pitstop/notifications/internal/domain"
)

// memoryReminders is an in-memory ReminderReader with reminders at positions 1..n,
// alternating between customers c-1 and c-2.
type memoryReminders struct {
	records []application.ReminderRecord
	filters []application.ReminderFilter
	err     error
}

func newMemoryReminders(n int) *memoryReminders {
	m := &memoryReminders{}
	for i := 1; i <= n; i++ {
		m.records = append(m.records, application.ReminderRecord{Position: int64(i), CustomerID: fmt.Sprintf("c-%d", 1+i%2)})
	}
	return m
}

func (m *memoryReminders) Reminders(_ context.Context, f application.ReminderFilter, after int64, n int) ([]application.ReminderRecord, error) {
	m.filters = append(m.filters, f)
	if m.err != nil {
		return nil, m.err
	}
	var out []application.ReminderRecord
	for _, r := range m.records {
		if r.Position > after && len(out) < n && (f.CustomerID == "" || f.CustomerID == r.CustomerID) {
			out = append(out, r)
		}
	}
	return out, nil
}

func TestListRemindersPages(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		reminders, limit, wantPages int
	}{{0, 5, 1}, {5, 5, 1}, {6, 5, 2}, {11, 5, 3}, {120, 0, 3}, {201, 200, 2}} {
		t.Run(fmt.Sprintf("%d by %d", tc.reminders, tc.limit), func(t *testing.T) {
			t.Parallel()
			m := newMemoryReminders(tc.reminders)
			h := application.NewListRemindersHandler(m)
			q := application.ListReminders{}
			if tc.limit > 0 {
				q.Limit = fmt.Sprint(tc.limit)
			}
			var got []int64
			pages := 0
			for {
				page, err := h.Handle(context.Background(), q)
				if err != nil {
					t.Fatal(err)
				}
				pages++
				for _, r := range page.Items {
					got = append(got, r.Position)
				}
				if page.Next == "" {
					break
				}
				if pages > tc.reminders+1 {
					t.Fatal("paging does not end")
				}
				q.Cursor = page.Next
			}
			if len(got) != tc.reminders || pages != tc.wantPages {
				t.Errorf("%d reminders in %d pages, want %d in %d", len(got), pages, tc.reminders, tc.wantPages)
			}
			for i, p := range got {
				if p != int64(i+1) {
					t.Fatalf("positions %v out of order", got)
				}
			}
		})
	}
}

func TestListRemindersPassesTheFilter(t *testing.T) {
	t.Parallel()
	m := newMemoryReminders(3)
	_, err := application.NewListRemindersHandler(m).Handle(context.Background(),
		application.ListReminders{CustomerID: "c-1", Date: "2024-05-01"})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := domain.ParseDate("2024-05-01")
	if want := []application.ReminderFilter{{CustomerID: "c-1", Date: d}}; !reflect.DeepEqual(m.filters, want) {
		t.Errorf("filters %+v, want %+v", m.filters, want)
	}
}

func TestListRemindersRejectsEveryBadParameterAtOnce(t *testing.T) {
	t.Parallel()
	cursor := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, tc := range []struct {
		name string
		q    application.ListReminders
		want []string
	}{
		{"limit 0", application.ListReminders{Limit: "0"}, []string{"limit"}},
		{"limit 201", application.ListReminders{Limit: "201"}, []string{"limit"}},
		{"limit not a number", application.ListReminders{Limit: "ten"}, []string{"limit"}},
		{"cursor not base64", application.ListReminders{Cursor: "***"}, []string{"cursor"}},
		{"cursor of another format", application.ListReminders{Cursor: cursor("a1:5")}, []string{"cursor"}},
		{"cursor zero", application.ListReminders{Cursor: cursor("r1:0")}, []string{"cursor"}},
		{"date not a date", application.ListReminders{Date: "yesterday"}, []string{"date"}},
		{"date out of range", application.ListReminders{Date: "2024-02-30"}, []string{"date"}},
		{"customer with NUL", application.ListReminders{CustomerID: "c\x00"}, []string{"customerId"}},
		{"customer not UTF-8", application.ListReminders{CustomerID: "\xff"}, []string{"customerId"}},
		{"customer too long", application.ListReminders{CustomerID: strings.Repeat("c", 1001)}, []string{"customerId"}},
		{"all", application.ListReminders{CustomerID: "\n", Date: "x", Limit: "-1", Cursor: "!"},
			[]string{"cursor", "customerId", "date", "limit"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := newMemoryReminders(3)
			_, err := application.NewListRemindersHandler(m).Handle(context.Background(), tc.q)
			var verr *domain.ValidationError
			if !errors.As(err, &verr) || !errors.Is(err, domain.ErrInvalidQuery) {
				t.Fatalf("error %v, want a validation error wrapping ErrInvalidQuery", err)
			}
			var got []string
			for _, f := range verr.Fields {
				got = append(got, f.Field)
			}
			sort.Strings(got)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("fields %v, want %v", got, tc.want)
			}
			if len(m.filters) != 0 {
				t.Error("the store was queried for an invalid query")
			}
		})
	}
}

func TestListRemindersPassesStoreErrorsOn(t *testing.T) {
	t.Parallel()
	boom := errors.New("connection refused")
	_, err := application.NewListRemindersHandler(&memoryReminders{err: boom}).Handle(context.Background(), application.ListReminders{})
	var verr *domain.ValidationError
	if !errors.Is(err, boom) || errors.As(err, &verr) {
		t.Errorf("error %v, want the store's error and no validation error", err)
	}
}
