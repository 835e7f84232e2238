package notifications_test

import (
	"io"
	"net/http"
	"net/url"
	"testing"
)

// FuzzListRemindersQuery sends arbitrary query strings to GET /api/reminders on the
// real HTTP stack and database: the answer is a 200 list or a 400 problem document,
// never a 5xx.
//
// As a normal test it runs the seed corpus; explore with
//
//	go test ./notifications -run '^$' -fuzz FuzzListRemindersQuery
func FuzzListRemindersQuery(f *testing.F) {
	for _, q := range []string{"", "limit=1", "limit=200&cursor=cjE6MQ", "date=2024-05-01", "customerId=c-1",
		"customerId=%00", "customerId=%FF%FE", "date=2024-02-30", "limit=99999999999999999999", "cursor=%25",
		"customerId=x'%20OR%201=1--", "date=-0001-01-01", "date=0000-00-00", "customerId=a&customerId=b", "%zz"} {
		f.Add(q)
	}
	h := newHarness(f)
	f.Fuzz(func(t *testing.T, query string) {
		u, err := url.Parse(h.Server.URL + "/api/reminders")
		if err != nil {
			t.Fatal(err)
		}
		u.RawQuery = query
		// Every answer must also match the OpenAPI document (reported on t); the
		// service's client carries a token.
		res, err := h.For(t).Client().Get(u.String())
		if err != nil {
			return // Not a request net/http will send.
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusBadRequest {
			t.Fatalf("GET ?%q: %d %s", query, res.StatusCode, body)
		}
	})
}
