package testutil

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// ReceivedMail is one message accepted by the test SMTP server.
type ReceivedMail struct {
	// From and To are the envelope sender and recipients (MAIL FROM, RCPT TO).
	From string
	To   []string
	// Data is the message exactly as received.
	Data []byte
	// Header is Data's header (nil if Data did not parse as a message).
	Header mail.Header
	// Subject is the decoded (RFC 2047) Subject header.
	Subject string
	// MessageID is the Message-ID header without its angle brackets.
	MessageID string
	// Body is every text/* part, transfer-decoded (quoted-printable, base64), with
	// CRLF line ends turned into "\n", in order, joined with "\n"; Text and HTML are
	// the text/plain and text/html parts alike. A single-part message's body ends
	// with the line break SMTP transmission requires even if the sender's did not.
	Body, Text, HTML string
	// Username is the user that authenticated (AUTH PLAIN), "" if none did.
	Username string
}

// SMTPServer is an in-process SMTP server (github.com/emersion/go-smtp) that keeps
// every message it accepts in memory. It accepts any sender, recipient and AUTH
// PLAIN credentials, without TLS. Stop and Start simulate an outage on the same
// port. It is safe for concurrent use.
type SMTPServer struct {
	t    testing.TB
	addr string

	mu   sync.Mutex
	srv  *smtp.Server
	lis  net.Listener
	msgs []ReceivedMail
}

// StartSMTP starts a test SMTP server on 127.0.0.1 and a random port; it is stopped
// when t ends.
func StartSMTP(t testing.TB) *SMTPServer {
	t.Helper()
	s := &SMTPServer{t: t, addr: "127.0.0.1:0"}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// Host is the server's host (127.0.0.1).
func (s *SMTPServer) Host() string {
	h, _, _ := net.SplitHostPort(s.address())
	return h
}

// Port is the server's port, the same across Stop and Start.
func (s *SMTPServer) Port() int {
	_, p, _ := net.SplitHostPort(s.address())
	n, _ := strconv.Atoi(p)
	return n
}

// URL is "smtp://127.0.0.1:<port>".
func (s *SMTPServer) URL() string { return "smtp://" + s.address() }

func (s *SMTPServer) address() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Messages returns a copy of the messages accepted so far, in arrival order.
func (s *SMTPServer) Messages() []ReceivedMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ReceivedMail, len(s.msgs))
	copy(out, s.msgs)
	for i := range out {
		out[i].To = append([]string(nil), out[i].To...)
		out[i].Data = bytes.Clone(out[i].Data)
	}
	return out
}

// Stop closes the listener and every open connection (the server is "down"). It is
// idempotent.
func (s *SMTPServer) Stop() {
	s.mu.Lock()
	srv, lis := s.srv, s.lis
	s.srv, s.lis = nil, nil
	s.mu.Unlock()
	if srv != nil {
		// Serve registers the listener with the server asynchronously; close it here
		// too, so that the port is closed when Stop returns.
		_ = lis.Close()
		_ = srv.Close()
	}
}

// Start listens again on the same port (a no-op while running). Messages received
// before the outage are kept.
func (s *SMTPServer) Start() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return
	}
	l, err := net.Listen("tcp", s.addr)
	if err != nil {
		s.t.Fatalf("test smtp server: listen on %s: %v", s.addr, err)
	}
	s.addr = l.Addr().String()
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &smtpSession{s: s}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.MaxMessageBytes = 32 << 20
	srv.ErrorLog = log.New(io.Discard, "", 0)
	s.srv, s.lis = srv, l
	go func() { _ = srv.Serve(l) }()
}

func (s *SMTPServer) add(m ReceivedMail) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
}

type smtpSession struct {
	s        *SMTPServer
	username string
	from     string
	to       []string
}

func (x *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (x *smtpSession) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(_, username, _ string) error {
		x.username = username
		return nil
	}), nil
}

func (x *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	x.from = from
	return nil
}

func (x *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}

func (x *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := ParseMail(data)
	m.From, m.To, m.Username = x.from, append([]string(nil), x.to...), x.username
	x.s.add(m)
	return nil
}

func (x *smtpSession) Reset() {
	x.from, x.to = "", nil
}

func (x *smtpSession) Logout() error { return nil }

// ParseMail parses a raw RFC 5322 message into a ReceivedMail (envelope fields
// empty). What does not parse is left empty; Data is always set.
func ParseMail(data []byte) ReceivedMail {
	m := ReceivedMail{Data: data}
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return m
	}
	m.Header = msg.Header
	dec := new(mime.WordDecoder)
	if subj, err := dec.DecodeHeader(msg.Header.Get("Subject")); err == nil {
		m.Subject = subj
	} else {
		m.Subject = msg.Header.Get("Subject")
	}
	m.MessageID = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(msg.Header.Get("Message-ID")), "<"), ">")
	var text, html, all []string
	_ = walkParts(msg.Header.Get, msg.Body, func(mediaType, content string) {
		switch mediaType {
		case "text/plain":
			text = append(text, content)
		case "text/html":
			html = append(html, content)
		}
		all = append(all, content)
	})
	m.Text, m.HTML, m.Body = strings.Join(text, "\n"), strings.Join(html, "\n"), strings.Join(all, "\n")
	return m
}

// walkParts calls fn with every text/* leaf of the entity, transfer-decoded, in order.
func walkParts(header func(string) string, body io.Reader, fn func(mediaType, content string)) error {
	ct := header("Content-Type")
	if ct == "" {
		ct = "text/plain"
	}
	mediaType, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Errorf("content type %q: %w", ct, err)
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			// NextRawPart: the transfer encoding is decoded below, for every part alike.
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := walkParts(p.Header.Get, p, fn); err != nil {
				return err
			}
		}
	}
	if !strings.HasPrefix(mediaType, "text/") {
		return nil
	}
	var r io.Reader = body
	switch strings.ToLower(strings.TrimSpace(header("Content-Transfer-Encoding"))) {
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, body) // ignores the line breaks
	}
	content, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	fn(mediaType, strings.ReplaceAll(string(content), "\r\n", "\n"))
	return nil
}
