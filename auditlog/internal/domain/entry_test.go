package domain_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pitstop/pitstop/auditlog/internal/domain"
)

func validInput() domain.EntryInput {
	return domain.EntryInput{
		EventID: uuid.MustParse("0d6b8f4e-7a0e-4c5a-9a53-3f5e0c9b8a11"),
		Type:    "pitstop.customers.CustomerRegistered",
		Subject: "c-1",
		Source:  "pitstop/customers",
		Actor:   "staff:anna",
		Time:    time.Date(2024, 5, 1, 8, 0, 0, 123456789, time.FixedZone("", 2*60*60)),
		Data:    json.RawMessage(`{"customerId":"c-1","name":"Zoë"}`),
	}
}

// fields returns the sorted field names of a *domain.ValidationError.
func fields(t *testing.T, err error) []string {
	t.Helper()
	var verr *domain.ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("error %v is not a *domain.ValidationError", err)
	}
	out := []string{}
	for _, f := range verr.Fields {
		out = append(out, f.Field)
	}
	sort.Strings(out)
	return out
}

func TestNewEntry(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		mutate func(in *domain.EntryInput)
		want   []string // invalid fields; nil means valid
	}{
		{"valid", func(*domain.EntryInput) {}, nil},
		{"empty subject and source", func(in *domain.EntryInput) { in.Subject, in.Source = "", "" }, nil},
		{"no actor", func(in *domain.EntryInput) { in.Actor = "" }, nil},
		{"1024-byte actor", func(in *domain.EntryInput) { in.Actor = strings.Repeat("a", 1024) }, nil},
		{"1025-byte actor", func(in *domain.EntryInput) { in.Actor = strings.Repeat("a", 1025) }, []string{"actor"}},
		{"NUL in actor", func(in *domain.EntryInput) { in.Actor = "staff:\x00" }, []string{"actor"}},
		{"invalid UTF-8 actor", func(in *domain.EntryInput) { in.Actor = "staff:\xff" }, []string{"actor"}},
		{"empty object body", func(in *domain.EntryInput) { in.Data = json.RawMessage(`{}`) }, nil},
		{"body with surrounding space", func(in *domain.EntryInput) { in.Data = json.RawMessage(" {\"a\":1}\n") }, nil},
		{"1024-byte subject", func(in *domain.EntryInput) { in.Subject = strings.Repeat("s", 1024) }, nil},
		{"nil id", func(in *domain.EntryInput) { in.EventID = uuid.Nil }, []string{"eventId"}},
		{"empty type", func(in *domain.EntryInput) { in.Type = "" }, []string{"type"}},
		{"NUL in type", func(in *domain.EntryInput) { in.Type = "pitstop.x\x00" }, []string{"type"}},
		{"invalid UTF-8 subject", func(in *domain.EntryInput) { in.Subject = "a\xffb" }, []string{"subject"}},
		{"NUL in source", func(in *domain.EntryInput) { in.Source = "a\x00" }, []string{"source"}},
		{"1025-byte source", func(in *domain.EntryInput) { in.Source = strings.Repeat("s", 1025) }, []string{"source"}},
		{"zero time", func(in *domain.EntryInput) { in.Time = time.Time{} }, []string{"time"}},
		{"nil body", func(in *domain.EntryInput) { in.Data = nil }, []string{"data"}},
		{"body not JSON", func(in *domain.EntryInput) { in.Data = json.RawMessage(`{"a":`) }, []string{"data"}},
		{"body null", func(in *domain.EntryInput) { in.Data = json.RawMessage(`null`) }, []string{"data"}},
		{"body an array", func(in *domain.EntryInput) { in.Data = json.RawMessage(`[]`) }, []string{"data"}},
		{"body a string", func(in *domain.EntryInput) { in.Data = json.RawMessage(`"x"`) }, []string{"data"}},
		{"body with invalid UTF-8", func(in *domain.EntryInput) { in.Data = json.RawMessage("{\"a\":\"\xff\"}") }, []string{"data"}},
		{"everything wrong", func(in *domain.EntryInput) {
			*in = domain.EntryInput{Subject: "\x00", Source: "\xff", Actor: "\x00"}
		}, []string{"actor", "data", "eventId", "source", "subject", "time", "type"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := validInput()
			tc.mutate(&in)
			e, err := domain.NewEntry(in)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("NewEntry: %v", err)
				}
				got := domain.EntryInput{EventID: e.EventID(), Type: e.Type(), Subject: e.Subject(), Source: e.Source(),
					Actor: e.Actor(), Time: e.Time(), Data: e.Data()}
				if !reflect.DeepEqual(got, in) {
					t.Errorf("entry = %+v, want %+v", got, in)
				}
				return
			}
			if !errors.Is(err, domain.ErrInvalidEntry) {
				t.Errorf("error %v does not wrap ErrInvalidEntry", err)
			}
			if got := fields(t, err); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("invalid fields = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestNewEntryCopiesTheBody(t *testing.T) {
	t.Parallel()
	in := validInput()
	e, err := domain.NewEntry(in)
	if err != nil {
		t.Fatal(err)
	}
	in.Data[0] = '['
	if string(e.Data()) != `{"customerId":"c-1","name":"Zoë"}` {
		t.Errorf("entry data changed with its input: %s", e.Data())
	}
}

func TestNewFilter(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name      string
		in        domain.FilterInput
		want      []string // invalid fields; nil means valid
		wantShort bool
	}{
		{"empty", domain.FilterInput{}, nil, false},
		{"full type", domain.FilterInput{Type: "pitstop.customers.CustomerRegistered"}, nil, false},
		{"short type", domain.FilterInput{Type: "CustomerRegistered"}, nil, true},
		{"dotted partial type", domain.FilterInput{Type: "customers.CustomerRegistered"}, nil, false},
		{"subject", domain.FilterInput{Subject: "AB-123-C"}, nil, false},
		{"actor", domain.FilterInput{Actor: "staff:anna"}, nil, false},
		{"query", domain.FilterInput{Query: "Zoë"}, nil, false},
		{"200-character query", domain.FilterInput{Query: strings.Repeat("ë", 200)}, nil, false},
		{"from only", domain.FilterInput{From: t0}, nil, false},
		{"to only", domain.FilterInput{To: t0}, nil, false},
		{"to after from", domain.FilterInput{From: t0, To: t0.Add(time.Nanosecond)}, nil, false},
		{"to equal to from", domain.FilterInput{From: t0, To: t0}, []string{"to"}, false},
		{"to before from", domain.FilterInput{From: t0, To: t0.Add(-time.Hour)}, []string{"to"}, false},
		{"same instant in other offsets", domain.FilterInput{From: t0, To: t0.In(time.FixedZone("", 3600))}, []string{"to"}, false},
		{"NUL in type", domain.FilterInput{Type: "\x00"}, []string{"type"}, false},
		{"invalid UTF-8 subject", domain.FilterInput{Subject: "\xff"}, []string{"subject"}, false},
		{"overlong subject", domain.FilterInput{Subject: strings.Repeat("x", 1025)}, []string{"subject"}, false},
		{"NUL in actor", domain.FilterInput{Actor: "a\x00"}, []string{"actor"}, false},
		{"overlong actor", domain.FilterInput{Actor: strings.Repeat("x", 1025)}, []string{"actor"}, false},
		{"201-character query", domain.FilterInput{Query: strings.Repeat("ë", 201)}, []string{"q"}, false},
		{"201 characters with spaces", domain.FilterInput{Query: " " + strings.Repeat("x", 199) + " "}, []string{"q"}, false},
		{"NUL in query", domain.FilterInput{Query: "a\x00"}, []string{"q"}, false},
		{"invalid UTF-8 query", domain.FilterInput{Query: "\xc3"}, []string{"q"}, false},
		{"all wrong", domain.FilterInput{Type: "\xff", Subject: "\x00", Actor: "\xff", Query: "\x00", From: t0, To: t0},
			[]string{"actor", "q", "subject", "to", "type"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, err := domain.NewFilter(tc.in)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("NewFilter: %v", err)
				}
				if f.Type() != tc.in.Type || f.Subject() != tc.in.Subject || f.Actor() != tc.in.Actor ||
					f.Query() != tc.in.Query || !f.From().Equal(tc.in.From) || !f.To().Equal(tc.in.To) {
					t.Errorf("filter = %+v, want %+v", f, tc.in)
				}
				if f.IsShortType() != tc.wantShort {
					t.Errorf("IsShortType = %v, want %v", f.IsShortType(), tc.wantShort)
				}
				return
			}
			if !errors.Is(err, domain.ErrInvalidFilter) {
				t.Errorf("error %v does not wrap ErrInvalidFilter", err)
			}
			if got := fields(t, err); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("invalid fields = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFilterTrimsTheQuery(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{" Zoë\t\n": "Zoë", "   ": "", "a b": "a b"} {
		f, err := domain.NewFilter(domain.FilterInput{Query: in})
		if err != nil || f.Query() != want {
			t.Errorf("query %q: %q, %v; want %q", in, f.Query(), err, want)
		}
	}
}

func TestParseOrder(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]domain.Order{"": domain.ByRecording, "recorded": domain.ByRecording,
		"-recorded": domain.ByRecordingDesc, "time": domain.ByTime, "-time": domain.ByTimeDesc, "type": domain.ByType,
		"-type": domain.ByTypeDesc} {
		o, ok := domain.ParseOrder(s)
		if !ok || o != want {
			t.Errorf("ParseOrder(%q) = %v, %v; want %v", s, o, ok, want)
		}
		if s != "" && o.String() != s {
			t.Errorf("%v.String() = %q, want %q", o, o.String(), s)
		}
		if o.Descending() != strings.HasPrefix(s, "-") {
			t.Errorf("%q: Descending = %v", s, o.Descending())
		}
	}
	for _, s := range []string{"Time", "time ", "+time", "-", "--time", "seq", "recorded,time"} {
		if _, ok := domain.ParseOrder(s); ok {
			t.Errorf("ParseOrder(%q) accepted", s)
		}
	}
}
