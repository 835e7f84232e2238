package apiclient_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/pitstop/pitstop/webapp/internal/apiclient"
)

// Updates send the version they read as If-Match; searches send their parameters;
// JobWithETag returns the planning's ETag.
func TestConditionalWritesAndSearches(t *testing.T) {
	var got *http.Request
	rt := serve(t, func(w http.ResponseWriter, r *http.Request) {
		got = r
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("ETag", `"7"`)
		_, _ = w.Write([]byte(`{"items":[]}`))
	})
	ctx := context.Background()
	if _, err := apiclient.NewVehicles(rt).Update(ctx, apiclient.Vehicle{LicenseNumber: "AB-123-C", Version: 3}); err != nil {
		t.Fatal(err)
	}
	if got.Header.Get("If-Match") != `"3"` || got.Method != http.MethodPut {
		t.Fatalf("%s If-Match %q", got.Method, got.Header.Get("If-Match"))
	}
	if _, err := apiclient.NewCustomers(rt).Update(ctx, apiclient.Customer{CustomerID: "c"}); err != nil {
		t.Fatal(err)
	}
	if got.Header.Get("If-Match") != "" {
		t.Fatalf("unversioned update sent If-Match %q", got.Header.Get("If-Match"))
	}
	if _, err := apiclient.NewCustomers(rt).Search(ctx, apiclient.CustomerQuery{Q: "jan", City: "utr", Sort: "-name"}, "", 25); err != nil {
		t.Fatal(err)
	}
	if q := got.URL.Query(); q.Get("q") != "jan" || q.Get("city") != "utr" || q.Get("sort") != "-name" || q.Get("limit") != "25" {
		t.Fatalf("query %v", q)
	}
	_, etag, err := apiclient.NewWorkshop(rt).JobWithETag(ctx, "2030-05-06", "j1")
	if err != nil || etag != `"7"` {
		t.Fatalf("etag %q, %v", etag, err)
	}
	if _, err := apiclient.NewWorkshop(rt).CancelJob(ctx, "2030-05-06", "j1", etag, apiclient.CancelJob{}); err != nil {
		t.Fatal(err)
	}
	if got.Header.Get("If-Match") != `"7"` || got.URL.Path != "/api/workshopplanning/2030-05-06/jobs/j1/cancel" {
		t.Fatalf("cancel %s If-Match %q", got.URL.Path, got.Header.Get("If-Match"))
	}
	if _, err := apiclient.NewAuditLog(rt).List(ctx, apiclient.AuditQuery{Type: "T", Actor: "a", Q: "x", Sort: "-time"}, "", 50); err != nil {
		t.Fatal(err)
	}
	if q := got.URL.Query(); q.Get("type") != "T" || q.Get("actor") != "a" || q.Get("q") != "x" || q.Get("sort") != "-time" {
		t.Fatalf("audit query %v", q)
	}
}
