package identity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pitstop/pitstop/shared-go/auth"
	"github.com/pitstop/pitstop/shared-go/validation"
)

// attempt records a sign-in attempt as a failure of account and of addr before the
// credentials are checked, then counts the failures in the window (its own included):
// so concurrent attempts cannot all slip under the limit. Over a limit, the attempt's
// rows are removed again and *RateLimited returned; otherwise the caller checks the
// credentials and calls done with the outcome.
func (s *Store) attempt(ctx context.Context, account, addr string) (done func(ok bool), err error) {
	now := s.c.Now()
	s.purge(ctx, now)
	var accID, addrID int64
	err = s.pool.QueryRow(ctx, `WITH ins AS (
			INSERT INTO signin_failures (kind, key, at) VALUES ('account', $1, $3), ('address', $2, $3)
			RETURNING attempt_id, kind)
		SELECT (SELECT attempt_id FROM ins WHERE kind = 'account'), (SELECT attempt_id FROM ins WHERE kind = 'address')`,
		account, addr, now).Scan(&accID, &addrID)
	if err != nil {
		return nil, fmt.Errorf("record sign-in attempt: %w", err)
	}
	since := now.Add(-s.c.Window)
	var accN, addrN int
	var accOldest, addrOldest *time.Time
	err = s.pool.QueryRow(ctx, `SELECT
			count(*) FILTER (WHERE kind = 'account'), count(*) FILTER (WHERE kind = 'address'),
			min(at) FILTER (WHERE kind = 'account' AND attempt_id <> $4),
			min(at) FILTER (WHERE kind = 'address' AND attempt_id <> $5)
		FROM signin_failures WHERE at > $3 AND ((kind = 'account' AND key = $1) OR (kind = 'address' AND key = $2))`,
		account, addr, since, accID, addrID).Scan(&accN, &addrN, &accOldest, &addrOldest)
	if err != nil {
		return nil, fmt.Errorf("count failed sign-ins: %w", err)
	}
	remove := func(ids ...int64) {
		_, _ = s.pool.Exec(context.WithoutCancel(ctx), `DELETE FROM signin_failures WHERE attempt_id = ANY($1)`, ids)
	}
	if accN > s.c.AccountLimit || addrN > s.c.AddressLimit {
		remove(accID, addrID)
		retry := time.Second
		for _, o := range []struct {
			over   bool
			oldest *time.Time
		}{{accN > s.c.AccountLimit, accOldest}, {addrN > s.c.AddressLimit, addrOldest}} {
			if o.over && o.oldest != nil {
				if d := o.oldest.Add(s.c.Window).Sub(now); d > retry {
					retry = d
				}
			}
		}
		return nil, &RateLimited{RetryAfter: retry.Round(time.Second)}
	}
	return func(ok bool) {
		if !ok {
			return // the two rows stay: one more failure of each
		}
		// Success: the account's failures are forgiven; the address's earlier
		// failures stay (one good password must not reopen a guessing address).
		bg := context.WithoutCancel(ctx)
		_, _ = s.pool.Exec(bg, `DELETE FROM signin_failures WHERE (kind = 'account' AND key = $1) OR attempt_id = $2`,
			account, addrID)
	}, nil
}

// purge drops failures older than the window, at most once a minute.
func (s *Store) purge(ctx context.Context, now time.Time) {
	s.purgeMu.Lock()
	if now.Sub(s.lastPurge) < time.Minute {
		s.purgeMu.Unlock()
		return
	}
	s.lastPurge = now
	s.purgeMu.Unlock()
	_, _ = s.pool.Exec(ctx, `DELETE FROM signin_failures WHERE at <= $1`, now.Add(-s.c.Window))
	_, _ = s.pool.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1 OR last_seen <= $2`, now, now.Add(-s.c.IdleTimeout))
}

// AuthenticateStaff checks a user name and password from client address addr. It
// returns ErrBadCredentials for an unknown or disabled account or a wrong password
// (the same work is done in every case), *RateLimited when too many attempts of the
// account or the address failed in the window.
func (s *Store) AuthenticateStaff(ctx context.Context, userName, password, addr string) (Staff, error) {
	user := NormalizeName(userName)
	done, err := s.attempt(ctx, user, addr)
	if err != nil {
		return Staff{}, err
	}
	var hash string
	st, err := scanStaff(s.pool.QueryRow(ctx, `SELECT `+staffColumns+`, password_hash FROM staff WHERE user_name = $1`, user), &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		hash, err = s.dummyHash, nil
		st.Disabled = true
	}
	if err != nil {
		return Staff{}, fmt.Errorf("authenticate: %w", err)
	}
	ok, err := CheckPassword(password, hash)
	if err != nil {
		return Staff{}, fmt.Errorf("authenticate %s: %w", user, err)
	}
	ok = ok && !st.Disabled
	done(ok)
	if !ok {
		return Staff{}, ErrBadCredentials
	}
	return st, nil
}

// AuthenticateClient checks an API client's name and secret, as AuthenticateStaff
// does a password (the account key is "client:<name>").
func (s *Store) AuthenticateClient(ctx context.Context, name, secret, addr string) (Client, error) {
	name = NormalizeName(name)
	done, err := s.attempt(ctx, "client:"+name, addr)
	if err != nil {
		return Client{}, err
	}
	var (
		c    Client
		role string
		hash string
	)
	err = s.pool.QueryRow(ctx, `SELECT client_id, name, role, disabled, created_at, secret_hash FROM api_clients WHERE name = $1`,
		name).Scan(&c.ID, &c.Name, &role, &c.Disabled, &c.CreatedAt, &hash)
	c.Role = auth.Role(role)
	if errors.Is(err, pgx.ErrNoRows) {
		hash, err = s.dummyHash, nil
		c.Disabled = true
	}
	if err != nil {
		return Client{}, fmt.Errorf("authenticate client: %w", err)
	}
	ok, err := CheckPassword(secret, hash)
	if err != nil {
		return Client{}, fmt.Errorf("authenticate client %s: %w", name, err)
	}
	ok = ok && !c.Disabled
	done(ok)
	if !ok {
		return Client{}, ErrBadCredentials
	}
	return c, nil
}

// ChangePassword sets a new password after checking the current one (rate-limited as
// a sign-in), clears must-change, and ends the account's other sessions (keep is the
// id of the session to keep, "" for none). Field errors: current, password.
func (s *Store) ChangePassword(ctx context.Context, userName, current, newPassword, addr, keep string) error {
	st, err := s.AuthenticateStaff(ctx, userName, current, addr)
	if err != nil {
		return err
	}
	if err := newPasswordError(newPassword, current); err != nil {
		return err
	}
	hash, err := HashPassword(newPassword, s.c.Argon2)
	if err != nil {
		return err
	}
	keepHash := []byte{}
	if keep != "" {
		keepHash = hashID(keep)
	}
	_, err = s.pool.Exec(ctx, `WITH u AS (UPDATE staff SET password_hash = $2, must_change_password = false, updated_at = $3
			WHERE staff_id = $1)
		DELETE FROM sessions WHERE staff_id = $1 AND id_hash <> $4`, st.ID, hash, s.c.Now(), keepHash)
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	return nil
}

// newPasswordError checks a new password: its length, and that it differs from the
// current one.
func newPasswordError(pw, current string) error {
	v := &validation.Error{Of: ErrInvalid}
	CheckNewPassword(v, "password", pw)
	if pw == current {
		v.Add("password", "must differ from the current password")
	}
	return v.OrNil()
}
