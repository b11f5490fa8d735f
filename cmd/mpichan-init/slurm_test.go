package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestSlurm (acceptance 2) runs the generated job.sbatch on a real local
// Slurm with 2 nodes x 2 tasks, launched by srun and by the MPI launcher
// inside the allocation, and checks the result and world size in the job's
// output; sbatch --test-only and shellcheck must accept every generated
// script. Across nodes the job is built against MPICH (srun --mpi=pmi2,
// mpiexec.hydra): Debian's Open MPI 4.1 has no one-sided component for
// MPI_THREAD_MULTIPLE over TCP (see the script's comments), so Open MPI
// (srun --mpi=pmix, mpirun) runs the same script on one node of 2 tasks.
// It needs the daemons of slurm/test-up.sh and MPICHAN_SLURM=1
// (slurm/test.sh does both).
func TestSlurm(t *testing.T) {
	if os.Getenv("MPICHAN_SLURM") != "1" {
		t.Skip("skipped: needs a local Slurm; run bash slurm/test.sh (sets MPICHAN_SLURM=1)")
	}
	if _, err := exec.LookPath("sbatch"); err != nil {
		t.Skip("skipped: sbatch not found; run bash slurm/test-up.sh")
	}
	requireSDK(t, mpiEnv(t))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	for _, c := range []struct {
		name, pc string
		nodes    string // sbatch --nodes
		ranks    int
		launch   []string // sbatch --export settings, one run each
	}{
		{"mpich-2x2", "mpich", "2", 4, []string{"MPICHAN_SRUN_MPI=pmi2", "MPICHAN_LAUNCHER=mpirun,MPICHAN_MPIRUN=mpiexec.hydra"}},
		{"openmpi-1x2", "ompi-c", "1", 2, []string{"MPICHAN_LAUNCHER=srun", "MPICHAN_LAUNCHER=mpirun"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := mpiEnvFor(t, c.pc)
			dir := filepath.Join(t.TempDir(), "sjob")
			if out, err := runCLI(t, "new", "--nodes", "2", "--ntasks-per-node", "2", "--partition", "debug",
				"--time", "00:05:00", "--sdk-path", sdkPath(t), dir); err != nil {
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
			for _, launch := range c.launch {
				id := strings.TrimSpace(run(t, ctx, dir, env, "sbatch", "--parsable", "--nodes", c.nodes,
					"--export=ALL,"+launch, "slurm/job.sbatch", "-n", "500"))
				t.Cleanup(func() { exec.Command("scancel", id).Run() })
				state := waitJob(t, ctx, id)
				out, _ := os.ReadFile(filepath.Join(dir, "sjob-"+id+".out"))
				if state != "COMPLETED" {
					t.Fatalf("%s: job %s ended %s:\n%s", launch, id, state, out)
				}
				want := regexp.MustCompile(fmt.Sprintf(`result: sum=41791750 want=41791750 tasks=500 world_size=%d`, c.ranks))
				if !want.Match(out) {
					t.Errorf("%s: job output lacks %q:\n%s", launch, want, out)
				}
				t.Logf("%s: %s", launch, bytes.TrimSpace(out))
			}
		})
	}
}

var jobState = regexp.MustCompile(`JobState=(\S+)`)

// waitJob polls scontrol until job id has ended and returns its state.
func waitJob(t *testing.T, ctx context.Context, id string) string {
	t.Helper()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		b, err := exec.CommandContext(ctx, "scontrol", "-o", "show", "job", id).Output()
		if m := jobState.FindSubmatch(b); err == nil && m != nil {
			switch s := string(m[1]); s {
			case "PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED":
			default:
				return s
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("job %s did not end before the deadline (last: %s)", id, b)
		case <-tick.C:
		}
	}
}
