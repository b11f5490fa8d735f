package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// freshClone copies the files git tracks into a new directory: the
// repository as a fresh clone has it, with no module bundle.
func freshClone(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("git", "-C", "../..", "ls-files", "-z").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	dst := t.TempDir()
	for _, f := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		b, err := os.ReadFile(filepath.Join("../..", f))
		if os.IsNotExist(err) {
			continue // deleted in the work tree
		}
		if err != nil {
			t.Fatal(err)
		}
		to := filepath.Join(dst, f)
		os.MkdirAll(filepath.Dir(to), 0o755)
		if err := os.WriteFile(to, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// TestWithoutBundle: a plain `go build ./cmd/mpichan-init` in a fresh clone
// compiles; the binary lists minimal and says in one line how to get the
// bundle, refuses a vendored project with that line, and makes a project
// with --sdk-path whose modules come from a proxy (here: a file:// proxy
// of the module cache, with an empty GOMODCACHE).
func TestWithoutBundle(t *testing.T) {
	needMPI(t)
	clone := freshClone(t)
	if _, err := os.Stat(filepath.Join(clone, "templates", "_bundle")); err == nil {
		t.Fatal("git tracks templates/_bundle")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	modcache, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	proxy := "file://" + filepath.Join(strings.TrimSpace(string(modcache)), "cache", "download")
	env := append(os.Environ(), "GOPROXY="+proxy, "GOSUMDB=off", "GOTOOLCHAIN=local")
	bin := filepath.Join(t.TempDir(), "mpichan-init")
	run(t, ctx, clone, env, "go", "build", "-o", bin, "./cmd/mpichan-init")

	cli := func(args ...string) (string, string, error) {
		var stdout, stderr strings.Builder
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}
	const hint = "has no module bundle; build it with `make build`"
	out, errOut, err := cli("list")
	if err != nil || !strings.Contains(out, "minimal") || strings.Contains(out, "montecarlo") || !strings.Contains(errOut, hint) {
		t.Errorf("list: %v\nstdout: %s\nstderr: %s", err, out, errOut)
	}
	parent := t.TempDir()
	for _, args := range [][]string{{"new"}, {"new", "-t", "montecarlo"}} {
		_, errOut, err = cli(append(args, filepath.Join(parent, "job"))...)
		if err == nil || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, hint) {
			t.Errorf("%v: want one line saying %q, got %v: %s", args, hint, err, errOut)
		}
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 0 {
		t.Errorf("refused projects wrote %v", ents)
	}

	dir := filepath.Join(parent, "job")
	if out, errOut, err := cli("new", "--sdk-path", filepath.Join(clone, "sdk"), dir); err != nil {
		t.Fatalf("new --sdk-path: %v\n%s%s", err, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "vendor")); err == nil {
		t.Error("a project made without the bundle has vendor/")
	}
	env = append(env, "GOMODCACHE="+t.TempDir(), "CGO_CFLAGS=", "CGO_LDFLAGS=",
		"OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1", "OMPI_MCA_opal_signal=")
	if out := run(t, ctx, dir, env, "make", "run", "NP=2"); !strings.Contains(out, "world_size=2") {
		t.Errorf("make run NP=2:\n%s", out)
	}
}
