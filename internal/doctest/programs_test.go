package doctest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// openMPIEnv is the environment that builds Go programs against this
// checkout's SDK with Open MPI and runs them under its mpirun (as root
// too). It skips the test when Open MPI or its development files are
// missing, or in -short mode.
func openMPIEnv(t *testing.T) []string {
	t.Helper()
	if testing.Short() {
		t.Skip("skipped in -short mode: builds and runs MPI programs")
	}
	if _, err := exec.LookPath("mpirun"); err != nil {
		t.Skip("skipped: mpirun not found")
	}
	cflags, err1 := exec.Command("pkg-config", "--cflags", "ompi-c").Output()
	libs, err2 := exec.Command("pkg-config", "--libs", "ompi-c").Output()
	if err1 != nil || err2 != nil {
		t.Skip("skipped: no Open MPI development files")
	}
	return append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod",
		"CGO_CFLAGS="+strings.TrimSpace(string(cflags)), "CGO_LDFLAGS="+strings.TrimSpace(string(libs)),
		"OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
}

// buildPrograms writes each program of progs (name → the source of its
// main.go) into a directory of its own in one module that uses this
// checkout's SDK, checks it with go vet, and builds it. It returns the
// directory that holds the binaries, one per name.
func buildPrograms(ctx context.Context, t *testing.T, env []string, progs map[string]string) string {
	t.Helper()
	sdk, err := filepath.Abs(filepath.Join(repoRoot, "sdk"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sum, err := os.ReadFile(filepath.Join(sdk, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"go.sum": string(sum),
		"go.mod": "module docprograms\n\ngo 1.26\n\nrequire github.com/mpichan/mpichan/sdk v0.0.0\n\nreplace github.com/mpichan/mpichan/sdk => " + sdk + "\n",
	}
	for name, src := range progs {
		files[filepath.Join(name, "main.go")] = src
	}
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"mod", "tidy"}, {"vet", "./..."}, {"build", "-o", "bin/", "./..."}} {
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return filepath.Join(dir, "bin")
}

// mpirun runs bin on np ranks under Open MPI's mpirun, for at most two
// minutes, and returns its combined output.
func mpirun(ctx context.Context, env []string, np int, bin string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "mpirun", "--oversubscribe", "--bind-to", "none", "-n", strconv.Itoa(np), bin)
	cmd.Dir, cmd.Env, cmd.WaitDelay = filepath.Dir(bin), env, 5*time.Second
	return cmd.CombinedOutput()
}
