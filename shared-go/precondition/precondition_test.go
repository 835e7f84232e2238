package precondition_test

import (
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/pitstop/pitstop/shared-go/precondition"
)

func TestFromRequest(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		ifMatch   []string
		holdsAt   []int64
		failsAt   []int64
		malformed bool
	}{
		{nil, []int64{1, 7}, nil, false},
		{[]string{"*"}, []int64{1, 7}, nil, false},
		{[]string{`"3"`}, []int64{3}, []int64{2, 4}, false},
		{[]string{`"3", "5"`}, []int64{3, 5}, []int64{4}, false},
		{[]string{`"3"`, `"5"`}, []int64{3, 5}, []int64{4}, false},
		{[]string{`W/"3"`}, nil, []int64{3}, false}, // strong comparison: weak never matches
		{[]string{`"abc"`}, nil, []int64{1}, false}, // a tag never handed out
		{[]string{`"03"`}, nil, []int64{3}, false},
		{[]string{`3`}, nil, nil, true},
		{[]string{`"3`}, nil, nil, true},
		{[]string{`,`}, nil, nil, true},
		{[]string{`"a b"`}, nil, nil, true},
	} {
		r := httptest.NewRequest("PUT", "/x", nil)
		for _, v := range c.ifMatch {
			r.Header.Add("If-Match", v)
		}
		p, err := precondition.FromRequest(r)
		if c.malformed {
			if !errors.Is(err, precondition.ErrMalformed) {
				t.Errorf("%q: err %v, want ErrMalformed", c.ifMatch, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.ifMatch, err)
			continue
		}
		for _, v := range c.holdsAt {
			if !p.Holds(v) {
				t.Errorf("%q does not hold at %d", c.ifMatch, v)
			}
		}
		for _, v := range c.failsAt {
			if p.Holds(v) {
				t.Errorf("%q holds at %d", c.ifMatch, v)
			}
		}
		if p.Conditional() != (len(c.ifMatch) > 0) {
			t.Errorf("%q: conditional %v", c.ifMatch, p.Conditional())
		}
	}
	if precondition.ETag(12) != `"12"` {
		t.Fatal(precondition.ETag(12))
	}
}
