// Package identity keeps the web app's staff accounts, API clients, sessions and failed
// sign-ins in Postgres (schema "webapp"): passwords and client secrets are stored as
// argon2id hashes, session ids as SHA-256 hashes; wrong passwords are rate-limited per
// account and per client address.
package identity

import (
	"context"
	"crypto/sha256"
	"embed"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pitstop/pitstop/shared-go/auth"
	"github.com/pitstop/pitstop/shared-go/postgres"
	"github.com/pitstop/pitstop/shared-go/validation"
)

// Schema is the web app's Postgres schema; the pool given to Open must use it as its
// search_path (postgres.Connect(ctx, url, Schema)).
const Schema = "webapp"

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate brings the schema up to date.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return postgres.Migrate(ctx, pool, Schema, "webapp", postgres.MigrationsDir(migrations))
}

// Errors.
var (
	// ErrBadCredentials: unknown account, wrong password or secret, or a disabled
	// account; deliberately one error, so that an answer does not reveal which.
	ErrBadCredentials = errors.New("wrong user name or password")
	// ErrNotFound: no such account, client or (live) session.
	ErrNotFound = errors.New("not found")
	// ErrExists: the user or client name is taken.
	ErrExists = errors.New("already exists")
	// ErrInvalid wraps the field errors of a rejected account, client or password.
	ErrInvalid = errors.New("invalid")
)

// RateLimited is returned instead of checking a password when too many attempts
// failed recently.
type RateLimited struct{ RetryAfter time.Duration }

func (e *RateLimited) Error() string {
	return fmt.Sprintf("too many failed sign-ins: try again in %s", e.RetryAfter.Round(time.Second))
}

// Config tunes a Store; zero values take the defaults.
type Config struct {
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Argon2 are the cost parameters of new hashes (default DefaultArgon2).
	Argon2 Argon2Params
	// IdleTimeout ends a session not used for this long (default 2h); AbsoluteTimeout
	// ends every session this long after sign-in (default 12h).
	IdleTimeout, AbsoluteTimeout time.Duration
	// Window is the period over which failures count (default 15m); AccountLimit and
	// AddressLimit are the failures allowed per account and per address in it
	// (default 5 and 20).
	Window                     time.Duration
	AccountLimit, AddressLimit int
}

// Store is the identity store. It is safe for concurrent use.
type Store struct {
	pool      *pgxpool.Pool
	c         Config
	dummyHash string

	purgeMu   sync.Mutex
	lastPurge time.Time
}

// Open migrates the schema and returns the store.
func Open(ctx context.Context, pool *pgxpool.Pool, c Config) (*Store, error) {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Argon2 == (Argon2Params{}) {
		c.Argon2 = DefaultArgon2
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 2 * time.Hour
	}
	if c.AbsoluteTimeout <= 0 {
		c.AbsoluteTimeout = 12 * time.Hour
	}
	if c.Window <= 0 {
		c.Window = 15 * time.Minute
	}
	if c.AccountLimit <= 0 {
		c.AccountLimit = 5
	}
	if c.AddressLimit <= 0 {
		c.AddressLimit = 20
	}
	if err := Migrate(ctx, pool); err != nil {
		return nil, err
	}
	dummy, err := HashPassword(RandomSecret(16), c.Argon2)
	if err != nil {
		return nil, err
	}
	return &Store{pool: pool, c: c, dummyHash: dummy}, nil
}

// Config is the store's configuration, defaults filled in.
func (s *Store) Config() Config { return s.c }

