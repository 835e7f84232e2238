package config_test

import (
	"os"
	"strings"
	"testing"

	"github.com/pitstop/pitstop/shared-go/config"
)

func TestTimeZoneLocation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		wantErr string // "" when the zone resolves
	}{
		{name: "Europe/Amsterdam"},
		{name: "UTC"},
		{name: "", wantErr: "empty"},
		{name: "Mars/Olympus_Mons", wantErr: `TIMEKEEPER_TIME_ZONE="Mars/Olympus_Mons"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			loc, err := config.TimeZone{Name: tt.name}.Location()
			if tt.wantErr == "" {
				if err != nil || loc.String() != tt.name {
					t.Fatalf("Location() = %v, %v; want %s", loc, err, tt.name)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Location() error = %v, want one mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestLoadServiceDefaultsAndOverrides(t *testing.T) {
	// Not parallel: it sets the environment.
	for _, k := range []string{"SMTP_URL", "MAIL_DIR", "TIMEKEEPER_TIME_ZONE", "HTTP_ADDR", "RELAY_SOURCE"} {
		t.Setenv(k, "")
	}
	cfg, err := config.Load(config.Service{})
	if err != nil {
		t.Fatal(err)
	}
	// An empty variable counts as unset for caarlos0/env, so these are the defaults.
	if cfg.TimeZone.Name != config.DefaultTimeZone || cfg.Mail.MailDir != ".pitstop-data/mail" || cfg.Mail.SMTPURL != "" ||
		cfg.HTTP.Addr != "" || cfg.Relay.Source != "auto" {
		t.Fatalf("defaults: %+v", cfg)
	}
	t.Setenv("TIMEKEEPER_TIME_ZONE", "Asia/Tokyo")
	t.Setenv("MAIL_DIR", "/var/mail/pitstop")
	if cfg, err = config.Load(config.Service{}); err != nil {
		t.Fatal(err)
	}
	if cfg.TimeZone.Name != "Asia/Tokyo" || cfg.Mail.MailDir != "/var/mail/pitstop" {
		t.Fatalf("overrides: %+v", cfg)
	}
	t.Setenv("HTTP_READ_TIMEOUT", "soon")
	if _, err := config.Load(config.Service{}); err == nil {
		t.Fatal("HTTP_READ_TIMEOUT=soon parsed")
	}
}

// NATS_URL may list a cluster's servers (passed to nats.Connect as is) and
// NATS_STREAM_REPLICAS sets the stream's replica count, 1 unless said.
func TestNATSClusterSettings(t *testing.T) {
	t.Setenv("NATS_STREAM_REPLICAS", "") // restored when the test ends
	if err := os.Unsetenv("NATS_STREAM_REPLICAS"); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(config.Service{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.NATS.StreamReplicas != 1 {
		t.Fatalf("default StreamReplicas = %d, want 1", cfg.NATS.StreamReplicas)
	}
	urls := "nats://nats-0:4222,nats://nats-1:4222,nats://nats-2:4222"
	t.Setenv("NATS_URL", urls)
	t.Setenv("NATS_STREAM_REPLICAS", "3")
	cfg, err = config.Load(config.Service{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.NATS.URL != urls || cfg.NATS.StreamReplicas != 3 {
		t.Fatalf("NATS = %+v", cfg.NATS)
	}
	t.Setenv("NATS_STREAM_REPLICAS", "three")
	if _, err := config.Load(config.Service{}); err == nil {
		t.Fatalf("a replica count that does not parse: err = %v", err)
	}
}
