package paging_test

import (
	"encoding/base64"
	"errors"
	"math"
	"reflect"
	"strconv"
	"testing"

	"github.com/pitstop/pitstop/shared-go/paging"
)

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestParseLimit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want int
		ok   bool
	}{
		{"", paging.DefaultLimit, true},
		{"1", 1, true},
		{"50", 50, true},
		{"200", paging.MaxLimit, true},
		{"007", 7, true}, // as strconv.Atoi reads it, like every list did before
		{"+5", 5, true},
		{"0", 0, false},
		{"-0", 0, false},
		{"-1", 0, false},
		{"201", 0, false},
		{"abc", 0, false},
		{"1.5", 0, false},
		{" 5", 0, false},
		{"5 ", 0, false},
		{"0x10", 0, false},
		{"99999999999999999999", 0, false},
	} {
		got, err := paging.ParseLimit(tc.in)
		if tc.ok && (err != nil || got != tc.want) {
			t.Errorf("ParseLimit(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
		if !tc.ok && (!errors.Is(err, paging.ErrInvalidLimit) || got != 0) {
			t.Errorf("ParseLimit(%q) = %d, %v; want ErrInvalidLimit", tc.in, got, err)
		}
	}
}

// TestCursorWireFormat pins the format of the cursors clients hold: changing it would
// turn the cursors handed out before a deployment into 400s.
func TestCursorWireFormat(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ got, want string }{
		{paging.EncodePosition("c1:", 42), "YzE6NDI"},
		{paging.EncodePosition("i1:", 10), "aTE6MTA"},
		{paging.EncodePosition("a1:", math.MaxInt64), b64("a1:9223372036854775807")},
		{paging.EncodeCursor("", "AB-12-CD"), "QUItMTItQ0Q"},
		{paging.EncodeCursor("k1:", "ü?/+"), b64("k1:ü?/+")},
		{paging.EncodeCursor("k1:", ""), ""},
		{paging.EncodePosition("c1:", 0), ""},
		{paging.EncodePosition("c1:", -3), ""},
	} {
		if tc.got != tc.want {
			t.Errorf("cursor %q, want %q", tc.got, tc.want)
		}
	}
}

func TestDecodePosition(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, cursor string
		want         int64
		ok           bool
	}{
		{"first page", "", 0, true},
		{"position", b64("c1:5"), 5, true},
		{"largest position", b64("c1:9223372036854775807"), math.MaxInt64, true},
		{"not base64", "garbage!", 0, false},
		{"padded base64", base64.URLEncoding.EncodeToString([]byte("c1:5")), 0, false},
		{"standard alphabet", "YzE6Pz8/", 0, false}, // "c1:???" is "YzE6Pz8_" in base64url
		{"another list's prefix", b64("v1:5"), 0, false},
		{"no prefix", b64("5"), 0, false},
		{"prefix alone", b64("c1:"), 0, false},
		{"zero", b64("c1:0"), 0, false},
		{"negative", b64("c1:-5"), 0, false},
		{"sign", b64("c1:+5"), 0, false},
		{"leading zero", b64("c1:05"), 0, false},
		{"not a number", b64("c1:abc"), 0, false},
		{"space", b64("c1: 5"), 0, false},
		{"overflow", b64("c1:99999999999999999999"), 0, false},
		{"only a newline", "\n", 0, false},
		{"SQL", "' OR 1=1 --", 0, false},
	} {
		got, err := paging.DecodePosition("c1:", tc.cursor)
		if tc.ok && (err != nil || got != tc.want) {
			t.Errorf("%s: DecodePosition(%q) = %d, %v; want %d", tc.name, tc.cursor, got, err, tc.want)
		}
		if !tc.ok && (!errors.Is(err, paging.ErrInvalidCursor) || got != 0) {
			t.Errorf("%s: DecodePosition(%q) = %d, %v; want ErrInvalidCursor", tc.name, tc.cursor, got, err)
		}
	}
}

