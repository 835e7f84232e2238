package identity

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Session is a signed-in staff member's session.
type Session struct {
	// Key identifies the session in memory (the hex of its stored hash), never the
	// cookie's secret id.
	Key string
	// CSRF is the token every form posted in this session must carry.
	CSRF      string
	Staff     Staff
	CreatedAt time.Time
	ExpiresAt time.Time
}

// CreateSession starts a session of staff member id and returns the cookie's value
// (a random 256-bit id; only its hash is stored) and the session.
func (s *Store) CreateSession(ctx context.Context, staffID int64) (string, Session, error) {
	id := RandomSecret(32)
	now := s.c.Now()
	ses := Session{CSRF: RandomSecret(32), CreatedAt: now, ExpiresAt: now.Add(s.c.AbsoluteTimeout)}
	h := hashID(id)
	ses.Key = fmt.Sprintf("%x", h)
	st, err := scanStaff(s.pool.QueryRow(ctx, `WITH ins AS (INSERT INTO sessions (id_hash, staff_id, csrf_token,
			created_at, last_seen, expires_at) VALUES ($1, $2, $3, $4, $4, $5))
		SELECT `+staffColumns+` FROM staff WHERE staff_id = $2`, h, staffID, ses.CSRF, now, ses.ExpiresAt))
	if errors.Is(err, pgx.ErrNoRows) {
		return "", Session{}, ErrNotFound
	}
	if err != nil {
		return "", Session{}, fmt.Errorf("create session: %w", err)
	}
	ses.Staff = st
	return id, ses, nil
}

// qualifiedStaffColumns are staffColumns of the table staff, for joins.
var qualifiedStaffColumns = "staff." + strings.ReplaceAll(staffColumns, ", ", ", staff.")

// SessionKey is the in-memory key (Session.Key) of the session with cookie value id.
func SessionKey(id string) string { return fmt.Sprintf("%x", hashID(id)) }

// touchEvery is how stale last_seen may get before a request updates it.
const touchEvery = time.Minute

// Session returns the live session of cookie value id: not past its absolute
// expiry, used within the idle timeout, of an account that is not disabled;
// ErrNotFound otherwise.
func (s *Store) Session(ctx context.Context, id string) (Session, error) {
	if id == "" || len(id) > 100 {
		return Session{}, ErrNotFound
	}
	if _, err := base64.RawURLEncoding.DecodeString(id); err != nil {
		return Session{}, ErrNotFound
	}
	now := s.c.Now()
	h := hashID(id)
	var ses Session
	var lastSeen time.Time
	st, err := scanStaff(s.pool.QueryRow(ctx, `SELECT `+qualifiedStaffColumns+`, s.csrf_token, s.created_at, s.expires_at, s.last_seen
		FROM sessions s JOIN staff USING (staff_id)
		WHERE s.id_hash = $1 AND s.expires_at > $2 AND s.last_seen > $3 AND NOT staff.disabled`,
		h, now, now.Add(-s.c.IdleTimeout)), &ses.CSRF, &ses.CreatedAt, &ses.ExpiresAt, &lastSeen)
	if errors.Is(err, pgx.ErrNoRows) {
		return Session{}, ErrNotFound
	}
	if err != nil {
		return Session{}, fmt.Errorf("session: %w", err)
	}
	ses.Staff, ses.Key = st, fmt.Sprintf("%x", h)
	if now.Sub(lastSeen) >= touchEvery {
		if _, err := s.pool.Exec(ctx, `UPDATE sessions SET last_seen = $2 WHERE id_hash = $1`, h, now); err != nil {
			return Session{}, fmt.Errorf("session: %w", err)
		}
	}
	return ses, nil
}

// EndSession signs the session of cookie value id out (no error if it is gone).
func (s *Store) EndSession(ctx context.Context, id string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE id_hash = $1`, hashID(id)); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}
