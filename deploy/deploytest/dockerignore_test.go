package deploytest

import (
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// ignored reports whether the repository-relative slash path rel is excluded by one of
// the .dockerignore patterns (the forms used there: "name", "dir/sub", "**/glob").
func ignored(patterns []string, rel string) bool {
	parts := strings.Split(rel, "/")
	for _, p := range patterns {
		anyDepth := strings.HasPrefix(p, "**/")
		p = strings.TrimPrefix(p, "**/")
		n := strings.Count(p, "/") + 1
		// The pattern matches the path or one of its parent folders: at the root, or at
		// any depth after "**/".
		for start := 0; start+n <= len(parts); start++ {
			if ok, _ := path.Match(p, strings.Join(parts[start:start+n], "/")); ok {
				return true
			}
			if !anyDepth {
				break
			}
		}
	}
	return false
}

func TestIgnoredPatterns(t *testing.T) {
	t.Parallel()
	pats := []string{".git", "docs", "deploy/grafana", "**/*_test.go", "**/testdata"}
	for rel, want := range map[string]bool{
		".git/config": true, "docs/adr/1.md": true, "deploy/grafana/x.yml": true, "a/b/c_test.go": true,
		"x/testdata/f": true, "customers/customers.go": false, "deploy/healthcheck/main.go": false,
		"webapp/docs/x": false, "customers/testdata2/f": false,
	} {
		if got := ignored(pats, rel); got != want {
			t.Errorf("ignored(%q) = %v, want %v", rel, got, want)
		}
	}
}

func TestDockerignoreKeepsWhatTheBuildNeeds(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	raw, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, l := range strings.Split(string(raw), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			if strings.HasPrefix(l, "!") {
				t.Fatalf(".dockerignore exception %q: this check does not understand exceptions", l)
			}
			patterns = append(patterns, strings.TrimPrefix(l, "/"))
		}
	}
	for _, must := range []string{".git", ".pitstop-data"} {
		if !ignored(patterns, must) {
			t.Errorf(".dockerignore does not exclude %s", must)
		}
	}
	var pkgs []string
	for _, pkg := range parseDockerfile(t).Binaries {
		if _, err := os.Stat(filepath.Join(root, pkg)); err == nil {
			pkgs = append(pkgs, pkg)
		}
	}
	// Every Go file and embedded file of the module that the binaries need is in the
	// build context.
	args := append([]string{"list", "-deps", "-f",
		`{{if .Module}}{{if .Module.Main}}{{range .GoFiles}}{{$.Dir}}/{{.}} {{end}}{{range .EmbedFiles}}{{$.Dir}}/{{.}} {{end}}{{end}}{{end}}`}, pkgs...)
	cmd := exec.Command(goCmd(), args...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	files := strings.Fields(string(out))
	if len(files) == 0 {
		t.Fatal("go list found no source files of the binaries")
	}
	for _, f := range append(files, filepath.Join(root, "go.mod"), filepath.Join(root, "go.sum")) {
		rel, err := filepath.Rel(root, f)
		if err != nil {
			t.Fatal(err)
		}
		if ignored(patterns, filepath.ToSlash(rel)) {
			t.Errorf(".dockerignore excludes %s, which the image build needs", rel)
		}
	}
}
