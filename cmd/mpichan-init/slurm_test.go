package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// slurmNodes and slurmTasks are the generated job's shape: one node per
// test host of slurm/test-up.sh, 2 tasks on each.
const slurmNodes, slurmTasks = 3, 2

// ucxTCP makes UCX use the test hosts' network: between namespaces of one
// kernel it would pick shared memory, and the run would not stand for a
// cluster.
var ucxTCP = []string{"UCX_TLS=tcp,self", "UCX_NET_DEVICES=eth0"}

// slurmRun is one submission of the generated job.sbatch.
type slurmRun struct {
	name   string
	export string   // sbatch --export=ALL,<export>
	env    []string // more environment, passed on by --export=ALL
	fail   []string // the job must fail, and its output hold each of these
}

// TestSlurm runs the job that mpichan-init generates for
// 3 nodes x 2 tasks on a real Slurm whose nodes are 3 separate test hosts
// (network namespaces, each with its own address and slurmd; slurmctld on
// h1). Under Open MPI it launches with srun --mpi=pmix and with mpirun inside
// the allocation, under MPICH with srun --mpi=pmi2 and mpiexec.hydra; each
// job must print the right result and world size 6, also under Open MPI's
// osc rdma over btl tcp (the default relay path needs no window across
// nodes). A configuration that cannot work (that osc rdma on the one-sided
// path across nodes, MPICHAN_REMOTE=rma; MPICH under srun's PMIx) must fail
// fast with an error that names it. sbatch --test-only and
// shellcheck must accept every generated script.
//
// It needs the cluster of slurm/test-up.sh (its Slurm command wrappers
// first in PATH) and MPICHAN_SLURM=1; slurm/test.sh does both.
func TestSlurm(t *testing.T) {
	if os.Getenv("MPICHAN_SLURM") != "1" {
		t.Skip("skipped: needs a local Slurm; run bash slurm/test.sh (sets MPICHAN_SLURM=1)")
	}
	if _, err := exec.LookPath("sbatch"); err != nil {
		t.Skip("skipped: sbatch not found; run bash slurm/test-up.sh")
	}
	requireSDK(t, mpiEnv(t))
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	requireHosts(t, ctx)

	// Open MPI goes over the test hosts' network (UCX would pick shared
	// memory between namespaces of one kernel) and gets nothing else:
	// mpichan.Init picks pml ucx + osc ucx by itself across nodes, which
	// this test proves. MPICH 4.0.2 over UCX tcp can hang in MPI_Finalize
	// (fixed in MPICH 4.2, see slurm/README.md; mpichan.Finalize's watchdog
	// ends such a rank), so MPICH keeps UCX's own transport here unless
	// MPICHAN_SLURM_MPICH_UCX_TLS says otherwise; PMI, srun and hydra
	// still cross the hosts' network.
	var mpichEnv []string
	if tls := os.Getenv("MPICHAN_SLURM_MPICH_UCX_TLS"); tls != "" {
		mpichEnv = []string{"UCX_TLS=" + tls, "UCX_NET_DEVICES=eth0"}
	}
	ompiEnv := ucxTCP
	for _, c := range []struct {
		name, pc string
		runs     []slurmRun
	}{
		{"openmpi", "ompi-c", []slurmRun{
			{name: "srun-pmix", export: "MPICHAN_LAUNCHER=srun,MPICHAN_SRUN_MPI=pmix", env: ompiEnv},
			{name: "mpirun", export: "MPICHAN_LAUNCHER=mpirun,MPICHAN_MPIRUN=mpirun", env: ompiEnv},
			// osc rdma over btl tcp: the default (relay) path needs a window
			// only over the host's node, which osc rdma makes over btl vader,
			// so the job works; the one-sided path across nodes
			// (MPICHAN_REMOTE=rma) cannot, and must say so.
			{name: "osc-rdma-over-tcp", export: "MPICHAN_LAUNCHER=srun,MPICHAN_SRUN_MPI=pmix",
				env: []string{"OMPI_MCA_pml=ob1", "OMPI_MCA_osc=rdma", "OMPI_MCA_btl=self,vader,tcp"}},
			{name: "osc-rdma-over-tcp-remote-rma", export: "MPICHAN_LAUNCHER=srun,MPICHAN_SRUN_MPI=pmix",
				env:  []string{"OMPI_MCA_pml=ob1", "OMPI_MCA_osc=rdma", "OMPI_MCA_btl=self,vader,tcp", "MPICHAN_REMOTE=rma"},
				fail: []string{"MPI_Win_allocate", "across nodes", "one-sided component", "OMPI_MCA_osc=rdma", "Fix:"}},
		}},
		{"mpich", "mpich", []slurmRun{
			{name: "srun-pmi2", export: "MPICHAN_LAUNCHER=srun,MPICHAN_SRUN_MPI=pmi2", env: mpichEnv},
			{name: "mpiexec.hydra", export: "MPICHAN_LAUNCHER=mpirun,MPICHAN_MPIRUN=mpiexec.hydra", env: mpichEnv},
			{name: "srun-pmix-mismatch", export: "MPICHAN_LAUNCHER=srun,MPICHAN_SRUN_MPI=pmix", env: mpichEnv,
				fail: []string{"the launcher's PMI does not match this MPI library", "MPICH: srun --mpi=pmi2"}},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := mpiEnvFor(t, c.pc)
			dir := buildSlurmJob(t, ctx, env)
			for _, r := range c.runs {
				t.Run(r.name, func(t *testing.T) { submit(t, ctx, dir, slices.Concat(env, r.env), r) })
			}
		})
	}
}

