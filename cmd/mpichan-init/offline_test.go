package main

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mpichan/mpichan/cmd/mpichan-init/internal/defcheck"
)

// offlineEnv is an environment with no network and no module cache: a
// project must build from what it carries.
func offlineEnv(t *testing.T) []string {
	t.Helper()
	return append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOMODCACHE="+t.TempDir(),
		"GONOSUMDB=*", "GOTOOLCHAIN=local", "CGO_CFLAGS=", "CGO_LDFLAGS=")
}

func needMPI(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("skipped in -short mode: builds and runs MPI jobs")
	}
	for _, c := range []string{"mpirun", "pkg-config", "make"} {
		if _, err := exec.LookPath(c); err != nil {
			t.Skipf("skipped: %s not found", c)
		}
	}
	if exec.Command("pkg-config", "--exists", "ompi-c").Run() != nil {
		t.Skip("skipped: no Open MPI development files")
	}
}

// TestNewBuildsOffline: a project of every template, made with no flags,
// builds with make build and prints its result under mpirun -n 3, with
// GOFLAGS=-mod=mod GOPROXY=off and an empty module cache: the module bundle
// the binary embeds is all it needs. So does one made from the Go program
// examples/montecarlo with `make run NP=2`.
func TestNewBuildsOffline(t *testing.T) {
	needMPI(t)
	for name, tr := range templateRuns {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "myjob")
			if out, err := runCLI(t, "new", "-t", name, dir); err != nil {
				t.Fatalf("new: %v\n%s", err, out)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
			defer cancel()
			env := append(offlineEnv(t), "OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1", "OMPI_MCA_opal_signal=")
			run(t, ctx, dir, env, "make", "build")
			args := append([]string{"--oversubscribe", "--bind-to", "none", "-n", "3", "./myjob"}, tr.args...)
			if out := run(t, ctx, dir, env, "mpirun", args...); !regexp.MustCompile(tr.want).MatchString(out) {
				t.Errorf("output lacks %q:\n%s", tr.want, out)
			}
			if strings.Contains(run(t, ctx, dir, env, "make", "-n", "build"), "tidy") {
				t.Error("make build runs go mod tidy")
			}
		})
	}
	t.Run("examples/montecarlo", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "mymc")
		if out, err := runCLI(t, "new", "--template", "../../examples/montecarlo", dir); err != nil {
			t.Fatalf("new: %v\n%s", err, out)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
		defer cancel()
		if out := run(t, ctx, dir, offlineEnv(t), "make", "run", "NP=2"); !strings.Contains(out, "tasks on 2 ranks") {
			t.Errorf("make run NP=2:\n%s", out)
		}
	})
}

// TestContainerRecipes: for every template, copy
// exactly the %files of apptainer/job.def into an empty directory, then run
// %post's build step there, offline; the checker passes the definition.
func TestContainerRecipes(t *testing.T) {
	needMPI(t)
	for _, tpl := range builtinTemplates {
		t.Run(tpl, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "job")
			if out, err := runCLI(t, "new", "-t", tpl, dir); err != nil {
				t.Fatalf("new: %v\n%s", err, out)
			}
			if out, err := runCLI(t, "check", dir); err != nil {
				t.Errorf("check: %v\n%s", err, out)
			}
			def, err := os.ReadFile(filepath.Join(dir, "apptainer", "job.def"))
			if err != nil {
				t.Fatal(err)
			}
			root := t.TempDir() // stands for the container's /
			for _, e := range defcheck.Files(def) {
				copyEntry(t, dir, root, e)
			}
			script := postBuild(t, string(def), root)
			ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
			defer cancel()
			run(t, ctx, root, offlineEnv(t), "bash", "-euc", script)
			if _, err := os.Stat(filepath.Join(root, "opt", "job", "bin", "job")); err != nil {
				t.Errorf("the recipe built no binary: %v", err)
			}
		})
	}
}

// copyEntry copies one %files entry as Apptainer does (cp -r semantics,
// destination inside root).
func copyEntry(t *testing.T, project, root string, e defcheck.FileEntry) {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(project, e.Src))
	if len(matches) == 0 {
		t.Fatalf("%%files line %d: %s matches nothing", e.Line, e.Src)
	}
	for _, m := range matches {
		dst := filepath.Join(root, e.Dst)
		if strings.HasSuffix(e.Dst, "/") || len(matches) > 1 {
			dst = filepath.Join(dst, filepath.Base(m))
		}
		err := filepath.WalkDir(m, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(m, p)
			to := filepath.Join(dst, rel)
			if d.IsDir() {
				return os.MkdirAll(to, 0o755)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			os.MkdirAll(filepath.Dir(to), 0o755)
			return os.WriteFile(to, b, 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// postBuild returns %post's lines from its `cd` into the sources through
// the `go build`, with /opt moved under root.
func postBuild(t *testing.T, def, root string) string {
	t.Helper()
	_, post, ok := strings.Cut(def, "\n%post\n")
	if !ok {
		t.Fatalf("no %%post section")
	}
	start := strings.Index(post, "cd /opt/")
	end := strings.Index(post, "go build")
	if start < 0 || end < start {
		t.Fatalf("%%post has no cd /opt/... then go build:\n%s", post)
	}
	end += strings.Index(post[end:], "\n")
	return strings.ReplaceAll(post[start:end], "/opt/", root+"/opt/")
}

// TestCheckFilesCatchesMissing: the checker names a package
// directory, go.sum or vendor/ that %files leaves out, and a source outside
// the project.
func TestCheckFilesCatchesMissing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "job")
	if out, err := runCLI(t, "new", dir); err != nil {
		t.Fatalf("new: %v\n%s", err, out)
	}
	os.MkdirAll(filepath.Join(dir, "util"), 0o755)
	os.WriteFile(filepath.Join(dir, "util", "util.go"), []byte("package util\n"), 0o644)
	defPath := filepath.Join(dir, "apptainer", "job.def")
	def, _ := os.ReadFile(defPath)
	broken := strings.Replace(string(def), "    go.sum /opt/job/src/go.sum\n", "    ../sdk /opt/mpichan-sdk\n", 1)
	os.WriteFile(defPath, []byte(broken), 0o644)
	out, err := runCLI(t, "check", dir)
	if err == nil {
		t.Fatalf("check passed a %%files list that misses util/ and go.sum:\n%s", out)
	}
	for _, want := range []string{"leaves out package directory util/", "leaves out go.sum", `"../sdk" is outside the project`} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
}
