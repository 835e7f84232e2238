package customers_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/pitstop/pitstop/shared-go/auth"
	"github.com/pitstop/pitstop/shared-go/problem"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

// FuzzRegisterCustomerRequest drives POST /api/customers, through the real router and
// a real database, with arbitrary bodies and content types. Whatever the input, the
// answer is a 2xx customer or a 4xx problem document, never a panic or a 5xx; a 4xx
// stores nothing; a 201 stores one customer and one event; and sending the same
// request again answers the same (or 200 for a replayed registration).
//
// As a normal test it runs the seed corpus; explore with
//
//	go test ./customers -run '^$' -fuzz FuzzRegisterCustomerRequest
func FuzzRegisterCustomerRequest(f *testing.F) {
	valid := `{"name":"Lisa","address":"Kerkstraat 1","postalCode":"1234 AB","city":"Amsterdam",` +
		`"telephoneNumber":"+31 6 1234","emailAddress":"lisa@example.com"}`
	withID := `{"customerId":"0d6b8f4e-7a0e-4c5a-9a53-3f5e0c9b8a11","name":"Lisa","address":"Kerkstraat 1",` +
		`"postalCode":"1234 AB","city":"Amsterdam","telephoneNumber":"0612345678","emailAddress":"lisa@example.com"}`
	for _, seed := range []struct{ ct, body string }{
		{"application/json", valid},
		{"application/json", withID},
		{"", withID},
		{"application/json; charset=utf-8", strings.Replace(withID, "Amsterdam", "Utrecht", 1)},
		{"application/problem+json", valid},
		{"text/plain", valid},
		{"application/json", ``},
		{"application/json", `{`},
		{"application/json", `null`},
		{"application/json", `[]`},
		{"application/json", `"x"`},
		{"application/json", `1e999`},
		{"application/json", `{"name":1e400}`},
		{"application/json", `{"customerId":"` + strings.Repeat("f", 36) + `"}`},
		{"application/json", `{"name":"\u0000","address":"\ud800","city":"\xff\xfe"}`},
		{"application/json", strings.Replace(valid, "Lisa", "Li\\u0000sa", 1)},
		{"application/json", strings.Replace(valid, "Lisa", "Li\xffsa", 1)},
		{"application/json", strings.Replace(valid, "lisa@example.com", "lisa@example.com\\r\\nBcc: x@example.com", 1)},
		{"application/json", strings.Replace(valid, "Kerkstraat 1", "'); DROP TABLE customers; --", 1)},
		{"application/json", strings.Replace(valid, "Lisa", strings.Repeat("ñ", 200), 1)},
		{"application/json", `{"name":{"nested":[1,2,{"deep":null}]}}`},
		{"application/json", valid + ` trailing`},
		{"application/json", `{"name":"a","name":"b"}`},
		{"application/json", strings.Repeat("[", 10000)},
		{"application/json", `{"address":"` + strings.Repeat("a", maxBody) + `"}`},
	} {
		f.Add(seed.ct, []byte(seed.body))
	}

	h := newHarness(f, nil, nil)
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		before := h.storedFor(t)
		// As the front desk, whose role may register (a 401 or 403 fails checkAnswer).
		token := testutil.Token(t, auth.FrontDesk)
		first := post(h.Handler, token, contentType, body)
		checkAnswer(t, first)
		after := h.storedFor(t)
		switch {
		case first.Code == http.StatusCreated:
			if after != (stored{before.customers + 1, before.outbox + 1}) {
				t.Fatalf("201 stored %+v -> %+v, want one customer and one event more", before, after)
			}
		case after != before:
			t.Fatalf("%d stored %+v -> %+v, want nothing", first.Code, before, after)
		}

		second := post(h.Handler, token, contentType, body)
		checkAnswer(t, second)
		replayed := first.Code == http.StatusCreated && second.Code == http.StatusOK
		if second.Code != first.Code && !replayed {
			t.Fatalf("same request answered %d then %d (%s)", first.Code, second.Code, second.Body)
		}
		if first.Code == http.StatusCreated && second.Code == http.StatusCreated {
			// Only a registration without a client id may create twice, as two customers.
			var a, b customerJSON
			if err := json.Unmarshal(first.Body.Bytes(), &a); err != nil {
				t.Fatalf("201 body %s: %v", first.Body, err)
			}
			if err := json.Unmarshal(second.Body.Bytes(), &b); err != nil {
				t.Fatalf("201 body %s: %v", second.Body, err)
			}
			if a.CustomerID == b.CustomerID {
				t.Fatalf("customer %s created twice", a.CustomerID)
			}
		}
		if replayed && second.Body.String() != first.Body.String() {
			t.Fatalf("replay answered %s, first %s", second.Body, first.Body)
		}
	})
}

