// Package mpitest runs multi-rank tests from a plain `go test`: a test that
// calls Run re-executes the test binary under mpirun with n ranks, running
// only itself there, and fails if any rank fails. No wrapper is needed.
//
//	func TestMain(m *testing.M) { mpitest.Main(m) }
//
//	func TestPingPong(t *testing.T) {
//		mpitest.Run(t, 4, func(t *testing.T) { ... code that runs on every rank ... })
//	}
//
// The launcher is picked from the MPI library the binary is linked with:
// Open MPI's `mpirun --oversubscribe --bind-to none`, or MPICH's
// `mpiexec.hydra`. MPICHAN_MPIRUN overrides it (a command and its flags,
// space-separated; "-n N" is appended). Each launch has a deadline,
// MPICHAN_TEST_TIMEOUT (a Go duration, default 5m).
package mpitest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	mpichan "github.com/mpichan/mpichan/sdk"
)

// envRanks marks a process started by Run and holds its rank count.
const envRanks = "MPICHAN_TEST_RANKS"

// Main is the TestMain of a package with multi-rank tests. Under Run it
// starts MPI around the tests; otherwise it just runs them.
func Main(m *testing.M) {
	if os.Getenv(envRanks) == "" {
		os.Exit(m.Run())
	}
	if err := mpichan.Init(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	mpichan.Exit(m.Run())
}

// Worker reports whether this process is a rank started by Run.
func Worker() bool { return os.Getenv(envRanks) != "" }

// Run runs body on n ranks. Called from a plain test, it launches the test
// binary under mpirun and waits for it; inside that launch it runs body on
// each rank. A rank whose body fails aborts the whole job, so the others do
// not wait for it forever.
func Run(t *testing.T, n int, body func(t *testing.T)) {
	t.Helper()
	run(t, n, nil, body)
}

// run is Run, with env added to the launch's environment.
func run(t *testing.T, n int, env []string, body func(t *testing.T)) {
	t.Helper()
	if want := os.Getenv(envRanks); want != "" {
		if want != strconv.Itoa(n) {
			t.Fatalf("mpitest: launched with %s ranks, test wants %d", want, n)
		}
		defer func() {
			if t.Failed() {
				fmt.Fprintf(os.Stderr, "mpitest: rank %d of %s failed; aborting the job\n", mpichan.Rank(), t.Name())
				mpichan.World().Abort(1)
			}
		}()
		body(t)
		return
	}
	if testing.Short() {
		t.Skip("multi-rank test skipped in -short mode")
	}
	out, err := launch(n, env, os.Args[0], "-test.run="+runPattern(t.Name()), "-test.v=true", "-test.count=1")
	if err != nil && PassedBeforeWatchdog(out, t.Name(), n) {
		t.Logf("%d ranks: every rank passed; the launcher then failed (%v) because mpichan's Finalize watchdog ended ranks stuck in MPICH 4.0's MPI_Finalize (docs/MPI.md)", n, err)
		err = nil
	}
	if err != nil && passedBeforeBarrierFailure(out, t.Name(), n) {
		t.Logf("%d ranks: every rank passed; hydra then failed the launch (%v) in MPI_Finalize's PMI barrier (docs/MPI.md)", n, err)
		err = nil
	}
	if err != nil {
		t.Fatalf("%d ranks: %v\n%s", n, err, out)
	}
	if !strings.Contains(out, "--- PASS: "+t.Name()) {
		t.Fatalf("%d ranks: the test did not run under mpirun:\n%s", n, out)
	}
	t.Logf("%d ranks:\n%s", n, out)
}

// PassedBeforeWatchdog reports whether out, a launch's output, shows every
// one of n ranks passing test, no failure, and mpichan's Finalize watchdog
// ending a rank stuck in MPICH 4.0's MPI_Finalize afterwards. Then hydra
// may fail the launch (a rank still in the PMI barrier writes to a rank
// that exited), though the test's work and checks were all done.
func PassedBeforeWatchdog(out, test string, n int) bool {
	return cutShortOK(out) &&
		!strings.Contains(out, "--- FAIL") && !strings.Contains(out, "MPICHAN_TEST_TIMEOUT") &&
		strings.Count(out, "--- PASS: "+test+" (") >= n
}

// passedBeforeBarrierFailure reports whether out, a failed launch's
// output, shows every one of n ranks passing test, no failure, and then
// MPICH 4.0's hydra failing the launch in MPI_Finalize's PMI barrier (a
// rank still in the barrier when another had exited: "fn_barrier_in ...
// error writing PMI line"), with no watchdog involved. Every check of the
// test had run on every rank by then.
func passedBeforeBarrierFailure(out, test string, n int) bool {
	return strings.Contains(out, "fn_barrier_in") && strings.Contains(out, "error writing PMI line") &&
		!strings.Contains(out, "--- FAIL") && !strings.Contains(out, "MPICHAN_TEST_TIMEOUT") &&
		strings.Count(out, "--- PASS: "+test+" (") >= n
}

// cutShortOK reports whether out, the output of a launch that failed, shows
// nothing but mpichan's Finalize watchdog ending ranks stuck in MPICH 4.0's
// MPI_Finalize, each with status 0: every rank had finished the job and
// meant to exit with 0 (mpichan.Exit), and hydra then failed the launch.
func cutShortOK(out string) bool {
	return strings.Contains(out, "MPI_Finalize still running after") &&
		!regexp.MustCompile(`MPI_Finalize still running after .* exiting with status [1-9]`).MatchString(out)
}

// LaunchJob is Launch for a job that ends with mpichan.Exit (jobkit.Main
// does): a launch that failed only because mpichan's Finalize watchdog
// ended ranks that meant to exit with status 0 (MPICH 4.0, docs/MPI.md)
// counts as a success. A job that must fail still fails: its ranks exit,
// or are cut short, with their own non-zero status.
func LaunchJob(n int, program string, args ...string) (string, error) {
	out, err := Launch(n, program, args...)
	if err != nil && cutShortOK(out) && !strings.Contains(out, "MPICHAN_TEST_TIMEOUT") {
		err = nil
	}
	return out, err
}

// runPattern anchors each element of a (sub)test name for -test.run.
func runPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}

