package identity_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pitstop/pitstop/shared-go/auth"
	"github.com/pitstop/pitstop/shared-go/testutil"
	"github.com/pitstop/pitstop/webapp/internal/identity"
)

// fast are cheap argon2id parameters for tests.
var fast = identity.Argon2Params{Memory: 1024, Time: 1, Threads: 1}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func open(t *testing.T) (*identity.Store, *clock) {
	t.Helper()
	pool := testutil.Pool(t, testutil.Database(t), identity.Schema)
	c := &clock{t: time.Date(2030, 5, 6, 9, 0, 0, 0, time.UTC)}
	s, err := identity.Open(context.Background(), pool, identity.Config{Now: c.Now, Argon2: fast})
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func TestPasswordHashRoundTrip(t *testing.T) {
	t.Parallel()
	h, err := identity.HashPassword("correct horse battery", identity.DefaultArgon2)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q does not record its parameters", h)
	}
	if ok, err := identity.CheckPassword("correct horse battery", h); err != nil || !ok {
		t.Fatalf("right password: %v %v", ok, err)
	}
	if ok, err := identity.CheckPassword("correct horse batterz", h); err != nil || ok {
		t.Fatalf("wrong password accepted: %v %v", ok, err)
	}
	h2, _ := identity.HashPassword("correct horse battery", identity.DefaultArgon2)
	if h2 == h {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=1,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=99999999,t=1,p=1$AAAA$AAAA", "plain"} {
		if _, err := identity.CheckPassword("x", bad); !errors.Is(err, identity.ErrMalformedHash) {
			t.Errorf("hash %q: %v, want ErrMalformedHash", bad, err)
		}
	}
}

