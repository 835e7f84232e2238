package k8stest

import (
	"crypto/ed25519"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/pitstop/pitstop/shared-go/auth"
)

// TestDevPostgresDecodesItsLog: the dev Postgres runs with wal_level=logical and room
// for a replication slot and WAL sender per relay (ADR 0006), and MailDev catches the
// mail the contexts send.
func TestDevPostgresDecodesItsLog(t *testing.T) {
	t.Parallel()
	m := build(t, "dev")
	bins := binaries(t)
	relays := 0
	for _, b := range bins {
		if b.relay {
			relays++
		}
	}
	var args []string
	for _, s := range m.statefulSets {
		if s.Name == "postgres" {
			args = append(args, s.Spec.Template.Spec.Containers[0].Command...)
			args = append(args, s.Spec.Template.Spec.Containers[0].Args...)
		}
	}
	if !slices.Contains(args, "wal_level=logical") {
		t.Errorf("dev postgres arguments %v: no wal_level=logical", args)
	}
	for _, setting := range []string{"max_replication_slots", "max_wal_senders"} {
		n := 0
		for _, a := range args {
			if v, ok := strings.CutPrefix(a, setting+"="); ok {
				for _, ch := range v {
					n = n*10 + int(ch-'0')
				}
			}
		}
		if n < 2*relays {
			t.Errorf("dev postgres %s=%d, want at least %d (two per relay)", setting, n, 2*relays)
		}
	}
	if _, ok := m.services["maildev"]; !ok {
		t.Error("dev has no maildev Service")
	}
	env, _ := m.env(findContainer(t, m, "notifications"))
	if env["SMTP_URL"] != "smtp://maildev:1025" {
		t.Errorf("dev notifications SMTP_URL=%q, want smtp://maildev:1025", env["SMTP_URL"])
	}
}

// TestProductionHasNoDevInfrastructure: no MailDev and no in-cluster Postgres in
// production; its Secrets come from the overlay's env files.
func TestProductionHasNoDevInfrastructure(t *testing.T) {
	t.Parallel()
	m := build(t, "production")
	for _, w := range m.workloads() {
		for _, c := range allContainers(w.template.Spec) {
			if strings.Contains(c.Image, "maildev") || strings.HasPrefix(c.Image, "postgres:") {
				t.Errorf("production runs %s (%s %s)", c.Image, w.kind, w.name)
			}
		}
	}
	for _, s := range []string{"pitstop-database", "pitstop-smtp"} {
		found := false
		for name := range m.secrets {
			found = found || strings.HasPrefix(name, s+"-") || name == s
		}
		if !found {
			t.Errorf("production has no Secret %s", s)
		}
	}
}

// TestCanaryRunsTwoCustomersVersionsBehindOneService: as in the original Pitstop, two
// customers Deployments with different images, pods that never overlap, and the one
// customers Service reaching both.
func TestCanaryRunsTwoCustomersVersionsBehindOneService(t *testing.T) {
	t.Parallel()
	m := build(t, "canary")
	var ws []workload
	images := map[string]bool{}
	for _, w := range m.workloads() {
		for _, c := range w.template.Spec.Containers {
			if strings.HasPrefix(c.Image, "pitstop/customers-service:") {
				ws = append(ws, w)
				images[c.Image] = true
			}
		}
	}
	if len(ws) != 2 || len(images) != 2 {
		t.Fatalf("canary: %d customers Deployments with images %v, want two with different images", len(ws), images)
	}
	if selects(ws[0].selector, ws[1].template.Labels) || selects(ws[1].selector, ws[0].template.Labels) {
		t.Errorf("canary: Deployments %s and %s select each other's pods", ws[0].name, ws[1].name)
	}
	svc, ok := m.services["customers"]
	if !ok {
		t.Fatal("canary: no customers Service")
	}
	for _, w := range ws {
		if !selects(svc.Spec.Selector, w.template.Labels) {
			t.Errorf("canary: the customers Service does not reach %s", w.name)
		}
	}
}

func findContainer(t *testing.T, m *manifests, deployment string) (c corev1.Container) {
	t.Helper()
	for _, d := range m.deployments {
		if d.Name == deployment {
			return d.Spec.Template.Spec.Containers[0]
		}
	}
	t.Fatalf("%s: no Deployment %s", m.overlay, deployment)
	return c
}

// TestDevAPIsTrustTheWebappsTokens: in dev (and canary, built on it) every API verifies
// tokens with the public half of the web app's signing key (ADR 0007).
func TestDevAPIsTrustTheWebappsTokens(t *testing.T) {
	t.Parallel()
	for _, overlay := range []string{"dev", "canary"} {
		m := build(t, overlay)
		wenv, _ := m.env(findContainer(t, m, "webapp"))
		key, err := auth.ParsePrivateKey(wenv["AUTH_SIGNING_KEY"])
		if err != nil {
			t.Fatalf("%s webapp AUTH_SIGNING_KEY: %v", overlay, err)
		}
		want := auth.EncodePublicKey(key.Public().(ed25519.PublicKey))
		for _, c := range []string{"customers", "vehicles", "workshop", "notifications", "invoicing", "timekeeper", "auditlog"} {
			env, _ := m.env(findContainer(t, m, c))
			if env["AUTH_PUBLIC_KEY"] != want {
				t.Errorf("%s %s AUTH_PUBLIC_KEY=%q, want the web app's public key %q", overlay, c, env["AUTH_PUBLIC_KEY"], want)
			}
		}
	}
}
