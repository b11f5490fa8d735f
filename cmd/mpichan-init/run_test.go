package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// wordcountCheck is the shell check that a mapreduce project's README
// gives for its default run: the same counts, made by one process.
const wordcountCheck = `export LC_ALL=C
cat *.go | tr -cs 'A-Za-z0-9' '\n' | tr 'A-Z' 'a-z' | grep . | sort | uniq -c |
  awk '{print $1 "\t" $2}' | sort -t "$(printf '\t')" -k1,1nr -k2,2 | cmp - wordcount.tsv && echo same counts`

// defaultRun is what a template's job prints on 2 ranks with no flags, as
// its README documents it, and the checks of the files it writes.
type defaultRun struct {
	doc    []string // lines of the output, in the README too; NAME is the project's name
	files  []string // files the run writes (removed before the next run)
	check  func(t *testing.T, dir, out string)
	jobkit bool // flags parsed by jobkit: usage and errors name the program
}

var defaultRuns = map[string]defaultRun{
	"minimal": {doc: []string{"result: sum=333833500 want=333833500 tasks=1000 world_size=2"}},
	"montecarlo": {jobkit: true, doc: []string{
		"50000000 paths in 200 tasks on 2 ranks",
		"Monte Carlo:   6.038135 ± 0.001645 (standard error)",
		"Black-Scholes: 6.040088",
	}},
	"mapreduce": {jobkit: true, files: []string{"wordcount.tsv"},
		doc: []string{"NAME: 2 files, ", "distinct; all counts in wordcount.tsv"},
		check: func(t *testing.T, dir, _ string) {
			cmd := exec.Command("bash", "-euc", wordcountCheck)
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "same counts") {
				t.Errorf("wordcount.tsv is not the README's single-process count: %v\n%s", err, out)
			}
		}},
	"tree": {jobkit: true, doc: []string{"uts: tree=default nodes=1732 leaves=1050 depth=6 ranks=2 "}},
	"sweep": {jobkit: true, files: []string{"sweep.csv", "sweep.svg"},
		doc: []string{
			"NAME: 1410 points (10 damping × 141 omega), 1410 computed on 2 ranks",
			"largest relative error against the closed form: 2.90e-07 (damping 1, omega 0.2)",
			"results in sweep.csv, plot in sweep.svg",
		},
		check: func(t *testing.T, dir, _ string) {
			csv, err := os.ReadFile(filepath.Join(dir, "sweep.csv"))
			lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
			if err != nil || len(lines) != 1411 || lines[0] != "damping,omega,amplitude,exact,rel_error" {
				t.Errorf("sweep.csv: %v, %d lines, header %q; want the header and 1410 rows", err, len(lines), lines[0])
			}
			if svg, err := os.ReadFile(filepath.Join(dir, "sweep.svg")); err != nil || !strings.Contains(string(svg), "<svg") {
				t.Errorf("sweep.svg: %v, not a plot", err)
			}
		}},
}

// fakeSlurm writes stand-ins for sbatch and srun into a directory and
// returns it. sbatch runs the batch script at once as a 2-task job in the
// environment --export gives it (with --array=LO-HI, once per task, its
// output on stderr; --parsable prints the job id alone), or, with
// SBATCH_QUEUE set, writes the command to that file, to be run later (a
// job waiting in the queue). srun starts the ranks with the local launcher
// of the MPI its --mpi names.
func fakeSlurm(t *testing.T) string {
	t.Helper()
	bin := t.TempDir()
	sbatch := `#!/bin/bash
set -euo pipefail
exports=() array= parsable=
while [[ $1 == -* ]]; do
  case $1 in
    --export=*) IFS=, read -ra kv <<< "${1#--export=}"; for e in "${kv[@]}"; do [[ $e == *=* ]] && exports+=("$e"); done ;;
    --array=*) array=${1#--array=} ;;
    --parsable) parsable=1 ;;
  esac
  shift
done
cmd=(env "${exports[@]}" SLURM_NTASKS=2 SLURM_JOB_NUM_NODES=1 SLURM_SUBMIT_DIR="$PWD" bash "$@")
if [ -n "${SBATCH_QUEUE:-}" ]; then printf '%q ' "${cmd[@]}" > "$SBATCH_QUEUE"; echo "Submitted batch job 1"; exit 0; fi
if [ -z "$array" ]; then exec "${cmd[@]}"; fi
lo=${array%-*} hi=${array#*-}
for ((i = lo; i <= hi; i++)); do
  SLURM_ARRAY_TASK_ID=$i SLURM_ARRAY_TASK_MIN=$lo SLURM_ARRAY_TASK_COUNT=$((hi - lo + 1)) "${cmd[@]}" >&2
done
if [ -n "$parsable" ]; then echo 7; else echo "Submitted batch job 7"; fi
`
	srun := `#!/bin/bash
mpi=${1#--mpi=}; shift
if [ "$mpi" = pmi2 ]; then exec mpiexec.hydra -n "$SLURM_NTASKS" "$@"; fi
exec mpirun --oversubscribe --bind-to none -n "$SLURM_NTASKS" "$@"
`
	for name, text := range map[string]string{"sbatch": sbatch, "srun": srun} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return bin
}

