package application_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pitstop/pitstop/auditlog/internal/application"
	"github.com/pitstop/pitstop/auditlog/internal/domain"
)

// memoryLog is an in-memory EntryLister holding entries with seq 1..n (it ignores the
// filter: filtering is the store's job and is tested against Postgres).
type memoryLog struct {
	entries []application.RecordedEntry
	err     error
	calls   int
}

func newMemoryLog(n int) *memoryLog {
	l := &memoryLog{}
	for i := 1; i <= n; i++ {
		l.entries = append(l.entries, application.RecordedEntry{Seq: int64(i), Entry: domain.RehydrateEntry(domain.EntryInput{
			EventID: uuid.New(), Type: "pitstop.test.Tested", Time: time.Now(), Data: []byte(`{}`)})})
	}
	return l
}

func (l *memoryLog) List(_ context.Context, _ domain.Filter, _ domain.Order, after application.Position, n int) ([]application.RecordedEntry, error) {
	l.calls++
	if l.err != nil {
		return nil, l.err
	}
	var out []application.RecordedEntry
	for _, e := range l.entries {
		if e.Seq > after.Seq && len(out) < n {
			out = append(out, e)
		}
	}
	return out, nil
}

func seqs(es []application.RecordedEntry) []int64 {
	out := []int64{}
	for _, e := range es {
		out = append(out, e.Seq)
	}
	return out
}

func TestListEntriesPages(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		entries, limit int
		wantPages      int
	}{
		{0, 5, 1}, {1, 1, 1}, {5, 5, 1}, {6, 5, 2}, {10, 5, 2}, {11, 5, 3}, {200, 200, 1}, {201, 200, 2}, {120, 0, 3},
	} {
		t.Run(fmt.Sprintf("%d entries by %d", tc.entries, tc.limit), func(t *testing.T) {
			t.Parallel()
			log := newMemoryLog(tc.entries)
			h := application.NewListEntriesHandler(log)
			q := application.ListEntries{}
			if tc.limit > 0 {
				q.Limit = fmt.Sprint(tc.limit)
			}
			got := []int64{}
			pages := 0
			for {
				page, err := h.Handle(context.Background(), q)
				if err != nil {
					t.Fatal(err)
				}
				pages++
				got = append(got, seqs(page.Items)...)
				if page.Next == "" {
					break
				}
				if pages > tc.entries+1 {
					t.Fatal("paging does not end")
				}
				q.Cursor = page.Next
			}
			if want := seqs(log.entries); !reflect.DeepEqual(got, want) {
				t.Errorf("paged %v, want %v", got, want)
			}
			if pages != tc.wantPages {
				t.Errorf("%d pages, want %d", pages, tc.wantPages)
			}
		})
	}
}

func TestListEntriesRejectsEveryBadParameterAtOnce(t *testing.T) {
	t.Parallel()
	cursor := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, tc := range []struct {
		name string
		q    application.ListEntries
		want []string
	}{
		{"limit 0", application.ListEntries{Limit: "0"}, []string{"limit"}},
		{"limit 201", application.ListEntries{Limit: "201"}, []string{"limit"}},
		{"limit with spaces", application.ListEntries{Limit: " 5"}, []string{"limit"}},
		{"cursor not base64", application.ListEntries{Cursor: "***"}, []string{"cursor"}},
		{"cursor of another format", application.ListEntries{Cursor: cursor("c1:5")}, []string{"cursor"}},
		{"cursor zero", application.ListEntries{Cursor: cursor("a1:0")}, []string{"cursor"}},
		{"cursor with padding digits", application.ListEntries{Cursor: cursor("a1:+5")}, []string{"cursor"}},
		{"from not RFC 3339", application.ListEntries{From: "2024-05-01 08:00"}, []string{"from"}},
		{"to without offset", application.ListEntries{To: "2024-05-01T08:00:00"}, []string{"to"}},
		{"to before from", application.ListEntries{From: "2024-05-02T00:00:00Z", To: "2024-05-01T00:00:00Z"}, []string{"to"}},
		{"type with NUL", application.ListEntries{Type: "a\x00"}, []string{"type"}},
		{"all", application.ListEntries{Type: "\xff", Subject: "\x00", From: "x", To: "y", Limit: "z", Cursor: "!"},
			[]string{"cursor", "from", "limit", "subject", "to", "type"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			log := newMemoryLog(3)
			_, err := application.NewListEntriesHandler(log).Handle(context.Background(), tc.q)
			var verr *domain.ValidationError
			if !errors.As(err, &verr) || !errors.Is(err, domain.ErrInvalidFilter) {
				t.Fatalf("error %v, want a validation error wrapping ErrInvalidFilter", err)
			}
			var got []string
			for _, f := range verr.Fields {
				got = append(got, f.Field)
			}
			sort.Strings(got)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("fields %v, want %v", got, tc.want)
			}
			if log.calls != 0 {
				t.Error("the store was queried for an invalid query")
			}
		})
	}
}

func TestListEntriesPassesStoreErrorsOn(t *testing.T) {
	t.Parallel()
	boom := errors.New("connection refused")
	_, err := application.NewListEntriesHandler(&memoryLog{err: boom}).Handle(context.Background(), application.ListEntries{})
	var verr *domain.ValidationError
	if !errors.Is(err, boom) || errors.As(err, &verr) {
		t.Errorf("error %v, want the store's error and no validation error", err)
	}
}
