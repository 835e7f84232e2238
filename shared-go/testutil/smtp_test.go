package testutil_test

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/smtp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pitstop/pitstop/shared-go/testutil"
)

func addr(s *testutil.SMTPServer) string { return net.JoinHostPort(s.Host(), strconv.Itoa(s.Port())) }

const multipartMail = "From: Pitstop <noreply@pitstop.example>\r\n" +
	"To: customer@example.com\r\n" +
	"Subject: =?UTF-8?q?Gr=C3=B6=C3=9Fe?= reminder\r\n" +
	"Message-ID: <reminder.c1.2024-05-01@pitstop.example>\r\n" +
	"X-Custom: yes\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/alternative; boundary=BOUNDARY\r\n" +
	"\r\n" +
	"--BOUNDARY\r\n" +
	"Content-Type: text/plain; charset=UTF-8\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"caf=C3=A9 and a very long line that the encoder had to break with a soft=\r\n" +
	" line break\r\n" +
	"second line\r\n" +
	"--BOUNDARY\r\n" +
	"Content-Type: text/html; charset=UTF-8\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"PHA+PHNjcmlwdD5hbGVy\r\n" +
	"dCgxKTwvc2NyaXB0PjwvcD4=\r\n" +
	"--BOUNDARY--\r\n"

func TestSMTPServerCapturesAndDecodesMessages(t *testing.T) {
	t.Parallel()
	s := testutil.StartSMTP(t)
	if s.URL() != "smtp://"+addr(s) || s.Host() != "127.0.0.1" || s.Port() == 0 {
		t.Fatalf("URL %s, host %s, port %d", s.URL(), s.Host(), s.Port())
	}
	err := smtp.SendMail(addr(s), nil, "bounce@pitstop.example",
		[]string{"customer@example.com", "bcc@example.com"}, []byte(multipartMail))
	if err != nil {
		t.Fatal(err)
	}
	ms := s.Messages()
	if len(ms) != 1 {
		t.Fatalf("%d messages, want 1", len(ms))
	}
	m := ms[0]
	if m.From != "bounce@pitstop.example" || strings.Join(m.To, ",") != "customer@example.com,bcc@example.com" {
		t.Errorf("envelope = %q -> %q", m.From, m.To)
	}
	if m.Subject != "Größe reminder" {
		t.Errorf("Subject = %q", m.Subject)
	}
	if m.MessageID != "reminder.c1.2024-05-01@pitstop.example" {
		t.Errorf("MessageID = %q", m.MessageID)
	}
	if m.Header.Get("X-Custom") != "yes" {
		t.Errorf("header X-Custom = %q", m.Header.Get("X-Custom"))
	}
	wantText := "café and a very long line that the encoder had to break with a soft line break\nsecond line"
	if m.Text != wantText {
		t.Errorf("Text = %q, want %q", m.Text, wantText)
	}
	if m.HTML != "<p><script>alert(1)</script></p>" {
		t.Errorf("HTML = %q", m.HTML)
	}
	if m.Body != wantText+"\n"+m.HTML {
		t.Errorf("Body = %q", m.Body)
	}
	if !strings.Contains(string(m.Data), "X-Custom: yes") {
		t.Error("Data is not the raw message")
	}
	if m.Username != "" {
		t.Errorf("Username = %q without AUTH", m.Username)
	}
}

func TestParseMailSinglePartBase64(t *testing.T) {
	t.Parallel()
	raw := "Subject: plain\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		base64.StdEncoding.EncodeToString([]byte("hello\nworld")) + "\r\n"
	m := testutil.ParseMail([]byte(raw))
	if m.Text != "hello\nworld" || m.Body != m.Text || m.HTML != "" || m.Subject != "plain" {
		t.Errorf("parsed %+v", m)
	}
	if m := testutil.ParseMail([]byte("not a message")); m.Header != nil || string(m.Data) != "not a message" {
		t.Errorf("garbage parsed as %+v", m)
	}
}

func TestSMTPServerRecordsTheAuthenticatedUser(t *testing.T) {
	t.Parallel()
	s := testutil.StartSMTP(t)
	// net/smtp allows PLAIN without TLS to 127.0.0.1 only.
	auth := smtp.PlainAuth("", "pitstop", "secret", "127.0.0.1")
	if err := smtp.SendMail(addr(s), auth, "a@example.com", []string{"b@example.com"}, []byte("Subject: x\r\n\r\nbody\r\n")); err != nil {
		t.Fatal(err)
	}
	if ms := s.Messages(); len(ms) != 1 || ms[0].Username != "pitstop" {
		t.Fatalf("messages %+v", ms)
	}
}

func TestSMTPServerStopAndStartOnTheSamePort(t *testing.T) {
	t.Parallel()
	s := testutil.StartSMTP(t)
	send := func(id string) error {
		return smtp.SendMail(addr(s), nil, "a@example.com", []string{"b@example.com"},
			[]byte("Message-ID: <"+id+">\r\nSubject: x\r\n\r\nbody\r\n"))
	}
	if err := send("one@x"); err != nil {
		t.Fatal(err)
	}
	port := s.Port()
	s.Stop()
	s.Stop() // idempotent
	if c, err := net.DialTimeout("tcp", addr(s), time.Second); err == nil {
		_ = c.Close()
		t.Fatal("the server still accepts connections after Stop")
	}
	if err := send("lost@x"); err == nil {
		t.Fatal("sent while stopped")
	}
	s.Start()
	s.Start() // no-op while running
	if s.Port() != port {
		t.Fatalf("port changed from %d to %d", port, s.Port())
	}
	if err := send("two@x"); err != nil {
		t.Fatal(err)
	}
	ms := s.Messages()
	if len(ms) != 2 || ms[0].MessageID != "one@x" || ms[1].MessageID != "two@x" {
		t.Fatalf("messages after restart: %+v", ms)
	}
	// Messages returns a copy.
	ms[0].MessageID, ms[0].To[0] = "changed", "changed"
	if again := s.Messages(); again[0].MessageID != "one@x" || again[0].To[0] != "b@example.com" {
		t.Error("Messages exposes the server's own slice")
	}
}

func TestSMTPServerIsSafeForConcurrentClients(t *testing.T) {
	t.Parallel()
	s := testutil.StartSMTP(t)
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- smtp.SendMail(addr(s), nil, "a@example.com", []string{"b@example.com"},
				[]byte(fmt.Sprintf("Message-ID: <%d@x>\r\nSubject: %d\r\n\r\nbody\r\n", i, i)))
			_ = s.Messages()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for _, m := range s.Messages() {
		seen[m.MessageID] = true
	}
	if len(seen) != n {
		t.Fatalf("%d distinct messages, want %d", len(seen), n)
	}
}