// TestTemplatesRunByDefault: under Open MPI and under MPICH, a project of
// every template, made with no flags but the MPI and built offline from
// what it carries, runs `make run NP=2` with no ARGS and prints what its
// README documents, and writes the documented files; `make submit` with no
// ARGS gives the batch script nothing, and the job (sbatch and srun
// stand-ins) prints the same. Usage and errors name the project, ARGS
// reach the job, and a bad NP stops make at once.
func TestTemplatesRunByDefault(t *testing.T) {
	needMPI(t)
	fake := fakeSlurm(t)
	for _, mpi := range []struct{ flag, pc string }{{"openmpi", "ompi-c"}, {"mpich", "mpich"}} {
		t.Run(mpi.flag, func(t *testing.T) {
			needPC(t, mpi.pc)
			if mpi.flag == "mpich" {
				if _, err := exec.LookPath("mpiexec.hydra"); err != nil {
					t.Skip("skipped: no mpiexec.hydra")
				}
			}
			for _, tpl := range builtinTemplates {
				t.Run(tpl, func(t *testing.T) { runByDefault(t, tpl, mpi.flag, fake) })
			}
		})
	}
}

func runByDefault(t *testing.T, tpl, mpi, fake string) {
	dr := defaultRuns[tpl]
	name := tpl + "job"
	dir := filepath.Join(t.TempDir(), name)
	if out, err := runCLI(t, "new", "-t", tpl, "--mpi", mpi, dir); err != nil {
		t.Fatalf("new: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	env := offlineEnv(t)
	readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var doc []string
	for _, d := range dr.doc {
		d = strings.ReplaceAll(d, "NAME", name)
		doc = append(doc, d)
		if !strings.Contains(string(readme), d) {
			t.Errorf("README.md does not document %q", d)
		}
	}
	if tpl == "mapreduce" && !strings.Contains(string(readme), wordcountCheck) {
		t.Errorf("README.md lacks the check\n%s", wordcountCheck)
	}
	shows := func(what, out string) {
		t.Helper()
		for _, d := range doc {
			if !strings.Contains(out, d) {
				t.Errorf("%s: output lacks %q:\n%s", what, d, out)
			}
		}
		if dr.check != nil {
			dr.check(t, dir, out)
		}
	}

	shows("make run NP=2", run(t, ctx, dir, env, "make", "run", "NP=2"))

	// make submit with no ARGS: the job gets no flags and runs the default.
	for _, f := range dr.files {
		os.Remove(filepath.Join(dir, f))
	}
	subEnv := append(env, "PATH="+fake+":"+os.Getenv("PATH"))
	out := run(t, ctx, dir, subEnv, "make", "submit")
	if !regexp.MustCompile(`(?m)sbatch +--export=\S+ slurm/job\.sbatch *$`).MatchString(out) {
		t.Errorf("make submit does not run slurm/job.sbatch without job flags:\n%s", out)
	}
	if !strings.Contains(out, name+": 2 tasks on 1 nodes, launcher srun") || !strings.Contains(out, "/.submitted/") {
		t.Errorf("make submit did not run the batch script on a copy of the binary:\n%s", out)
	}
	shows("make submit", out)

	// ARGS reach the job; the program's messages name the project.
	if tpl == "minimal" {
		if out := run(t, ctx, dir, env, "make", "run", "NP=2", "ARGS=-n 10"); !strings.Contains(out, "sum=385 want=385 tasks=10 world_size=2") {
			t.Errorf("make run ARGS=\"-n 10\": the flag did not reach the job:\n%s", out)
		}
		// A bad input ends every rank at once (the job's own -timeout is
		// 5 minutes; ctx would end a job that waited for it).
		if out := runFail(t, ctx, dir, env, "make", "run", "NP=2", "ARGS=-n -3"); !strings.Contains(out, name+": -n -3") {
			t.Errorf("make run ARGS=\"-n -3\": want the error from the job:\n%s", out)
		}
	}
	if dr.jobkit {
		out := runFail(t, ctx, dir, env, "make", "run", "NP=2", "ARGS=-no-such-flag")
		for _, want := range []string{name + ": flag provided but not defined: -no-such-flag", "Run '" + name + " -h' for help."} {
			if !strings.Contains(out, want) {
				t.Errorf("make run ARGS=-no-such-flag: output lacks %q:\n%s", want, out)
			}
		}
		if out := run(t, ctx, dir, env, "./"+name, "-h"); !strings.Contains(out, "Usage: mpirun -n N "+name+" [flags]") {
			t.Errorf("%s -h does not name the program:\n%s", name, out)
		}
	}
	for _, np := range []string{"0", "abc", "-1", ""} {
		out := runFail(t, ctx, dir, env, "make", "run", "NP="+np)
		if !strings.Contains(out, "NP="+np+": want a positive whole number") || strings.Contains(out, "mpirun") {
			t.Errorf("make run NP=%s: want a stop at once, naming NP:\n%s", np, out)
		}
	}
}

// runFail runs a command that must fail with exit status 2 and returns its
// output.
func runFail(t *testing.T, ctx context.Context, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env, cmd.WaitDelay = dir, env, 5*time.Second
	b, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Errorf("%s %s: %v, want exit status 2", name, strings.Join(args, " "), err)
	}
	return string(b)
}

// TestSubmitRunsItsCopy: a job submitted with make submit-mpirun and still
// waiting in the queue (sbatch stand-in) runs the Open MPI binary it was
// submitted with, although the project is rebuilt for MPICH before it
// starts; the rebuilt binary in its place would fail under Open MPI's
// mpirun, as the control run shows.
func TestSubmitRunsItsCopy(t *testing.T) {
	needMPI(t)
	needPC(t, "mpich")
	dir := filepath.Join(t.TempDir(), "job")
	if out, err := runCLI(t, "new", dir); err != nil {
		t.Fatalf("new: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	env := offlineEnv(t)
	queue := filepath.Join(t.TempDir(), "queued")
	subEnv := append(env, "PATH="+fakeSlurm(t)+":"+os.Getenv("PATH"), "SBATCH_QUEUE="+queue)
	run(t, ctx, dir, subEnv, "make", "submit-mpirun", "ARGS=-n 10")
	run(t, ctx, dir, env, "make", "build", "MPI_PC=mpich")
	job, err := os.ReadFile(queue)
	if err != nil {
		t.Fatal(err)
	}
	if out := run(t, ctx, dir, env, "bash", "-c", string(job)); !strings.Contains(out, "result: sum=385 want=385 tasks=10 world_size=2") {
		t.Errorf("the queued job:\n%s", out)
	}
	// The control: the same job on the binary in the project directory.
	control := regexp.MustCompile(`MPICHAN_BIN=\S+`).ReplaceAllString(string(job), "MPICHAN_BIN=./job")
	cmd := exec.CommandContext(ctx, "bash", "-c", control)
	cmd.Dir, cmd.Env = dir, env
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Errorf("control: the MPICH build ran under Open MPI's mpirun; the test shows nothing:\n%s", out)
	}
	if n, _ := filepath.Glob(filepath.Join(dir, ".submitted", "*", "job")); len(n) != 1 {
		t.Errorf("copies of the binary: %v, want one", n)
	}
}

// TestSubmitArray: in a sweep project, make submit-array PARTS=2 submits
// slurm/array.sbatch as a job array of 2 parts and then the merge job
// (sbatch and srun stand-ins, which run them in turn): each part computes
// its half of the grid, and the merge writes the whole CSV and the plot.
func TestSubmitArray(t *testing.T) {
	needMPI(t)
	dir := filepath.Join(t.TempDir(), "sweepjob")
	if out, err := runCLI(t, "new", "-t", "sweep", dir); err != nil {
		t.Fatalf("new: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	env := append(offlineEnv(t), "PATH="+fakeSlurm(t)+":"+os.Getenv("PATH"))
	out := run(t, ctx, dir, env, "make", "submit-array", "PARTS=2", "ARGS=-damping 0.1:1:3 -omega 0.2:3:11 -progress off")
	for _, want := range []string{
		"sweepjob: part 0/2: 17 points computed into sweep-part0of2.csv",
		"sweepjob: part 1/2: 16 points computed into sweep-part1of2.csv",
		"--dependency=afterok:7 ",
		"sweepjob: merged 2 part files into sweep.csv (33 points), plot in sweep.svg",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("make submit-array: output lacks %q:\n%s", want, out)
		}
	}
	csv, err := os.ReadFile(filepath.Join(dir, "sweep.csv"))
	if n := strings.Count(string(csv), "\n"); err != nil || n != 1+3*11 {
		t.Errorf("sweep.csv: %v, %d lines; want a header and 33 rows", err, n)
	}
	if _, err := os.Stat(filepath.Join(dir, "sweep.svg")); err != nil {
		t.Errorf("no plot: %v", err)
	}
}
