package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func sdkPath(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs("../../sdk")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestNewMinimal: the default template writes the whole project.
func TestNewMinimal(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "job")
	out, err := runCLI(t, "new", "--nodes", "2", "--ntasks-per-node", "4", "--partition", "debug",
		"--account", "proj1", "--sdk-path", sdkPath(t), dir)
	if err != nil {
		t.Fatalf("new: %v\n%s", err, out)
	}
	for _, f := range []string{"go.mod", "main.go", "Makefile", "README.md", ".gitignore",
		"slurm/job.sbatch", "slurm/job-apptainer.sbatch", "apptainer/job.def"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	sb, _ := os.ReadFile(filepath.Join(dir, "slurm/job.sbatch"))
	for _, want := range []string{"#SBATCH --nodes=2\n", "#SBATCH --ntasks-per-node=4\n",
		"#SBATCH --partition=debug\n", "#SBATCH --account=proj1\n", "SRUN_MPI=${MPICHAN_SRUN_MPI:-pmix}", "mpirun"} {
		if !strings.Contains(string(sb), want) {
			t.Errorf("job.sbatch lacks %q", want)
		}
	}
	if st, _ := os.Stat(filepath.Join(dir, "slurm/job.sbatch")); st.Mode()&0o100 == 0 {
		t.Error("job.sbatch is not executable")
	}
	mod, _ := os.ReadFile(filepath.Join(dir, "go.mod"))
	if !strings.Contains(string(mod), "replace github.com/mpichan/mpichan/sdk => ../") {
		t.Errorf("go.mod has no relative replace line:\n%s", mod)
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o755 {
		t.Errorf("project directory mode %v, want 0755", st.Mode().Perm())
	}
}

// TestNewRefusesNonEmpty (acceptance 4): a non-empty target without
// --force fails and changes nothing; with --force it is written into.
func TestNewRefusesNonEmpty(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "job")
	os.Mkdir(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("mine"), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("keep"), 0o644)
	before := snapshot(t, filepath.Dir(dir))
	_, err := runCLI(t, "new", dir)
	if err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("want a refusal naming --force, got %v", err)
	}
	sameTree(t, "after refused new", before, snapshot(t, filepath.Dir(dir)))

	if out, err := runCLI(t, "new", "--force", dir); err != nil {
		t.Fatalf("new --force: %v\n%s", err, out)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "notes.txt")); string(b) != "keep" {
		t.Error("--force lost an unrelated file")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "main.go")); string(b) == "mine" {
		t.Error("--force did not replace main.go")
	}
}

// TestNewDryRun (acceptance 4): --dry-run lists the files and writes nothing.
func TestNewDryRun(t *testing.T) {
	parent := t.TempDir()
	out, err := runCLI(t, "new", "--dry-run", filepath.Join(parent, "job"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "slurm/job.sbatch") || !strings.Contains(out, "nothing written") {
		t.Errorf("dry run output:\n%s", out)
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 0 {
		t.Errorf("dry run wrote %v", ents)
	}
}

// TestNewFailsPartWay (acceptance 4): a generation that fails while
// writing leaves no directory behind (here: an archive with a file "a" and
// a file "a/b", which fails after "a" is written).
func TestNewFailsPartWay(t *testing.T) {
	srv := serve(t, tarGz(t, entry{name: "a", body: "x"}, entry{name: "a/b", body: "y"}), 0)
	parent := t.TempDir()
	_, err := runCLI(t, "new", "--template", srv.URL+"/t.tar.gz", filepath.Join(parent, "job"))
	if err == nil || !strings.Contains(err.Error(), "nothing was left behind") {
		t.Fatalf("want a write failure, got %v", err)
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 0 {
		t.Errorf("failed generation left %v", ents)
	}
}

// TestNewBadFlags: bad values fail before anything is written.
func TestNewBadFlags(t *testing.T) {
	parent := t.TempDir()
	for _, args := range [][]string{
		{"--nodes", "0"}, {"--time", "soon"}, {"--partition", "a b"}, {"--template", "nope"},
		{"--sdk-path", parent}, {"--sdk-version", "v1", "--sdk-path", "x"}, {"--module", "a b"},
	} {
		if _, err := runCLI(t, append(append([]string{"new"}, args...), filepath.Join(parent, "job"))...); err == nil {
			t.Errorf("new %v: want an error", args)
		}
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 0 {
		t.Errorf("bad flags wrote %v", ents)
	}
}

// TestList: list names the templates.
func TestList(t *testing.T) {
	out, err := runCLI(t, "list")
	if err != nil || !strings.Contains(out, "minimal") {
		t.Fatalf("list: %v\n%s", err, out)
	}
}
