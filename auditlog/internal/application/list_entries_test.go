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
	"time"

	"github.com/google/uuid"

	"github.com/pitstop/pitstop/auditlog/internal/application"
	"github.com/pitstop/pitstop/auditlog/internal/domain"
)

// memoryLog is an in-memory EntryLister holding entries with seq 1..n in recording
// order (it ignores the filter and the order: filtering and ordering are the store's
// job and are tested against Postgres).
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
		{"unknown sort", application.ListEntries{Sort: "newest"}, []string{"sort"}},
		{"sort of another case", application.ListEntries{Sort: "TIME"}, []string{"sort"}},
		{"unknown sort and a bad cursor", application.ListEntries{Sort: "x", Cursor: "!"}, []string{"sort"}},
		{"recorded cursor in time order", application.ListEntries{Sort: "time", Cursor: cursor("a1:5")}, []string{"cursor"}},
		{"time cursor in recording order", application.ListEntries{Cursor: cursor("a1t:5:5")}, []string{"cursor"}},
		{"time cursor without seq", application.ListEntries{Sort: "time", Cursor: cursor("a1t:5")}, []string{"cursor"}},
		{"time cursor after 9999", application.ListEntries{Sort: "time", Cursor: cursor("a1t:253402300800000000:1")}, []string{"cursor"}},
		{"time cursor with a plus", application.ListEntries{Sort: "time", Cursor: cursor("a1t:+5:1")}, []string{"cursor"}},
		{"type cursor without type", application.ListEntries{Sort: "type", Cursor: cursor("a1y:5:")}, []string{"cursor"}},
		{"type cursor with NUL", application.ListEntries{Sort: "-type", Cursor: cursor("a1yd:5:\x00")}, []string{"cursor"}},
		{"actor with NUL", application.ListEntries{Actor: "\x00"}, []string{"actor"}},
		{"q too long", application.ListEntries{Q: strings.Repeat("q", 201)}, []string{"q"}},
		{"all", application.ListEntries{Type: "\xff", Subject: "\x00", Actor: "\xff", Q: "\x00", From: "x", To: "y",
			Limit: "z", Cursor: "!"}, []string{"actor", "cursor", "from", "limit", "q", "subject", "to", "type"}},
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

// positionLog answers every List with its rows and remembers the order and position
// it was asked for.
type positionLog struct {
	rows  []application.RecordedEntry
	order domain.Order
	after application.Position
}

func (l *positionLog) List(_ context.Context, _ domain.Filter, o domain.Order, after application.Position, n int) ([]application.RecordedEntry, error) {
	l.order, l.after = o, after
	return l.rows[:min(n, len(l.rows))], nil
}

// TestListEntriesCursorsCarryTheKeyOfTheirOrder checks that the next cursor of a page,
// sent back with the same sort, asks the store for the position of the page's last
// entry in that order, at the microsecond precision times are stored with.
func TestListEntriesCursorsCarryTheKeyOfTheirOrder(t *testing.T) {
	t.Parallel()
	entry := func(seq int64, typ string, at time.Time) application.RecordedEntry {
		return application.RecordedEntry{Seq: seq, Entry: domain.RehydrateEntry(domain.EntryInput{
			EventID: uuid.New(), Type: typ, Time: at, Data: []byte(`{}`)})}
	}
	last := time.Date(1969, 12, 31, 23, 59, 59, 999_999_999, time.FixedZone("", -5*3600))
	rows := []application.RecordedEntry{
		entry(9, "pitstop.a.B", time.Now()),
		entry(4, "pitstop.a:b.C", last), // a colon in the type
		entry(7, "pitstop.z.Z", time.Now()),
	}
	for _, tc := range []struct {
		sort  string
		order domain.Order
		want  application.Position
	}{
		{"", domain.ByRecording, application.Position{Seq: 4}},
		{"-recorded", domain.ByRecordingDesc, application.Position{Seq: 4}},
		{"time", domain.ByTime, application.Position{Seq: 4, Time: last.Truncate(time.Microsecond)}},
		{"-time", domain.ByTimeDesc, application.Position{Seq: 4, Time: last.Truncate(time.Microsecond)}},
		{"type", domain.ByType, application.Position{Seq: 4, Type: "pitstop.a:b.C"}},
		{"-type", domain.ByTypeDesc, application.Position{Seq: 4, Type: "pitstop.a:b.C"}},
	} {
		l := &positionLog{rows: rows}
		h := application.NewListEntriesHandler(l)
		page, err := h.Handle(context.Background(), application.ListEntries{Sort: tc.sort, Limit: "2"})
		if err != nil || page.Next == "" {
			t.Fatalf("sort %q: first page %+v, %v", tc.sort, page, err)
		}
		if l.order != tc.order || l.after != (application.Position{}) {
			t.Errorf("sort %q: first page asked for %v after %+v", tc.sort, l.order, l.after)
		}
		if _, err := h.Handle(context.Background(), application.ListEntries{Sort: tc.sort, Limit: "2", Cursor: page.Next}); err != nil {
			t.Fatalf("sort %q: next page: %v", tc.sort, err)
		}
		if l.order != tc.order || l.after.Seq != tc.want.Seq || l.after.Type != tc.want.Type || !l.after.Time.Equal(tc.want.Time) {
			t.Errorf("sort %q: next page asked for %v after %+v, want %v after %+v", tc.sort, l.order, l.after, tc.order, tc.want)
		}
	}
}