func TestSignInAndRateLimits(t *testing.T) {
	t.Parallel()
	s, c := open(t)
	ctx := context.Background()
	if _, err := s.AddStaff(ctx, identity.NewStaff{UserName: "Fred", DisplayName: "Fred", Role: "frontdesk", Password: "fred's password"}); err != nil {
		t.Fatal(err)
	}
	if st, err := s.AuthenticateStaff(ctx, " fred ", "fred's password", "10.0.0.1"); err != nil || st.Role != auth.FrontDesk {
		t.Fatalf("sign in: %+v %v", st, err)
	}
	for i := range 5 {
		if _, err := s.AuthenticateStaff(ctx, "fred", "wrong", "10.0.0.1"); !errors.Is(err, identity.ErrBadCredentials) {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	// The sixth attempt is refused even with the right password, and says when to retry.
	_, err := s.AuthenticateStaff(ctx, "fred", "fred's password", "10.0.0.2")
	var rl *identity.RateLimited
	if !errors.As(err, &rl) || rl.RetryAfter <= 0 || rl.RetryAfter > 15*time.Minute {
		t.Fatalf("sixth attempt: %v, want RateLimited", err)
	}
	// An unknown account is limited the same way (nothing tells it apart).
	for range 5 {
		if _, err := s.AuthenticateStaff(ctx, "nobody", "x", "10.0.0.3"); !errors.Is(err, identity.ErrBadCredentials) {
			t.Fatal(err)
		}
	}
	if _, err := s.AuthenticateStaff(ctx, "nobody", "x", "10.0.0.3"); !errors.As(err, &rl) {
		t.Fatalf("unknown account: %v, want RateLimited", err)
	}
	// After the window, fred may sign in again.
	c.Add(15*time.Minute + time.Second)
	if _, err := s.AuthenticateStaff(ctx, "fred", "fred's password", "10.0.0.1"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

func TestAddressLimitSpansAccountsAndSurvivesASuccess(t *testing.T) {
	t.Parallel()
	s, _ := open(t)
	ctx := context.Background()
	if _, err := s.AddStaff(ctx, identity.NewStaff{UserName: "fred", DisplayName: "Fred", Role: "frontdesk", Password: "fred's password"}); err != nil {
		t.Fatal(err)
	}
	for i := range 19 {
		if _, err := s.AuthenticateStaff(ctx, "guess"+string(rune('a'+i)), "x", "10.9.9.9"); !errors.Is(err, identity.ErrBadCredentials) {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	if _, err := s.AuthenticateStaff(ctx, "fred", "fred's password", "10.9.9.9"); err != nil {
		t.Fatalf("success from the address: %v", err)
	}
	if _, err := s.AuthenticateStaff(ctx, "other", "x", "10.9.9.9"); !errors.Is(err, identity.ErrBadCredentials) {
		t.Fatalf("20th failure: %v", err)
	}
	var rl *identity.RateLimited
	if _, err := s.AuthenticateStaff(ctx, "fred", "fred's password", "10.9.9.9"); !errors.As(err, &rl) {
		t.Fatalf("21st attempt from the address: %v, want RateLimited", err)
	}
	if _, err := s.AuthenticateStaff(ctx, "fred", "fred's password", "10.1.1.1"); err != nil {
		t.Fatalf("another address: %v", err)
	}
}

func TestConcurrentGuessesCannotExceedTheAccountLimit(t *testing.T) {
	t.Parallel()
	s, _ := open(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	checked := 0
	for range 20 {
		wg.Go(func() {
			_, err := s.AuthenticateStaff(ctx, "victim", "guess", "10.0.0.7")
			if errors.Is(err, identity.ErrBadCredentials) {
				mu.Lock()
				checked++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if checked > 5 {
		t.Fatalf("%d concurrent guesses were checked, want at most 5", checked)
	}
}

func TestSessionsAndDisabling(t *testing.T) {
	t.Parallel()
	s, c := open(t)
	ctx := context.Background()
	st, err := s.AddStaff(ctx, identity.NewStaff{UserName: "pia", DisplayName: "Pia", Role: "planner", Password: "pia's password"})
	if err != nil {
		t.Fatal(err)
	}
	id, ses, err := s.CreateSession(ctx, st.ID)
	if err != nil || ses.CSRF == "" || len(id) < 43 {
		t.Fatalf("session %q %+v %v", id, ses, err)
	}
	got, err := s.Session(ctx, id)
	if err != nil || got.Staff.UserName != "pia" || got.CSRF != ses.CSRF {
		t.Fatalf("session: %+v %v", got, err)
	}
	if _, err := s.Session(ctx, id+"x"); !errors.Is(err, identity.ErrNotFound) {
		t.Fatalf("wrong id: %v", err)
	}
	// Idle timeout: 2h without use ends it; use within it keeps it.
	c.Add(time.Hour)
	if _, err := s.Session(ctx, id); err != nil {
		t.Fatal(err)
	}
	c.Add(2*time.Hour - time.Second)
	if _, err := s.Session(ctx, id); err != nil {
		t.Fatalf("used an hour ago: %v", err)
	}
	c.Add(2 * time.Hour)
	if _, err := s.Session(ctx, id); !errors.Is(err, identity.ErrNotFound) {
		t.Fatalf("idle for 2h: %v", err)
	}
	// Disabling ends the sessions and refuses the password.
	id2, _, err := s.CreateSession(ctx, st.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetStaffDisabled(ctx, st.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, id2); !errors.Is(err, identity.ErrNotFound) {
		t.Fatalf("session of a disabled account: %v", err)
	}
	if _, err := s.AuthenticateStaff(ctx, "pia", "pia's password", "10.0.0.1"); !errors.Is(err, identity.ErrBadCredentials) {
		t.Fatalf("disabled account signed in: %v", err)
	}
	if err := s.SetStaffDisabled(ctx, st.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, id2); !errors.Is(err, identity.ErrNotFound) {
		t.Fatal("enabling brought an ended session back")
	}
	if _, err := s.AuthenticateStaff(ctx, "pia", "pia's password", "10.0.0.1"); err != nil {
		t.Fatalf("enabled again: %v", err)
	}
}

func TestAbsoluteTimeoutAndSignOut(t *testing.T) {
	t.Parallel()
	s, c := open(t)
	ctx := context.Background()
	st, err := s.AddStaff(ctx, identity.NewStaff{UserName: "mo", DisplayName: "Mo", Role: "mechanic", Password: "mo's password"})
	if err != nil {
		t.Fatal(err)
	}
	id, _, _ := s.CreateSession(ctx, st.ID)
	for range 13 {
		c.Add(time.Hour)
		_, _ = s.Session(ctx, id)
	}
	if _, err := s.Session(ctx, id); !errors.Is(err, identity.ErrNotFound) {
		t.Fatalf("after 13h of use: %v", err)
	}
	id, _, _ = s.CreateSession(ctx, st.ID)
	if err := s.EndSession(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, id); !errors.Is(err, identity.ErrNotFound) {
		t.Fatalf("after sign-out: %v", err)
	}
}

func TestBootstrapCreatesOneAdministrator(t *testing.T) {
	t.Parallel()
	s, _ := open(t)
	ctx := context.Background()
	notice, err := s.Bootstrap(ctx, "")
	if err != nil || !strings.Contains(notice, "one-time password") {
		t.Fatalf("notice %q %v", notice, err)
	}
	pw := strings.Fields(strings.SplitAfter(notice, "one-time password ")[1])[0]
	st, err := s.AuthenticateStaff(ctx, "admin", pw, "10.0.0.1")
	if err != nil || st.Role != auth.Administrator || !st.MustChangePassword {
		t.Fatalf("admin: %+v %v", st, err)
	}
	if n, err := s.Bootstrap(ctx, ""); err != nil || n != "" {
		t.Fatalf("second start: %q %v", n, err)
	}
	if err := s.ChangePassword(ctx, "admin", pw, "short", "10.0.0.1", ""); !errors.Is(err, identity.ErrInvalid) {
		t.Fatalf("short password: %v", err)
	}
	if err := s.ChangePassword(ctx, "admin", pw, "a much better password", "10.0.0.1", ""); err != nil {
		t.Fatal(err)
	}
	if st, err := s.AuthenticateStaff(ctx, "admin", "a much better password", "10.0.0.1"); err != nil || st.MustChangePassword {
		t.Fatalf("after change: %+v %v", st, err)
	}
}

func TestClients(t *testing.T) {
	t.Parallel()
	s, _ := open(t)
	ctx := context.Background()
	c, secret, err := s.AddClient(ctx, "Dealer-Portal", "frontdesk")
	if err != nil || c.Name != "dealer-portal" || len(secret) < 40 {
		t.Fatalf("%+v %q %v", c, secret, err)
	}
	if _, _, err := s.AddClient(ctx, "dealer-portal", "planner"); !errors.Is(err, identity.ErrExists) {
		t.Fatalf("duplicate: %v", err)
	}
	got, err := s.AuthenticateClient(ctx, "dealer-portal", secret, "10.0.0.1")
	if err != nil || got.Principal().Subject != "client:dealer-portal" {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := s.AuthenticateClient(ctx, "dealer-portal", secret+"x", "10.0.0.1"); !errors.Is(err, identity.ErrBadCredentials) {
		t.Fatal(err)
	}
	if err := s.SetClientDisabled(ctx, c.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AuthenticateClient(ctx, "dealer-portal", secret, "10.0.0.1"); !errors.Is(err, identity.ErrBadCredentials) {
		t.Fatalf("disabled client: %v", err)
	}
}
