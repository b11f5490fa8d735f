package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mpichan/mpichan/templates"
)

// TestNewFromExample: --template on an example's directory makes the same
// project as the built-in template made from it (Makefile, Slurm scripts,
// container definition, vendor/), but for the lines that name the
// template; the example's tests, README and Makefile stay out.
func TestNewFromExample(t *testing.T) {
	for tpl, ex := range templates.FromExamples {
		t.Run(tpl, func(t *testing.T) {
			fromEx := filepath.Join(t.TempDir(), "job")
			exDir := filepath.Join("..", "..", "examples", ex)
			if out, err := runCLI(t, "new", "--template", exDir, fromEx); err != nil {
				t.Fatalf("new --template %s: %v\n%s", exDir, err, out)
			}
			builtin := filepath.Join(t.TempDir(), "job")
			if out, err := runCLI(t, "new", "--template", tpl, builtin); err != nil {
				t.Fatalf("new --template %s: %v\n%s", tpl, err, out)
			}
			a, b := snapshot(t, fromEx), snapshot(t, builtin)
			if len(a) != len(b) {
				t.Errorf("%d entries from the example, %d from the built-in template", len(a), len(b))
			}
			for p, data := range b {
				if a[p] == data {
					continue
				}
				for _, l := range diffLines(a[p], data) {
					if !strings.Contains(l, exDir) && !strings.Contains(l, tpl) {
						t.Errorf("%s differs in a line that does not name the template: %q", p, l)
					}
				}
			}
			for _, p := range []string{"vendor/modules.txt", "main.go", "Makefile", "slurm/job.sbatch", "apptainer/job.def"} {
				if _, ok := a[p]; !ok {
					t.Errorf("the project from the example has no %s", p)
				}
			}
			for p := range a {
				if strings.HasSuffix(p, "_test.go") || p == "README.md.raw" {
					t.Errorf("the project from the example has %s", p)
				}
			}
		})
	}
}

// diffLines returns the lines of a and b that are not in both.
func diffLines(a, b string) []string {
	count := map[string]int{}
	for _, l := range strings.Split(a, "\n") {
		count[l]++
	}
	for _, l := range strings.Split(b, "\n") {
		count[l]--
	}
	var out []string
	for l, n := range count {
		if n != 0 {
			out = append(out, l)
		}
	}
	return out
}

// TestNewFromProgram: a copied and edited example is a program too; one
// that imports a package no bundled template vendors needs --sdk-path or
// --sdk-version, and then its go.mod requires the SDK alone; a directory
// of a library package is refused.
func TestNewFromProgram(t *testing.T) {
	prog := t.TempDir()
	os.WriteFile(filepath.Join(prog, "main.go"), []byte("package main\n\nimport (\n\t_ \"example.com/elsewhere\"\n\n\tmpichan \"github.com/mpichan/mpichan/sdk\"\n)\n\nfunc main() { _ = mpichan.Rank }\n"), 0o644)
	os.WriteFile(filepath.Join(prog, "main_test.go"), []byte("package main\n"), 0o644)
	os.WriteFile(filepath.Join(prog, "Makefile"), []byte("all:\n\t@echo copy me\n"), 0o644)
	parent := t.TempDir()
	_, err := runCLI(t, "new", "--template", prog, filepath.Join(parent, "job"))
	if err == nil || !strings.Contains(err.Error(), "example.com/elsewhere") || !strings.Contains(err.Error(), "--sdk-path") {
		t.Fatalf("want an error naming the import and --sdk-path, got %v", err)
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 0 {
		t.Errorf("a refused program wrote %v", ents)
	}
	dir := filepath.Join(parent, "job")
	if out, err := runCLI(t, "new", "--template", prog, "--sdk-path", sdkPath(t), dir); err != nil {
		t.Fatalf("new --sdk-path: %v\n%s", err, out)
	}
	mod, _ := os.ReadFile(filepath.Join(dir, "go.mod"))
	if !strings.Contains(string(mod), "require github.com/mpichan/mpichan/sdk v") || strings.Contains(string(mod), "gompi") {
		t.Errorf("go.mod should require the SDK alone:\n%s", mod)
	}
	mk, _ := os.ReadFile(filepath.Join(dir, "Makefile"))
	if strings.Contains(string(mk), "copy me") {
		t.Error("the program's own Makefile replaced the project's")
	}
	if _, err := os.Stat(filepath.Join(dir, "main_test.go")); err == nil {
		t.Error("the program's test file was copied")
	}

	lib := t.TempDir()
	os.WriteFile(filepath.Join(lib, "lib.go"), []byte("package lib\n"), 0o644)
	if _, err := runCLI(t, "new", "--template", lib, filepath.Join(t.TempDir(), "job")); err == nil || !strings.Contains(err.Error(), "package main") {
		t.Errorf("a library directory: want an error naming package main, got %v", err)
	}
}
