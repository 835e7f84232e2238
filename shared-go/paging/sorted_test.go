package paging_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/pitstop/pitstop/shared-go/paging"
	"github.com/pitstop/pitstop/shared-go/validation"
)

func TestKeyCursorRoundTripsAndRefusesForgeries(t *testing.T) {
	t.Parallel()
	c := paging.EncodeKeyCursor("c2:name:", 42, "ann:smith")
	pos, v, err := paging.DecodeKeyCursor("c2:name:", c)
	if err != nil || pos != 42 || v != "ann:smith" {
		t.Fatalf("round trip = %d %q %v", pos, v, err)
	}
	if pos, v, err := paging.DecodeKeyCursor("c2:name:", ""); err != nil || pos != 0 || v != "" {
		t.Fatalf("first page = %d %q %v", pos, v, err)
	}
	for _, bad := range []string{
		paging.EncodeKeyCursor("c2:city:", 42, "x"), // another order's cursor
		paging.EncodeCursor("c2:name:", "nocolon"),
		paging.EncodeCursor("c2:name:", "007:x"),
		paging.EncodeCursor("c2:name:", "0:x"),
		paging.EncodeCursor("c2:name:", "1:a\x00b"),
		paging.EncodeCursor("c2:name:", "1:\xff"),
		"garbage",
	} {
		if _, _, err := paging.DecodeKeyCursor("c2:name:", bad); !errors.Is(err, paging.ErrInvalidCursor) {
			t.Errorf("%q: err %v, want ErrInvalidCursor", bad, err)
		}
	}
}

func TestSearchParam(t *testing.T) {
	t.Parallel()
	verr := &validation.Error{}
	if got := paging.SearchParam(verr, "q", "  ann ", 5); got != "ann" || verr.OrNil() != nil {
		t.Fatalf("trimmed = %q, %v", got, verr.OrNil())
	}
	for _, bad := range []string{"\xff", strings.Repeat("é", 6), "a\x00b", "a\tb"} {
		verr := &validation.Error{}
		if got := paging.SearchParam(verr, "q", bad, 5); got != "" || verr.OrNil() == nil {
			t.Errorf("%q accepted as %q", bad, got)
		}
	}
}
