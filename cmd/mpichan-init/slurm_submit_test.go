package main

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

// TestSlurmSubmitCopy: on the test Slurm (see TestSlurm), a job that
// `make submit-mpirun` submitted on hold runs, once released, the Open MPI
// binary it was submitted with, although the project was rebuilt for MPICH
// (`make build MPI_PC=mpich`) while it waited: 3 nodes x 2 tasks, under
// Open MPI's mpirun in the allocation.
func TestSlurmSubmitCopy(t *testing.T) {
	needSlurm(t)
	needPC(t, "mpich")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	requireHosts(t, ctx)
	dir := filepath.Join(t.TempDir(), "sjob")
	if out, err := runCLI(t, "new", "--nodes", strconv.Itoa(slurmNodes), "--ntasks-per-node", strconv.Itoa(slurmTasks),
		"--partition", "debug", "--time", "00:05:00", dir); err != nil {
		t.Fatalf("new: %v\n%s", err, out)
	}
	env := append(offlineEnv(t), ucxTCP...)
	out := run(t, ctx, dir, env, "make", "submit-mpirun", "SBATCH_FLAGS=--hold", "ARGS=-n 100")
	m := regexp.MustCompile(`Submitted batch job (\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("make submit-mpirun printed no job id:\n%s", out)
	}
	id := m[1]
	t.Cleanup(func() { exec.Command("scancel", id).Run() })
	run(t, ctx, dir, env, "make", "build", "MPI_PC=mpich")
	run(t, ctx, dir, env, "scontrol", "release", id)
	state, took := waitJob(t, ctx, id)
	log, _ := os.ReadFile(filepath.Join(dir, "sjob-"+id+".out"))
	t.Logf("job %s ended %s after %s:\n%s", id, state, took, strings.TrimSpace(string(log)))
	if state != "COMPLETED" || !strings.Contains(string(log), "result: sum=338350 want=338350 tasks=100 world_size=6") {
		t.Errorf("the job queued before the rebuild ended %s without the Open MPI result", state)
	}
}

// needSlurm skips the test unless the test Slurm of slurm/test.sh is up
// and MPI jobs can be built and run.
func needSlurm(t *testing.T) {
	t.Helper()
	if os.Getenv("MPICHAN_SLURM") != "1" {
		t.Skip("skipped: needs a local Slurm; run bash slurm/test.sh (sets MPICHAN_SLURM=1)")
	}
	if _, err := exec.LookPath("sbatch"); err != nil {
		t.Skip("skipped: sbatch not found; run bash slurm/test-up.sh")
	}
	needMPI(t)
}
