package doctest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestReadmeProgram: the README's Go program, copied as it
// is, compiles against this checkout's SDK and, on 1, 2 and 4 ranks, takes
// all 100 tasks exactly once between the ranks (1 rank: no hang, although
// 100 tasks do not fit in the channel).
func TestReadmeProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode: builds and runs an MPI program")
	}
	if _, err := exec.LookPath("mpirun"); err != nil {
		t.Skip("skipped: mpirun not found")
	}
	cflags, err1 := exec.Command("pkg-config", "--cflags", "ompi-c").Output()
	libs, err2 := exec.Command("pkg-config", "--libs", "ompi-c").Output()
	if err1 != nil || err2 != nil {
		t.Skip("skipped: no Open MPI development files")
	}
	md, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var src string
	for _, b := range Blocks(string(md)) {
		if b.Lang == "go" {
			src = strings.Join(b.Lines, "\n") + "\n"
			break
		}
	}
	if !strings.HasPrefix(src, "package main") {
		t.Fatalf("the README's first Go block is not a complete program:\n%s", src)
	}
	sdk, _ := filepath.Abs(filepath.Join(repoRoot, "sdk"))
	dir := t.TempDir()
	sum, _ := os.ReadFile(filepath.Join(sdk, "go.sum"))
	os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644)
	os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644)
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module readme\n\ngo 1.26\n\nrequire github.com/mpichan/mpichan/sdk v0.0.0\n\nreplace github.com/mpichan/mpichan/sdk => "+sdk+"\n"), 0o644)
	env := append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod",
		"CGO_CFLAGS="+strings.TrimSpace(string(cflags)), "CGO_LDFLAGS="+strings.TrimSpace(string(libs)),
		"OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	for _, args := range [][]string{{"mod", "tidy"}, {"build", "-o", "readme", "."}} {
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %v: %v\n%s", args, err, out)
		}
	}
	re := regexp.MustCompile(`rank (\d+) of (\d+) took (\d+) tasks`)
	for _, np := range []int{1, 2, 4} {
		rctx, rcancel := context.WithTimeout(ctx, 2*time.Minute)
		cmd := exec.CommandContext(rctx, "mpirun", "--oversubscribe", "--bind-to", "none", "-n", strconv.Itoa(np), "./readme")
		cmd.Dir, cmd.Env, cmd.WaitDelay = dir, env, 5*time.Second
		out, err := cmd.CombinedOutput()
		rcancel()
		if err != nil {
			t.Errorf("%d ranks: %v\n%s", np, err, out)
			continue
		}
		total, ranks := 0, 0
		for _, m := range re.FindAllStringSubmatch(string(out), -1) {
			n, _ := strconv.Atoi(m[3])
			total += n
			ranks++
		}
		if total != 100 || ranks != np {
			t.Errorf("%d ranks: %d ranks took %d tasks, want %d ranks and 100 tasks:\n%s", np, ranks, total, np, out)
		}
	}
}