// requireHosts fails unless Slurm has slurmNodes idle nodes, each at its own
// address: the test is about separate hosts.
func requireHosts(t *testing.T, ctx context.Context) {
	t.Helper()
	out := run(t, ctx, ".", os.Environ(), "sinfo", "-h", "-N", "-t", "idle", "-o", "%N %o")
	addrs := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if f := strings.Fields(l); len(f) == 2 {
			addrs[f[1]] = f[0]
		}
	}
	if len(addrs) < slurmNodes {
		t.Fatalf("want %d idle Slurm nodes with their own addresses (bash slurm/test-up.sh), sinfo says:\n%s", slurmNodes, out)
	}
	t.Logf("Slurm nodes (name address): %s", strings.Join(strings.Fields(out), " "))
}

// buildSlurmJob generates the minimal project for slurmNodes x slurmTasks,
// builds it with env's MPI and checks its batch scripts; it returns the
// project directory.
func buildSlurmJob(t *testing.T, ctx context.Context, env []string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "sjob")
	if out, err := runCLI(t, "new", "--nodes", strconv.Itoa(slurmNodes), "--ntasks-per-node", strconv.Itoa(slurmTasks),
		"--partition", "debug", "--time", "00:05:00", "--sdk-path", sdkPath(t), dir); err != nil {
		t.Fatalf("new: %v\n%s", err, out)
	}
	run(t, ctx, dir, env, "go", "mod", "tidy")
	run(t, ctx, dir, env, "go", "build", "-o", "sjob", ".")
	scripts, _ := filepath.Glob(filepath.Join(dir, "slurm", "*.sbatch"))
	if len(scripts) < 2 {
		t.Fatalf("want 2 generated scripts, got %v", scripts)
	}
	for _, s := range scripts {
		run(t, ctx, dir, env, "sbatch", "--test-only", s)
		if _, err := exec.LookPath("shellcheck"); err == nil {
			run(t, ctx, dir, env, "shellcheck", s)
		}
	}
	return dir
}

// submit runs r with sbatch in dir and checks how the job ended and what
// it printed.
func submit(t *testing.T, ctx context.Context, dir string, env []string, r slurmRun) {
	// A hang ends at the time limit, as TIMEOUT: well after the bound below.
	id := strings.TrimSpace(run(t, ctx, dir, env, "sbatch", "--parsable", "--time", "00:03:00",
		"--export=ALL,"+r.export, "slurm/job.sbatch", "-n", "100"))
	t.Cleanup(func() { exec.Command("scancel", id).Run() })
	state, took := waitJob(t, ctx, id)
	out, _ := os.ReadFile(filepath.Join(dir, "sjob-"+id+".out"))
	t.Logf("job %s ended %s after %s:\n%s", id, state, took, bytes.TrimSpace(out))
	if bytes.Contains(out, []byte("SIGSEGV")) {
		t.Errorf("job %s crashed (SIGSEGV)", id)
	}
	if r.fail != nil {
		// A configuration that cannot work fails at start-up, not at the
		// time limit (state TIMEOUT), and says why.
		if state != "FAILED" || took > 90*time.Second {
			t.Fatalf("job %s ended %s after %s; want FAILED within 90 s", id, state, took)
		}
		for _, w := range r.fail {
			if !bytes.Contains(out, []byte(w)) {
				t.Errorf("job output lacks %q", w)
			}
		}
		return
	}
	if state != "COMPLETED" {
		t.Fatalf("job %s ended %s", id, state)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^sjob: 6 tasks on 3 nodes`),
		regexp.MustCompile(`(?m)^result: sum=338350 want=338350 tasks=100 world_size=6$`),
	} {
		if !want.Match(out) {
			t.Errorf("job output lacks %q", want)
		}
	}
}

var (
	jobState   = regexp.MustCompile(`JobState=(\S+)`)
	jobRunTime = regexp.MustCompile(`RunTime=(?:(\d+)-)?(\d+):(\d+):(\d+)`)
)

// waitJob polls scontrol until job id has ended and returns its state and
// run time.
func waitJob(t *testing.T, ctx context.Context, id string) (string, time.Duration) {
	t.Helper()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		b, err := exec.CommandContext(ctx, "scontrol", "-o", "show", "job", id).Output()
		if m := jobState.FindSubmatch(b); err == nil && m != nil {
			switch s := string(m[1]); s {
			case "PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED":
			default:
				return s, runTime(b)
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("job %s did not end before the deadline (last: %s)", id, b)
		case <-tick.C:
		}
	}
}

// runTime reads scontrol's RunTime=[D-]HH:MM:SS.
func runTime(b []byte) time.Duration {
	m := jobRunTime.FindSubmatch(b)
	if m == nil {
		return 0
	}
	n := func(i int) time.Duration { v, _ := strconv.Atoi(string(m[i])); return time.Duration(v) }
	return n(1)*24*time.Hour + n(2)*time.Hour + n(3)*time.Minute + n(4)*time.Second
}
