package openapitest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/pitstop/pitstop/serviceapis/openapi"
	"github.com/pitstop/pitstop/serviceapis/openapi/openapitest"
)

// recorder is a testing.TB that keeps Errorf messages instead of failing.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestEveryDocumentIsValidOpenAPI(t *testing.T) {
	if len(openapi.Services()) == 0 {
		t.Fatal("no documents embedded")
	}
	for _, s := range openapi.Services() {
		t.Run(s, func(t *testing.T) {
			spec := string(openapi.Spec(s))
			if !strings.HasPrefix(spec, "openapi: 3.1") {
				t.Fatalf("%s is not an OpenAPI 3.1 document", s)
			}
			_ = openapitest.Client(t, s) // fails the test if the document is invalid
		})
	}
}

// The validating client must catch a response that drifts from the document.
func TestClientReportsResponsesThatDoNotMatchTheDocument(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("ETag", `"1"`)
		if strings.HasSuffix(r.URL.Path, "/good") {
			_, _ = w.Write([]byte(`{"customerId":"6f1c7a52-3a43-4c39-9d1f-2c1b0a3e5b11","name":"a","address":"b","postalCode":"c","city":"d","telephoneNumber":"1","emailAddress":"a@b.nl","version":1}`))
			return
		}
		_, _ = w.Write([]byte(`{"customerId":"6f1c7a52-3a43-4c39-9d1f-2c1b0a3e5b11","name":42}`))
	}))
	defer srv.Close()
	rec := &recorder{TB: t}
	c := openapitest.Client(rec, "customers")
	for _, path := range []string{"/api/customers/good", "/api/customers/bad"} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer x") // the documents require a bearer token
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if len(rec.errs) != 1 || !strings.Contains(rec.errs[0], "/api/customers/bad") {
		t.Fatalf("validation errors = %q, want exactly one about the bad response", rec.errs)
	}
}
