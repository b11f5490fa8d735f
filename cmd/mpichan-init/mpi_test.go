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

func needPC(t *testing.T, pcs ...string) {
	t.Helper()
	for _, pc := range pcs {
		if exec.Command("pkg-config", "--exists", pc).Run() != nil {
			t.Skipf("skipped: pkg-config %s not found", pc)
		}
	}
}

// TestMakeEnvQuoted: eval "$(make -s env)" puts the whole
// flags into the shell, under both MPIs.
func TestMakeEnvQuoted(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("skipped: no make")
	}
	repo, _ := filepath.Abs("../..")
	for mpi, pc := range map[string]string{"openmpi": "ompi-c", "mpich": "mpich"} {
		t.Run(mpi, func(t *testing.T) {
			needPC(t, pc)
			script := `eval "$(make -s -C "$1" env MPI=$2)"; printf '%s|%s' "$CGO_CFLAGS" "$CGO_LDFLAGS"`
			got, err := exec.Command("bash", "-c", script, "bash", repo, mpi).CombinedOutput()
			if err != nil {
				t.Fatalf("%v\n%s", err, got)
			}
			cf, _ := exec.Command("pkg-config", "--cflags", pc).Output()
			lf, _ := exec.Command("pkg-config", "--libs", pc).Output()
			want := strings.Join(strings.Fields(string(cf)), " ") + "|" + strings.Join(strings.Fields(string(lf)), " ")
			if string(got) != want {
				t.Errorf("after eval: %q, want %q", got, want)
			}
		})
	}
}

// mpichProject makes a project (no flags: vendored) for the MPI tests.
func mpichProject(t *testing.T) (string, context.Context) {
	t.Helper()
	needMPI(t)
	needPC(t, "mpich", "ompi-c")
	dir := filepath.Join(t.TempDir(), "job")
	if out, err := runCLI(t, "new", dir); err != nil {
		t.Fatalf("new: %v\n%s", err, out)
	}
	// Generous: a loaded 2-core machine took 8 minutes for one build.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	t.Cleanup(cancel)
	return dir, ctx
}

// TestMixedBuildIsLoud: compiled against MPICH's mpi.h but
// linked with Open MPI's library (what a half-exported CGO_LDFLAGS gives,
// because gompi adds -lmpi), the program stops before main and says so.
func TestMixedBuildIsLoud(t *testing.T) {
	dir, ctx := mpichProject(t)
	cf, _ := exec.Command("pkg-config", "--cflags", "mpich").Output()
	env := append(offlineEnv(t), "GOWORK=off", "CGO_CFLAGS="+strings.TrimSpace(string(cf)), "CGO_LDFLAGS=-Wl,-z,relro")
	run(t, ctx, dir, env, "go", "build", "-mod=vendor", "-trimpath", "-o", "mixed", ".")
	out, err := exec.CommandContext(ctx, filepath.Join(dir, "mixed"), "-n", "10").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "compiled against MPICH's mpi.h but runs with another MPI library (Open MPI") {
		t.Errorf("mixed build ran: %v\n%s", err, out)
	}
}

// TestMPIChoice (issues 10.5 and 10.6): make build MPI_PC=mpich is
// remembered by later make commands (run, submit use MPICH's launcher and
// PMI); started by Open MPI's mpirun, the MPICH job stops with a message
// instead of running as separate "rank 0 of 1" copies; an unknown MPI_PC
// stops at once with a hint.
func TestMPIChoice(t *testing.T) {
	dir, ctx := mpichProject(t)
	env := offlineEnv(t)
	run(t, ctx, dir, env, "make", "build", "MPI_PC=mpich")
	if b, _ := os.ReadFile(filepath.Join(dir, ".mpi-pc")); strings.TrimSpace(string(b)) != "mpich" {
		t.Errorf(".mpi-pc = %q, want mpich", b)
	}
	if out := run(t, ctx, dir, env, "make", "-n", "submit"); !strings.Contains(out, "MPICHAN_SRUN_MPI=pmi2") {
		t.Errorf("make submit after MPI_PC=mpich does not use pmi2:\n%s", out)
	}
	if out := run(t, ctx, dir, env, "make", "-n", "run"); !strings.Contains(out, "mpiexec.hydra") {
		t.Errorf("make run after MPI_PC=mpich does not use MPICH's launcher:\n%s", out)
	}
	if ldd, err := exec.Command("ldd", filepath.Join(dir, "job")).Output(); err == nil && !strings.Contains(string(ldd), "libmpich") {
		t.Errorf("the binary is not linked with MPICH:\n%s", ldd)
	}
	if out := run(t, ctx, dir, env, "make", "run", "NP=2"); !strings.Contains(out, "world_size=2") {
		t.Errorf("make run under MPICH:\n%s", out)
	}

	if mpirun, err := exec.LookPath("mpirun.openmpi"); err == nil {
		cmd := exec.CommandContext(ctx, mpirun, "--oversubscribe", "-n", "2", "./job", "-n", "10")
		cmd.Dir, cmd.Env = dir, append(os.Environ(), "OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "MPI world size is 1 but Open MPI's mpirun/mpiexec started 2 processes") {
			t.Errorf("MPICH job under Open MPI's mpirun: %v\n%s", err, out)
		}
	}

	start := time.Now()
	cmd := exec.CommandContext(ctx, "make", "build", "MPI_PC=nonexistent")
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "PKG_CONFIG_PATH") || !strings.Contains(string(out), "module load") ||
		!strings.Contains(string(out), "mpicc -showme") || strings.Contains(string(out), "mpi.h") {
		t.Errorf("make build MPI_PC=nonexistent: %v\n%s", err, out)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("MPI_PC=nonexistent took %v to fail", d)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, ".mpi-pc")); strings.TrimSpace(string(b)) != "mpich" {
		t.Errorf("a failed MPI_PC changed .mpi-pc to %q", b)
	}
}

// TestSbatchRankCheckSpeaks: when the launcher gives no task an
// MPI rank (srun --mpi=none), both batch scripts print FATAL and exit 1,
// under set -o pipefail. srun and apptainer are stand-ins here.
func TestSbatchRankCheckSpeaks(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("skipped: no bash")
	}
	dir := filepath.Join(t.TempDir(), "job")
	if out, err := runCLI(t, "new", "--sdk-path", sdkPath(t), dir); err != nil {
		t.Fatalf("new: %v\n%s", err, out)
	}
	bin := t.TempDir()
	// srun --mpi=X CMD...: runs CMD once per task, with no PMI variables.
	os.WriteFile(filepath.Join(bin, "srun"), []byte("#!/bin/bash\nshift\nfor i in 1 2; do \"$@\"; done\n"), 0o755)
	os.WriteFile(filepath.Join(bin, "apptainer"), []byte("#!/bin/sh\nexit 0\n"), 0o755)
	os.WriteFile(filepath.Join(dir, "job.sif"), nil, 0o644)
	for _, s := range []string{"job.sbatch", "job-apptainer.sbatch"} {
		cmd := exec.Command("bash", filepath.Join("slurm", s))
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "SLURM_NTASKS=2", "SLURM_SUBMIT_DIR="+dir,
			"MPICHAN_SRUN_MPI=none", "PMIX_RANK=", "PMI_RANK=")
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "FATAL: srun gave 0 distinct MPI ranks to 2 Slurm tasks") {
			t.Errorf("%s under srun --mpi=none: %v\n%s", s, err, out)
		}
	}
}