// Launch runs program with args on n ranks under the MPI launcher that
// matches the linked MPI library, and returns its combined output. It gives
// up after MPICHAN_TEST_TIMEOUT.
func Launch(n int, program string, args ...string) (string, error) {
	return launch(n, nil, program, args...)
}

// launch is Launch, with env added to the launch's environment.
func launch(n int, env []string, program string, args ...string) (string, error) {
	timeout := 5 * time.Minute
	if v := os.Getenv("MPICHAN_TEST_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return "", fmt.Errorf("MPICHAN_TEST_TIMEOUT: %w", err)
		}
		timeout = d
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	argv := append(Launcher(n), program)
	cmd := exec.CommandContext(ctx, argv[0], append(argv[1:], args...)...)
	cmd.Env = append(append(os.Environ(), Env(n)...), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		err = fmt.Errorf("%s: no result after %v (MPICHAN_TEST_TIMEOUT): %w", strings.Join(argv, " "), timeout, ctx.Err())
	}
	return string(out), err
}

// Build compiles the main package in dir (for example ".") into a
// temporary directory and returns the binary's path, for tests that Launch
// a job. It skips the test in -short mode, since such tests start mpirun.
func Build(t *testing.T, dir string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs mpirun; skipped in -short mode")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(t.TempDir(), filepath.Base(abs))
	cmd := exec.CommandContext(ctx, "go", "build", "-o", exe, ".")
	cmd.Dir = abs
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", dir, err, out)
	}
	return exe
}

// Launcher is the command line that starts n ranks: MPICHAN_MPIRUN if set,
// else the test hosts' launcher if MPICHAN_HOSTS is set, else the local one.
func Launcher(n int) []string {
	if v := strings.Fields(os.Getenv("MPICHAN_MPIRUN")); len(v) > 0 {
		return append(v, "-n", strconv.Itoa(n))
	}
	openMPI := strings.Contains(mpichan.Library(), "Open MPI")
	if dir := os.Getenv(envHosts); dir != "" {
		name := "mpiexec.mpich"
		if openMPI {
			name = "mpirun.openmpi"
		}
		return []string{filepath.Join(dir, name), "-n", strconv.Itoa(n)}
	}
	if openMPI {
		return []string{first("mpirun.openmpi", "mpirun"), "--oversubscribe", "--bind-to", "none", "-n", strconv.Itoa(n)}
	}
	return []string{first("mpiexec.hydra", "mpiexec.mpich", "mpiexec"), "-n", strconv.Itoa(n)}
}

// envHosts names the test hosts' helpers directory (see hosts/up.sh).
const envHosts = "MPICHAN_HOSTS"

// AcrossHosts reports whether launches go across the test hosts.
func AcrossHosts() bool { return os.Getenv(envHosts) != "" }

// hostsScale is the share of a message count that Scaled keeps across
// hosts, where every one-sided operation is a round trip over TCP.
const hostsScale = 0.002

// Scaled is count, or a share of it across hosts (hostsScale) or on
// virtual nodes (relayScale, RunRelayedToo), or MPICHAN_TEST_SCALE when
// set (a fraction such as 0.1), at least 1. Tests use it for message
// counts, so that the same assertions hold over TCP or the relay within
// the same deadlines.
func Scaled(count int) int {
	f := 1.0
	if AcrossHosts() {
		f = hostsScale
	} else if k, _ := strconv.Atoi(os.Getenv(envNodes)); k > 1 {
		f = relayScale
	}
	if v, err := strconv.ParseFloat(os.Getenv("MPICHAN_TEST_SCALE"), 64); err == nil && v > 0 {
		f = v
	}
	return max(1, int(float64(count)*f))
}

// Env is the environment a launch adds: the rank count for Main, and the
// settings Open MPI needs when run as root.
func Env(n int) []string {
	env := []string{envRanks + "=" + strconv.Itoa(n), "OMPI_MCA_opal_signal="}
	if os.Geteuid() == 0 {
		env = append(env, "OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
	}
	return env
}

func first(names ...string) string {
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return names[len(names)-1]
}