// Staff is a staff account.
type Staff struct {
	ID                 int64
	UserName           string
	DisplayName        string
	Role               auth.Role
	Disabled           bool
	MustChangePassword bool
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// Principal is who the staff member's requests act as.
func (st Staff) Principal() auth.Principal {
	return auth.Principal{Subject: st.UserName, Name: st.DisplayName, Kind: auth.KindStaff, Roles: []auth.Role{st.Role}}
}

// Client is an API client.
type Client struct {
	ID        int64
	Name      string
	Role      auth.Role
	Disabled  bool
	CreatedAt time.Time
}

// Principal is who the client's requests act as: subject "client:<name>".
func (c Client) Principal() auth.Principal {
	return auth.Principal{Subject: "client:" + c.Name, Name: c.Name, Kind: auth.KindClient, Roles: []auth.Role{c.Role}}
}

// Password length bounds (characters).
const (
	MinPassword = 10
	MaxPassword = 256
)

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,63}$`)

// NormalizeName is the stored form of a user or client name: trimmed, lower-case.
func NormalizeName(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func checkName(v *validation.Error, field, name string) {
	if !namePattern.MatchString(name) {
		v.Add(field, "must be 2 to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
}

// CheckNewPassword adds a field error for a password that is too short or too long.
func CheckNewPassword(v *validation.Error, field, pw string) {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinPassword:
		v.Add(field, fmt.Sprintf("must be at least %d characters", MinPassword))
	case n > MaxPassword:
		v.Add(field, fmt.Sprintf("must be at most %d characters", MaxPassword))
	}
}

// NewStaff is an account to add.
type NewStaff struct {
	UserName, DisplayName, Role, Password string
	// MustChangePassword makes the first sign-in ask for a new password.
	MustChangePassword bool
}

// AddStaff creates a staff account; a *validation.Error (wrapping ErrInvalid) lists
// the bad fields userName, displayName, role, password; ErrExists: the name is taken.
func (s *Store) AddStaff(ctx context.Context, n NewStaff) (Staff, error) {
	v := &validation.Error{Of: ErrInvalid}
	user := NormalizeName(n.UserName)
	checkName(v, "userName", user)
	name := strings.TrimSpace(n.DisplayName)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		v.Add("displayName", "must be 1 to 100 characters")
	}
	role, err := auth.ParseRole(n.Role)
	if err != nil {
		v.Add("role", "must be one of frontdesk, planner, mechanic, administrator")
	}
	CheckNewPassword(v, "password", n.Password)
	if err := v.OrNil(); err != nil {
		return Staff{}, err
	}
	hash, err := HashPassword(n.Password, s.c.Argon2)
	if err != nil {
		return Staff{}, err
	}
	now := s.c.Now()
	st := Staff{UserName: user, DisplayName: name, Role: role, MustChangePassword: n.MustChangePassword,
		CreatedAt: now, UpdatedAt: now}
	err = s.pool.QueryRow(ctx, `INSERT INTO staff (user_name, display_name, role, password_hash,
		must_change_password, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING staff_id`,
		user, name, string(role), hash, n.MustChangePassword, now).Scan(&st.ID)
	if postgres.IsUniqueViolation(err) {
		return Staff{}, fmt.Errorf("user %q: %w", user, ErrExists)
	}
	if err != nil {
		return Staff{}, fmt.Errorf("add staff: %w", err)
	}
	return st, nil
}

const staffColumns = `staff_id, user_name, display_name, role, disabled, must_change_password, created_at, updated_at`

func scanStaff(row pgx.Row, extra ...any) (Staff, error) {
	var st Staff
	var role string
	err := row.Scan(append([]any{&st.ID, &st.UserName, &st.DisplayName, &role, &st.Disabled,
		&st.MustChangePassword, &st.CreatedAt, &st.UpdatedAt}, extra...)...)
	st.Role = auth.Role(role)
	return st, err
}

// ListStaff lists every account by user name.
func (s *Store) ListStaff(ctx context.Context) ([]Staff, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+staffColumns+` FROM staff ORDER BY user_name`)
	if err != nil {
		return nil, fmt.Errorf("list staff: %w", err)
	}
	defer rows.Close()
	var out []Staff
	for rows.Next() {
		st, err := scanStaff(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// SetStaffDisabled disables or enables an account; disabling ends its sessions at once.
func (s *Store) SetStaffDisabled(ctx context.Context, id int64, disabled bool) error {
	return postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE staff SET disabled = $2, updated_at = $3 WHERE staff_id = $1`,
			id, disabled, s.c.Now())
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		if disabled {
			_, err = tx.Exec(ctx, `DELETE FROM sessions WHERE staff_id = $1`, id)
		}
		return err
	})
}

