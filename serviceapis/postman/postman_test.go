// Package postman runs the Postman collection with newman (pinned in package.json)
// against the whole system started in-process on free ports.
package postman

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/pitstop/pitstop/cmd/pitstop/system"
	"github.com/pitstop/pitstop/shared-go/testutil"
)

func newman(t *testing.T) string {
	t.Helper()
	bin, _ := filepath.Abs(filepath.Join("node_modules", ".bin", "newman"))
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("npm is required to run the Postman collection (.ci/run installs it)")
		}
		t.Skip("npm not installed: the Postman collection is run by make test / CI")
	}
	cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci: %v\n%s", err, out)
	}
	return bin
}

// adminPassword is the first administrator's, whose token the collection gets from /api/token.
const adminPassword = "postman-admin-Secret-2024"

func TestPostmanCollectionAgainstTheWholeSystem(t *testing.T) {
	bin := newman(t)
	sys, err := system.Start(context.Background(), system.Options{
		DatabaseURL:   testutil.Database(t),
		DataDir:       t.TempDir(),
		FreePorts:     true,
		PollInterval:  100 * time.Millisecond,
		Logger:        testutil.Logger(t),
		AdminPassword: adminPassword,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sys.Stop() })
	args := []string{"run", "pitstop.postman_collection.json", "-e", "pitstop.postman_environment.json",
		"--bail", "--reporters", "cli", "--color", "off", "--timeout-request", "10000",
		"--env-var", "username=admin", "--env-var", "password=" + adminPassword}
	for _, name := range []string{"customers", "vehicles", "workshop", "notifications", "invoicing", "timekeeper", "auditlog", "webapp"} {
		if u := sys.URL(name); u != "" {
			args = append(args, "--env-var", name+"Url="+u)
		}
	}
	run := func(t *testing.T, args ...string) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("newman failed: %v\n%s", err, out)
		}
		t.Logf("newman:\n%s", out)
	}
	t.Run("services directly", func(t *testing.T) { run(t, args...) })
	// Through the gateway: every {{<service>Url}} is the web app, and the token comes
	// from {{baseUrl}}/api/token. The services' operational endpoints are not proxied.
	t.Run("through the gateway", func(t *testing.T) {
		gw := []string{"run", "pitstop.postman_collection.json", "-e", "pitstop.gateway.postman_environment.json",
			"--bail", "--reporters", "cli", "--color", "off", "--timeout-request", "10000",
			"--env-var", "username=admin", "--env-var", "password=" + adminPassword, "--env-var", "baseUrl=" + sys.URL("webapp")}
		for _, name := range []string{"customers", "vehicles", "workshop", "notifications", "invoicing", "timekeeper", "auditlog", "webapp"} {
			gw = append(gw, "--env-var", name+"Url="+sys.URL("webapp"))
		}
		for _, folder := range []string{"Auth", "Customers", "Vehicles", "Workshop", "Audit log", "A business day: reminder and invoice", "API gateway"} {
			gw = append(gw, "--folder", folder)
		}
		run(t, gw...)
	})
}
