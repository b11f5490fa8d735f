package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"strings"
	"testing"
)

// TestFlagsAfterName: flags work before and after the project
// name, as the README writes them.
func TestFlagsAfterName(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "myjob")
	out, err := runCLI(t, "new", dir, "--sdk-path", sdkPath(t), "--nodes", "2", "--ntasks-per-node", "4", "-t", "sweep")
	if err != nil {
		t.Fatalf("new NAME --flags: %v\n%s", err, out)
	}
	sb, _ := os.ReadFile(filepath.Join(dir, "slurm", "job.sbatch"))
	if !strings.Contains(string(sb), "--nodes=2\n") || !strings.Contains(string(sb), "--ntasks-per-node=4\n") {
		t.Errorf("flags after the name were not applied:\n%s", sb)
	}
	if !strings.Contains(out, "template sweep") {
		t.Errorf("-t after the name was not applied: %s", out)
	}
}

func TestInterspersed(t *testing.T) {
	app := newApp(nil, nil)
	for _, c := range []struct{ in, want []string }{
		{[]string{"x", "new", "a", "--nodes", "2", "-n"}, []string{"x", "new", "--nodes", "2", "-n", "--", "a"}},
		{[]string{"x", "new", "--nodes=2", "a"}, []string{"x", "new", "--nodes=2", "--", "a"}},
		{[]string{"x", "new", "a", "--", "-b"}, []string{"x", "new", "--", "a", "-b"}},
		{[]string{"x", "--version"}, []string{"x", "--version"}},
		{[]string{"x", "new", "--force", "a", completionFlag}, []string{"x", "new", "--force", "--", "a", completionFlag}},
		{[]string{"x", "check", "dir"}, []string{"x", "check", "--", "dir"}},
	} {
		if got := interspersed(app, c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("interspersed(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestNewWithoutName: `new` alone shows its usage and says
// what is missing.
func TestNewWithoutName(t *testing.T) {
	out, err := runCLI(t, "new")
	if err == nil || !strings.Contains(err.Error(), "project NAME") {
		t.Fatalf("want an error naming the missing NAME, got %v", err)
	}
	if !strings.Contains(out, "USAGE") || !strings.Contains(out, "--template") {
		t.Errorf("new without a name prints no usage:\n%s", out)
	}
}

// TestVersion: --version tells the module version or the VCS
// revision, never a bare "dev".
func TestVersion(t *testing.T) {
	for _, c := range []struct {
		info *debug.BuildInfo
		want string
	}{
		{&debug.BuildInfo{Main: debug.Module{Version: "v0.3.1"}}, "v0.3.1"},
		{&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.time", Value: "2026-11-26T10:00:00Z"},
			{Key: "vcs.modified", Value: "true"}}}, "devel 0123456789ab 2026-11-26T10:00:00-dirty"},
		{&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "devel (built without VCS information)"},
	} {
		if got := versionFrom(c.info); got != c.want {
			t.Errorf("versionFrom(%+v) = %q, want %q", c.info.Main, got, c.want)
		}
	}
	out, err := runCLI(t, "--version")
	if err != nil || strings.Contains(out, "version dev\n") || !strings.Contains(out, "mpichan-init version ") {
		t.Errorf("--version: %v %q", err, out)
	}
}

// TestNewCreatesParents: new sub/dir/proj makes the parents,
// and a failure removes the parents it made.
func TestNewCreatesParents(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "sub", "dir", "proj")
	if out, err := runCLI(t, "new", dir); err != nil {
		t.Fatalf("new sub/dir/proj: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "main.go")); err != nil {
		t.Fatal(err)
	}
	srv := serve(t, tarGz(t, entry{name: "a", body: "x"}, entry{name: "a/b", body: "y"}), 0)
	if _, err := runCLI(t, "new", "-t", srv.URL+"/t.tar.gz", filepath.Join(root, "x", "y", "proj")); err == nil {
		t.Fatal("want a write failure")
	}
	if _, err := os.Stat(filepath.Join(root, "x")); !os.IsNotExist(err) {
		t.Errorf("failed generation left the parent it made: %v", err)
	}
}

// TestGitignore: the results of a template are ignored.
func TestGitignore(t *testing.T) {
	for tpl, want := range map[string]string{"sweep": "sweep.csv\n", "mapreduce": "wordcount.tsv\n", "minimal": ".mpi-pc\n"} {
		dir := filepath.Join(t.TempDir(), "job")
		if out, err := runCLI(t, "new", "-t", tpl, "--sdk-path", sdkPath(t), dir); err != nil {
			t.Fatalf("new: %v\n%s", err, out)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, ".gitignore")); !strings.Contains(string(b), want) {
			t.Errorf("%s: .gitignore lacks %q:\n%s", tpl, want, b)
		}
	}
}

// TestNoMakefileNoMakeRun: a template without a Makefile does
// not tell the user to run make.
func TestNoMakefileNoMakeRun(t *testing.T) {
	srv := serve(t, tarGz(t, entry{name: "README.md", body: "hi"}), 0)
	out, err := runCLI(t, "new", "-t", srv.URL+"/t.tar.gz", filepath.Join(t.TempDir(), "job"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "make run") || !strings.Contains(out, "no Makefile") {
		t.Errorf("output: %s", out)
	}
}

// TestSlurmOptions: the Slurm options a cluster needs reach
// both batch scripts; a partition list is accepted; bad values are refused.
func TestSlurmOptions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "job")
	out, err := runCLI(t, "new", dir, "--cpus-per-task", "4", "--mem", "8G", "--qos", "high", "--constraint", "skylake&ib",
		"--gres", "gpu:a100:1", "--partition", "a,b", "--module-load", "openmpi/4.1.5", "--module-load", "go")
	if err != nil {
		t.Fatalf("new: %v\n%s", err, out)
	}
	for _, s := range []string{"job.sbatch", "job-apptainer.sbatch"} {
		b, _ := os.ReadFile(filepath.Join(dir, "slurm", s))
		for _, want := range []string{"#SBATCH --cpus-per-task=4\n", "#SBATCH --mem=8G\n", "#SBATCH --qos=high\n",
			"#SBATCH --constraint=skylake&ib\n", "#SBATCH --gres=gpu:a100:1\n", "#SBATCH --partition=a,b\n",
			"#SBATCH --output=%x-%j.out\n", "\nmodule load openmpi/4.1.5\nmodule load go\n", "SRUN_CPUS_PER_TASK"} {
			if !strings.Contains(string(b), want) {
				t.Errorf("%s lacks %q", s, want)
			}
		}
	}
	for _, bad := range [][]string{{"--mem", "lots"}, {"--partition", "a b"}, {"--constraint", "a'b"},
		{"--module-load", "x;rm"}, {"--cpus-per-task", "0"}, {"--mpi", "lam"}} {
		if _, err := runCLI(t, append([]string{"new", filepath.Join(t.TempDir(), "j")}, bad...)...); err == nil {
			t.Errorf("new %v: want an error", bad)
		}
	}
}

