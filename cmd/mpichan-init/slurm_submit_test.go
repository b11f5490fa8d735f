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

// TestSlurmSweepArray: on the test Slurm, `make submit-array PARTS=2` in a
// sweep project runs the grid as a job array of 2 MPI jobs (slurm/array.sbatch)
// and then the merge job, which writes the whole CSV and the plot.
func TestSlurmSweepArray(t *testing.T) {
	needSlurm(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	requireHosts(t, ctx)
	dir := filepath.Join(t.TempDir(), "sweepjob")
	if out, err := runCLI(t, "new", "-t", "sweep", "--ntasks-per-node", strconv.Itoa(slurmTasks),
		"--partition", "debug", "--time", "00:05:00", dir); err != nil {
		t.Fatalf("new: %v\n%s", err, out)
	}
	env := append(offlineEnv(t), ucxTCP...)
	out := run(t, ctx, dir, env, "make", "submit-array", "PARTS=2", "ARGS=-damping 0.1:1:3 -omega 0.2:3:11 -progress off")
	ids := regexp.MustCompile(`Submitted batch job (\d+)`).FindAllStringSubmatch(out, -1)
	if len(ids) != 2 {
		t.Fatalf("make submit-array: want the array's and the merge's job ids:\n%s", out)
	}
	array, merge := ids[0][1], ids[1][1]
	t.Cleanup(func() { exec.Command("scancel", array, merge).Run() })
	state, took := waitJob(t, ctx, merge)
	for _, f := range []string{"sweepjob-array-" + array + "_0.out", "sweepjob-array-" + array + "_1.out", "sweepjob-merge-" + merge + ".out"} {
		log, _ := os.ReadFile(filepath.Join(dir, f))
		t.Logf("%s:\n%s", f, strings.TrimSpace(string(log)))
	}
	if state != "COMPLETED" {
		t.Fatalf("the merge job %s ended %s after %s", merge, state, took)
	}
	csv, err := os.ReadFile(filepath.Join(dir, "sweep.csv"))
	if n := strings.Count(string(csv), "\n"); err != nil || n != 1+3*11 {
		t.Errorf("sweep.csv: %v, %d lines; want a header and 33 rows", err, n)
	}
	if _, err := os.Stat(filepath.Join(dir, "sweep.svg")); err != nil {
		t.Errorf("no plot: %v", err)
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