func TestDecodeCursor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, prefix, cursor string
		want                 string
		ok                   bool
	}{
		{"first page", "", "", "", true},
		{"first page with a prefix", "k1:", "", "", true},
		{"key without prefix", "", b64("AB-12-CD"), "AB-12-CD", true},
		{"key with prefix", "k1:", b64("k1:c-1"), "c-1", true},
		{"key that looks like a prefix", "", b64("k1:c-1"), "k1:c-1", true},
		{"bytes are not checked", "", b64("a\x00\xff"), "a\x00\xff", true},
		{"not base64", "", "***", "", false},
		{"wrong prefix", "k1:", b64("k2:c-1"), "", false},
		{"prefix alone", "k1:", b64("k1:"), "", false},
		{"only a newline", "", "\n", "", false},
	} {
		got, err := paging.DecodeCursor(tc.prefix, tc.cursor)
		if tc.ok && (err != nil || got != tc.want) {
			t.Errorf("%s: DecodeCursor(%q, %q) = %q, %v; want %q", tc.name, tc.prefix, tc.cursor, got, err, tc.want)
		}
		if !tc.ok && (!errors.Is(err, paging.ErrInvalidCursor) || got != "") {
			t.Errorf("%s: DecodeCursor(%q, %q) = %q, %v; want ErrInvalidCursor", tc.name, tc.prefix, tc.cursor, got, err)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	for _, pos := range []int64{1, 2, 9, 10, 1 << 40, math.MaxInt64} {
		c := paging.EncodePosition("x1:", pos)
		if got, err := paging.DecodePosition("x1:", c); err != nil || got != pos {
			t.Errorf("position %d: cursor %q decodes to %d, %v", pos, c, got, err)
		}
		if _, err := paging.DecodePosition("y1:", c); !errors.Is(err, paging.ErrInvalidCursor) {
			t.Errorf("position %d: another list accepts its cursor %q: %v", pos, c, err)
		}
	}
	for _, key := range []string{"a", "AB-12-CD", "ü", "a\x00b", "\xff", "k1:"} {
		c := paging.EncodeCursor("", key)
		if got, err := paging.DecodeCursor("", c); err != nil || got != key {
			t.Errorf("key %q: cursor %q decodes to %q, %v", key, c, got, err)
		}
	}
}

func TestNewPage(t *testing.T) {
	t.Parallel()
	seq := func(n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = i + 1
		}
		return out
	}
	calls := 0
	next := func(last int) string { calls++; return strconv.Itoa(last) }
	for _, tc := range []struct {
		rows, limit int
		wantItems   []int
		wantNext    string
	}{
		{0, 5, []int{}, ""},
		{3, 5, []int{1, 2, 3}, ""},
		{5, 5, []int{1, 2, 3, 4, 5}, ""},
		{6, 5, []int{1, 2, 3, 4, 5}, "5"},
		{1, 1, []int{1}, ""},
		{2, 1, []int{1}, "1"},
		{9, 2, []int{1, 2}, "2"}, // more rows than asked for: still one page
	} {
		calls = 0
		p := paging.NewPage(seq(tc.rows), tc.limit, next)
		if !reflect.DeepEqual(p.Items, tc.wantItems) || p.Next != tc.wantNext {
			t.Errorf("%d rows by %d: %v next %q; want %v next %q", tc.rows, tc.limit, p.Items, p.Next, tc.wantItems, tc.wantNext)
		}
		if wantCalls := min(len(tc.wantNext), 1); calls != wantCalls {
			t.Errorf("%d rows by %d: next called %d times, want %d", tc.rows, tc.limit, calls, wantCalls)
		}
	}
}

// FuzzDecodeCursor checks that any string either decodes to a key that encodes back to
// a cursor decoding to the same key, or is ErrInvalidCursor: never a panic, never
// another error. The same holds for positions, which are moreover positive and have
// one cursor each.
//
//	go test ./shared-go/paging -run '^$' -fuzz FuzzDecodeCursor
func FuzzDecodeCursor(f *testing.F) {
	for _, seed := range []string{"", "YzE6NDI", "aTE6MTA", b64("c1:0"), b64("c1:-1"), b64("c1:01"), b64("c1:"),
		b64("c1:99999999999999999999"), "QUItMTItQ0Q", "YzE6NDI=", "Y\nzE6NDI", "\n", "%%%", "' OR 1=1 --"} {
		f.Add("c1:", seed)
		f.Add("", seed)
	}
	f.Fuzz(func(t *testing.T, prefix, s string) {
		key, err := paging.DecodeCursor(prefix, s)
		switch {
		case err != nil:
			if !errors.Is(err, paging.ErrInvalidCursor) || key != "" {
				t.Fatalf("DecodeCursor(%q, %q) = %q, %v", prefix, s, key, err)
			}
		case s == "" && key != "", s != "" && key == "":
			t.Fatalf("DecodeCursor(%q, %q) = %q: only the empty cursor is the start", prefix, s, key)
		default:
			if again, err := paging.DecodeCursor(prefix, paging.EncodeCursor(prefix, key)); err != nil || again != key {
				t.Fatalf("key %q of %q re-encoded decodes to %q, %v", key, s, again, err)
			}
		}

		pos, err := paging.DecodePosition(prefix, s)
		switch {
		case err != nil:
			if !errors.Is(err, paging.ErrInvalidCursor) || pos != 0 {
				t.Fatalf("DecodePosition(%q, %q) = %d, %v", prefix, s, pos, err)
			}
		case s == "":
			if pos != 0 {
				t.Fatalf("the empty cursor is position %d", pos)
			}
		default:
			if pos < 1 {
				t.Fatalf("DecodePosition(%q, %q) = %d", prefix, s, pos)
			}
			c := paging.EncodePosition(prefix, pos)
			if again, err := paging.DecodePosition(prefix, c); err != nil || again != pos {
				t.Fatalf("position %d of %q re-encoded as %q decodes to %d, %v", pos, s, c, again, err)
			}
			if key != strconv.FormatInt(pos, 10) {
				t.Fatalf("position %d of %q has the key %q", pos, s, key)
			}
		}
	})
}
