package mail_test

import (
	"context"
	"errors"
	"mime"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	pitmail "github.com/pitstop/pitstop/shared-go/mail"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

func TestSMTPSenderAuthenticatesWhenAUsernameIsConfigured(t *testing.T) {
	t.Parallel()
	srv := testutil.StartSMTP(t)
	cfg, err := pitmail.ParseSMTPURL("smtp://pit%40stop:s3cr%2Ft@" + net.JoinHostPort(srv.Host(), strconv.Itoa(srv.Port())))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Username != "pit@stop" || cfg.Password != "s3cr/t" {
		t.Fatalf("credentials not percent-decoded: %q %q", cfg.Username, cfg.Password)
	}
	m := message("auth@pitstop.example")
	if err := pitmail.NewSMTPSender(cfg).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got, ok := find(srv, m.ID)
	if !ok || got.Username != "pit@stop" {
		t.Fatalf("received %v with user %q, want authenticated as pit@stop", ok, got.Username)
	}
	if strings.Contains(cfg.String(), "s3cr") {
		t.Errorf("SMTPConfig.String leaks the password: %s", cfg)
	}
}

func TestSMTPSenderFailsWhileTheServerIsDown(t *testing.T) {
	t.Parallel()
	srv := testutil.StartSMTP(t)
	srv.Stop()
	err := smtpSender(srv).Send(context.Background(), message("down@pitstop.example"))
	if err == nil {
		t.Fatal("Send succeeded with the server down")
	}
	srv.Start()
	if err := smtpSender(srv).Send(context.Background(), message("up@pitstop.example")); err != nil {
		t.Fatalf("Send after restart: %v", err)
	}
}

func TestSMTPSenderRequiresTLSWhenConfigured(t *testing.T) {
	t.Parallel()
	srv := testutil.StartSMTP(t) // offers no STARTTLS
	s := pitmail.NewSMTPSender(pitmail.SMTPConfig{Host: srv.Host(), Port: srv.Port(), TLS: true, Timeout: 5 * time.Second})
	if err := s.Send(context.Background(), message("tls@pitstop.example")); err == nil {
		t.Fatal("sent in clear although TLS was required")
	}
	if len(srv.Messages()) != 0 {
		t.Fatal("the server received the mail")
	}
}

func TestSMTPSenderStopsWithItsContext(t *testing.T) {
	t.Parallel()
	// A server that accepts the connection and never answers.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() })
		}
	}()
	addr := l.Addr().(*net.TCPAddr)
	s := pitmail.NewSMTPSender(pitmail.SMTPConfig{Host: "127.0.0.1", Port: addr.Port, Timeout: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := s.Send(ctx, message("hang@pitstop.example")); err == nil {
		t.Fatal("Send to a silent server succeeded")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Send took %v after its context ended", d)
	}
}

func TestParseSMTPURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		url  string
		want pitmail.SMTPConfig
	}{
		{"smtp://localhost:1025", pitmail.SMTPConfig{Host: "localhost", Port: 1025}},
		{"smtp://mail.example.com", pitmail.SMTPConfig{Host: "mail.example.com", Port: 25}},
		{"smtp://user:pa%3Ass@mail.example.com:587/", pitmail.SMTPConfig{Host: "mail.example.com", Port: 587, Username: "user", Password: "pa:ss"}},
		{"smtps://u:p@mail.example.com", pitmail.SMTPConfig{Host: "mail.example.com", Port: 465, Username: "u", Password: "p", TLS: true}},
		{"smtps://mail.example.com:587", pitmail.SMTPConfig{Host: "mail.example.com", Port: 587, TLS: true}},
		{"SMTP://[::1]:2525", pitmail.SMTPConfig{Host: "::1", Port: 2525}},
	} {
		got, err := pitmail.ParseSMTPURL(tc.url)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseSMTPURL(%q) = %+v, %v; want %+v", tc.url, got, err, tc.want)
		}
	}
	for _, bad := range []string{
		"", "localhost:25", "http://localhost", "smtp://", "smtp://:25", "smtp://host:0", "smtp://host:70000",
		"smtp://host:port", "smtp://host/path", "smtp://host?tls=1", "smtp://user:secret@host:bad%zz",
		"smtp://user:secret%zz@host",
	} {
		_, err := pitmail.ParseSMTPURL(bad)
		if err == nil {
			t.Errorf("ParseSMTPURL(%q) accepted", bad)
			continue
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("ParseSMTPURL(%q) error leaks the password: %v", bad, err)
		}
	}
}

func TestFileSenderWritesAParseableEML(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "mail") // created on first use
	s := pitmail.NewFileSender(dir)
	m := message("invoice.2024-000007@pitstop.example")
	m.Subject = "Invoice 2024-000007 – Müller"
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "invoice.2024-000007@pitstop.example.eml")
	if s.Path(m.ID) != path {
		t.Fatalf("Path = %s, want %s", s.Path(m.ID), path)
	}
	got := readEML(t, path)
	if got.MessageID != m.ID || got.Subject != m.Subject || got.HTML != m.HTML ||
		strings.TrimRight(got.Text, "\n") != strings.TrimRight(m.Text, "\n") {
		t.Errorf("eml = id %q subject %q text %q html %q", got.MessageID, got.Subject, got.Text, got.HTML)
	}
	if h := got.Header.Get("From"); !strings.Contains(h, "noreply@pitstop.example") {
		t.Errorf("From = %q", h)
	}
	if to, err := got.Header.AddressList("To"); err != nil || len(to) != 2 {
		t.Errorf("To = %v, %v", to, err)
	}
	if _, err := got.Header.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	if mt, _, _ := mime.ParseMediaType(got.Header.Get("Content-Type")); mt != "multipart/alternative" {
		t.Errorf("Content-Type = %q", got.Header.Get("Content-Type"))
	}
	if !strings.Contains(string(got.Data), "\r\n") {
		t.Error("lines do not end in CRLF")
	}

	// Idempotent: a retry keeps the first file and leaves no temporary files behind.
	before, _ := os.ReadFile(path)
	changed := m
	changed.Subject = "changed"
	if err := s.Send(context.Background(), changed); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Error("a second send of the same ID rewrote the file")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("dir holds %d entries, want 1: %v", len(entries), entries)
	}
}

func TestFileSenderNamesStayInsideTheDirectoryAndDistinct(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := pitmail.NewFileSender(dir)
	names := map[string]string{}
	for _, id := range []string{"a@b", "A@b", "a_b@c", "..@x", strings.Repeat("x", 240) + "@b", strings.Repeat("x", 240) + "@c"} {
		name := pitmail.FileName(id)
		if strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") || len(name) > 255 || !strings.HasSuffix(name, ".eml") {
			t.Errorf("FileName(%q) = %q", id, name)
		}
		if other, dup := names[name]; dup {
			t.Errorf("%q and %q share file %s", id, other, name)
		}
		names[name] = id
		if filepath.Dir(s.Path(id)) != dir {
			t.Errorf("Path(%q) = %s, outside %s", id, s.Path(id), dir)
		}
	}
	// Whatever the ID, Send never writes outside dir; invalid IDs are refused.
	if err := s.Send(context.Background(), message("../../etc/passwd")); !errors.Is(err, pitmail.ErrInvalidMessage) {
		t.Errorf("Send(path traversal id) = %v", err)
	}
	m := message("weird/%id@pitstop.example")
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.Path(m.ID)); err != nil || filepath.Dir(s.Path(m.ID)) != dir {
		t.Errorf("file for %q: %v", m.ID, err)
	}
}
