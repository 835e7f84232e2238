package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Sender delivers one message; an error means "not delivered, retry later".
// Implementations must be safe for concurrent use.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// SMTPConfig says how to reach the mail server.
type SMTPConfig struct {
	// Host and Port of the server (Port defaults to 25, or 465 when TLS is set).
	Host string
	Port int
	// Username and Password, if Username is set, authenticate with SMTP AUTH PLAIN.
	// The credentials are only ever sent over TLS or to localhost; over any other
	// unencrypted connection sending fails instead.
	Username, Password string
	// TLS requires an encrypted connection: implicit TLS (SMTPS) on port 465,
	// mandatory STARTTLS on any other port. When false, STARTTLS is used if the server
	// offers it (opportunistic) and the mail is sent in clear otherwise. Certificates
	// are always verified against Host: a server that offers STARTTLS with a
	// certificate that does not verify makes every send fail (with that reason).
	TLS bool
	// Timeout bounds connecting and each SMTP command (default 30s).
	Timeout time.Duration
}

// String describes the configuration without the password (safe to log).
func (c SMTPConfig) String() string {
	u := url.URL{Scheme: "smtp", Host: net.JoinHostPort(c.Host, strconv.Itoa(c.port()))}
	if c.TLS {
		u.Scheme = "smtps"
	}
	if c.Username != "" {
		u.User = url.User(c.Username)
	}
	return u.String()
}

func (c SMTPConfig) port() int {
	switch {
	case c.Port != 0:
		return c.Port
	case c.TLS:
		return 465
	default:
		return 25
	}
}

// ParseSMTPURL parses smtp://[user:pass@]host[:port] (opportunistic STARTTLS, port 25
// by default) or smtps://[user:pass@]host[:port] (TLS required, port 465 by default).
// User and password are percent-decoded. The error never contains the password.
func ParseSMTPURL(rawURL string) (SMTPConfig, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// *url.Error would repeat the URL, password included.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return SMTPConfig{}, fmt.Errorf("invalid SMTP URL: %w", err)
	}
	var cfg SMTPConfig
	switch u.Scheme {
	case "smtp":
	case "smtps":
		cfg.TLS = true
	default:
		return SMTPConfig{}, fmt.Errorf("invalid SMTP URL: scheme %q, want smtp or smtps", u.Scheme)
	}
	if u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return SMTPConfig{}, errors.New("invalid SMTP URL: only smtp[s]://[user:pass@]host[:port] is supported")
	}
	cfg.Host = u.Hostname()
	if cfg.Host == "" {
		return SMTPConfig{}, errors.New("invalid SMTP URL: no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return SMTPConfig{}, fmt.Errorf("invalid SMTP URL: port %q", p)
		}
		cfg.Port = n
	}
	cfg.Port = cfg.port()
	if u.User != nil {
		cfg.Username = u.User.Username()
		cfg.Password, _ = u.User.Password()
	}
	return cfg, nil
}

// SMTPSender delivers messages to an SMTP server, one connection per message
// (github.com/wneessen/go-mail). It is safe for concurrent use.
type SMTPSender struct {
	cfg SMTPConfig
}

// NewSMTPSender returns a sender for the server cfg describes. The configuration is
// checked when sending (a bad one makes every Send fail with the reason).
func NewSMTPSender(cfg SMTPConfig) *SMTPSender {
	cfg.Port = cfg.port()
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	return &SMTPSender{cfg: cfg}
}

// Send delivers m: it connects, upgrades to TLS as configured, authenticates if a
// username is configured, and transmits m with the headers Message-ID: <m.ID>, Date
// (now), From, To, Subject, MIME-Version, and a multipart/alternative body when both
// Text and HTML are set. It returns nil once the server accepted the message (its
// reply to the end of DATA); cancelling ctx aborts the connection.
func (s *SMTPSender) Send(ctx context.Context, m Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	msg, err := compose(m, time.Now())
	if err != nil {
		return err
	}
	// Cancelling ctx closes the connection (see dialer); so does returning, which also
	// releases the hook.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	implicitTLS := s.cfg.TLS && s.cfg.Port == 465
	opts := []gomail.Option{
		gomail.WithPort(s.cfg.Port),
		gomail.WithTimeout(s.cfg.Timeout),
		gomail.WithDialContextFunc(s.dialer(ctx, implicitTLS)),
	}
	switch {
	case implicitTLS:
		opts = append(opts, gomail.WithSSL())
	case s.cfg.TLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if s.cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain),
			gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	client, err := gomail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return fmt.Errorf("smtp %s: %w", s.cfg, err)
	}
	conn, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return fmt.Errorf("smtp %s: connect: %w", s.cfg, errors.Join(ctx.Err(), err))
	}
	sendErr := client.SendWithSMTPClient(conn, msg)
	// The server took responsibility for the mail when it accepted DATA; a failing
	// QUIT afterwards must not turn that into a retry (a duplicate).
	_ = client.CloseWithSMTPClient(conn)
	if sendErr != nil {
		return fmt.Errorf("smtp %s: send %s: %w", s.cfg, m.ID, errors.Join(ctx.Err(), sendErr))
	}
	return nil
}

// dialer dials the server (with TLS for implicit TLS) and closes the connection when
// ctx is done, so that Send never outlives its context.
func (s *SMTPSender) dialer(ctx context.Context, implicitTLS bool) gomail.DialContextFunc {
	return func(dctx context.Context, network, addr string) (net.Conn, error) {
		d := &net.Dialer{Timeout: s.cfg.Timeout}
		var conn net.Conn
		var err error
		if implicitTLS {
			td := &tls.Dialer{NetDialer: d, Config: &tls.Config{ServerName: s.cfg.Host, MinVersion: tls.VersionTLS12}}
			conn, err = td.DialContext(dctx, network, addr)
		} else {
			conn, err = d.DialContext(dctx, network, addr)
		}
		if err != nil {
			return nil, err
		}
		// The connection is not wrapped: go-mail must see a *tls.Conn to know it is
		// encrypted.
		context.AfterFunc(ctx, func() { _ = conn.Close() })
		return conn, nil
	}
}

// compose builds the RFC 5322 message for m; SMTPSender and FileSender share it, so
// a mail looks the same whichever way it leaves.
func compose(m Message, date time.Time) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.From(m.From); err != nil {
		return nil, fmt.Errorf("%w: From: %v", ErrInvalidMessage, err)
	}
	if err := msg.To(m.To...); err != nil {
		return nil, fmt.Errorf("%w: To: %v", ErrInvalidMessage, err)
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(m.ID)
	msg.SetDateWithValue(date)
	switch {
	case m.Text != "" && m.HTML != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	case m.HTML != "":
		msg.SetBodyString(gomail.TypeTextHTML, m.HTML)
	default:
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	}
	return msg, nil
}