// TestCompletion: the shipped bash script completes the
// flags of a command and the template names.
func TestCompletion(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("skipped: no bash")
	}
	bin := buildTool(t)
	script, err := exec.Command(bin, "completion").Output()
	if err != nil {
		t.Fatal(err)
	}
	complete := func(words ...string) string {
		t.Helper()
		f := filepath.Join(t.TempDir(), "c.sh")
		body := string(script) + "\nCOMP_WORDS=(" + strings.Join(words, " ") + ")\nCOMP_CWORD=$((${#COMP_WORDS[@]}-1))\n_mpichan_init\necho \"${COMPREPLY[*]}\"\n"
		os.WriteFile(f, []byte(body), 0o644)
		cmd := exec.Command("bash", f)
		cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH"))
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("completion %v: %v\n%s", words, err, b)
		}
		return strings.TrimSpace(string(b))
	}
	if got := complete("mpichan-init", "new", "--nt"); got != "--ntasks-per-node" {
		t.Errorf("new --nt<TAB> = %q", got)
	}
	if got := complete("mpichan-init", "new", "myjob", "--sdk-"); got != "--sdk-version --sdk-path" && got != "--sdk-path --sdk-version" {
		t.Errorf("new myjob --sdk-<TAB> = %q", got)
	}
	if got := complete("mpichan-init", "new", "-t", "sw"); got != "sweep" {
		t.Errorf("new -t sw<TAB> = %q", got)
	}
	if got := complete("mpichan-init", "ch"); got != "check" {
		t.Errorf("ch<TAB> = %q", got)
	}
}

// buildTool builds mpichan-init once per test binary.
func buildTool(t *testing.T) string {
	t.Helper()
	toolOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mpichan-init-bin-*")
		if err != nil {
			toolOnce.err = err
			return
		}
		toolOnce.bin = filepath.Join(dir, "mpichan-init")
		b, err := exec.Command("go", "build", "-o", toolOnce.bin, ".").CombinedOutput()
		if err != nil {
			toolOnce.err = &buildError{err, string(b)}
		}
	})
	if toolOnce.err != nil {
		t.Fatal(toolOnce.err)
	}
	return toolOnce.bin
}