// AddClient creates an API client and returns its secret, which is stored only as a
// hash: show it once. Field errors: name, role.
func (s *Store) AddClient(ctx context.Context, name, role string) (Client, string, error) {
	v := &validation.Error{Of: ErrInvalid}
	name = NormalizeName(name)
	checkName(v, "name", name)
	r, err := auth.ParseRole(role)
	if err != nil {
		v.Add("role", "must be one of frontdesk, planner, mechanic, administrator")
	}
	if err := v.OrNil(); err != nil {
		return Client{}, "", err
	}
	secret := RandomSecret(32)
	hash, err := HashPassword(secret, s.c.Argon2)
	if err != nil {
		return Client{}, "", err
	}
	c := Client{Name: name, Role: r, CreatedAt: s.c.Now()}
	err = s.pool.QueryRow(ctx, `INSERT INTO api_clients (name, role, secret_hash, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $4) RETURNING client_id`, name, string(r), hash, c.CreatedAt).Scan(&c.ID)
	if postgres.IsUniqueViolation(err) {
		return Client{}, "", fmt.Errorf("client %q: %w", name, ErrExists)
	}
	if err != nil {
		return Client{}, "", fmt.Errorf("add client: %w", err)
	}
	return c, secret, nil
}

// ListClients lists every API client by name.
func (s *Store) ListClients(ctx context.Context) ([]Client, error) {
	rows, err := s.pool.Query(ctx, `SELECT client_id, name, role, disabled, created_at FROM api_clients ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list clients: %w", err)
	}
	defer rows.Close()
	var out []Client
	for rows.Next() {
		var c Client
		var role string
		if err := rows.Scan(&c.ID, &c.Name, &role, &c.Disabled, &c.CreatedAt); err != nil {
			return nil, err
		}
		c.Role = auth.Role(role)
		out = append(out, c)
	}
	return out, rows.Err()
}

// SetClientDisabled disables or enables an API client (its tokens already issued run
// out within their short lifetime).
func (s *Store) SetClientDisabled(ctx context.Context, id int64, disabled bool) error {
	tag, err := s.pool.Exec(ctx, `UPDATE api_clients SET disabled = $2, updated_at = $3 WHERE client_id = $1`,
		id, disabled, s.c.Now())
	if err != nil {
		return fmt.Errorf("set client disabled: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

// Bootstrap makes sure an administrator exists. When none does, it creates user
// "admin" with password, or, when password is "", with a random one-time password
// that must be changed at the first sign-in, and returns a notice telling how to sign
// in (to be logged and printed); otherwise it returns "".
func (s *Store) Bootstrap(ctx context.Context, password string) (string, error) {
	notice := ""
	err := postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('pitstop-webapp-bootstrap'))`); err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM staff WHERE role = 'administrator')`).Scan(&exists); err != nil {
			return err
		}
		if exists {
			return nil
		}
		mustChange := false
		if password == "" {
			password, mustChange = RandomSecret(12), true
		} else {
			v := &validation.Error{Of: ErrInvalid}
			CheckNewPassword(v, "PITSTOP_ADMIN_PASSWORD", password)
			if err := v.OrNil(); err != nil {
				return err
			}
		}
		hash, err := HashPassword(password, s.c.Argon2)
		if err != nil {
			return err
		}
		now := s.c.Now()
		if _, err := tx.Exec(ctx, `INSERT INTO staff (user_name, display_name, role, password_hash,
			must_change_password, created_at, updated_at) VALUES ('admin', 'Administrator', 'administrator', $1, $2, $3, $3)`,
			hash, mustChange, now); err != nil {
			if postgres.IsUniqueViolation(err) {
				return errors.New(`no administrator exists and the user name "admin" is taken: make an account administrator in the webapp.staff table`)
			}
			return err
		}
		if mustChange {
			notice = fmt.Sprintf("No administrator existed: created user \"admin\" with the one-time password %s "+
				"— sign in at /signin as admin with it and choose a new password (set PITSTOP_ADMIN_PASSWORD to choose it yourself)", password)
		} else {
			notice = "No administrator existed: created user \"admin\" with the password from PITSTOP_ADMIN_PASSWORD — sign in at /signin as admin"
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("create the first administrator: %w", err)
	}
	return notice, nil
}

// hashID is the stored form of a session id.
func hashID(id string) []byte {
	h := sha256.Sum256([]byte(id))
	return h[:]
}