func post(handler http.Handler, token, contentType string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/api/customers", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	return rec
}

// checkAnswer requires a 2xx customer or a 4xx problem document.
func checkAnswer(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	switch {
	case rec.Code == http.StatusCreated || rec.Code == http.StatusOK:
		var c customerJSON
		if err := json.Unmarshal(rec.Body.Bytes(), &c); err != nil || c.CustomerID == "" {
			t.Fatalf("%d with body %s (%v)", rec.Code, rec.Body, err)
		}
		if loc := rec.Header().Get("Location"); loc != "/api/customers/"+c.CustomerID {
			t.Fatalf("%d with Location %q for %s", rec.Code, loc, c.CustomerID)
		}
	case rec.Code == http.StatusUnauthorized || rec.Code == http.StatusForbidden:
		t.Fatalf("%d: the token was refused, the input never reached the decoder: %s", rec.Code, rec.Body)
	case rec.Code >= 400 && rec.Code < 500:
		var p problem.Problem
		if ct := rec.Header().Get("Content-Type"); ct != problem.ContentType {
			t.Fatalf("%d with content type %q", rec.Code, ct)
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != rec.Code {
			t.Fatalf("%d with problem %s (%v)", rec.Code, rec.Body, err)
		}
	default:
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
}

// FuzzListCustomersQuery drives GET /api/customers with arbitrary q, city, sort,
// cursor and limit: the answer is a 200 page or a 400 problem, never a 5xx (a value
// that reaches Postgres, a cursor's key included, must be one it can hold), and a
// list stores nothing.
//
//	go test ./customers -run '^$' -fuzz FuzzListCustomersQuery
func FuzzListCustomersQuery(f *testing.F) {
	for _, seed := range [][5]string{
		{"", "", "", "", ""},
		{"lisa", "amst", "name", "", "2"},
		{"%", "_", "-city", "", ""},
		{`\`, `\%`, "customerId", "", ""},
		{"a\x00b", "\xff", "-name", "", ""},
		{"' OR 1=1 --", "Amsterdam", "name; DROP TABLE customers", "", "0"},
		{"", "", "name", "YzI6bmFtZTo1OnNvbWVvbmU", ""}, // c2:name:5:someone
		{"", "", "customerId", "YzI6Y3VzdG9tZXJJZDo1Ong", ""},
		{"", "", "name", "YzI6bmFtZTo1OmEA", ""},  // c2:name:5:a\x00
		{"", "", "-name", "YzI6LW5hbWU6NTr_", ""}, // c2:-name:5:\xff
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3], seed[4])
	}
	h := newHarness(f, nil, nil)
	for _, name := range []string{"Lisa Verbeek", "anna de Boer", "100% Auto"} {
		c := lisa()
		c.Name = name
		h.register(c)
	}
	f.Fuzz(func(t *testing.T, q, city, sort, cursor, limit string) {
		before := h.storedFor(t)
		query := url.Values{"q": {q}, "city": {city}, "sort": {sort}, "cursor": {cursor}, "limit": {limit}}
		req := httptest.NewRequest(http.MethodGet, "/api/customers?"+query.Encode(), nil)
		req.Header.Set("Authorization", "Bearer "+testutil.Token(t, auth.Mechanic))
		rec := httptest.NewRecorder()
		h.Handler.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK:
			var l listJSON
			if err := json.Unmarshal(rec.Body.Bytes(), &l); err != nil {
				t.Fatalf("200 with body %s: %v", rec.Body, err)
			}
		case http.StatusBadRequest:
			var p problem.Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || len(p.Errors) == 0 {
				t.Fatalf("400 without field errors: %s (%v)", rec.Body, err)
			}
		default:
			t.Fatalf("%v: status %d: %s", query, rec.Code, rec.Body)
		}
		if after := h.storedFor(t); after != before {
			t.Fatalf("a list stored %+v -> %+v", before, after)
		}
	})
}
