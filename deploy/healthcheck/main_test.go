package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestTarget(t *testing.T) {
	t.Parallel()
	env := func(addr string) func(string) string {
		return func(k string) string {
			if k == "HTTP_ADDR" {
				return addr
			}
			return ""
		}
	}
	tests := []struct {
		name    string
		args    []string
		addr    string
		want    string
		wantErr bool
	}{
		{name: "port of HTTP_ADDR", addr: ":5100", want: "http://127.0.0.1:5100/readyz"},
		{name: "host and port in HTTP_ADDR", addr: "0.0.0.0:5201", want: "http://127.0.0.1:5201/readyz"},
		{name: "explicit port wins", args: []string{"7005"}, addr: ":5100", want: "http://127.0.0.1:7005/readyz"},
		{name: "explicit url", args: []string{"http://127.0.0.1:9/healthz"}, want: "http://127.0.0.1:9/healthz"},
		{name: "nothing to go by", wantErr: true},
		{name: "HTTP_ADDR without port", addr: "localhost", wantErr: true},
		{name: "not a port", args: []string{"70000"}, wantErr: true},
		{name: "too many arguments", args: []string{"1", "2"}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := target(tc.args, env(tc.addr))
			if (err != nil) != tc.wantErr {
				t.Fatalf("target(%v, HTTP_ADDR=%q) error = %v, wantErr %v", tc.args, tc.addr, err, tc.wantErr)
			}
			if got != tc.want {
				t.Fatalf("target(%v, HTTP_ADDR=%q) = %q, want %q", tc.args, tc.addr, got, tc.want)
			}
		})
	}
}

func TestRunExitCodes(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/readyz" {
			w.WriteHeader(http.StatusOK)
			return
		}
		http.Error(w, `{"ready":false}`, http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	noEnv := func(string) string { return "" }
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	cases := []struct {
		args []string
		want int
	}{
		{[]string{port}, 0},
		{[]string{srv.URL + "/readyz"}, 0},
		{[]string{srv.URL + "/other"}, 1},
		{[]string{"http://127.0.0.1:1/readyz"}, 1}, // nothing listens on port 1
		{nil, 2},
	}
	for _, c := range cases {
		if got := run(c.args, noEnv, io.Discard); got != c.want {
			t.Errorf("run(%v) = %d, want %d", c.args, got, c.want)
		}
	}
}
