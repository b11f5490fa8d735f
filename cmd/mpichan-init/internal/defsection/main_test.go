package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	def := write("job.def", "Bootstrap: docker\nFrom: golang:1.26-bookworm\n%files\n    *.go /src/\n    go.mod\n%post\n    go build\n")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{def, "header", "From"}, "golang:1.26-bookworm\n"},
		{[]string{def, "section", "%post"}, "    go build\n"},
		{[]string{def, "section", "runscript"}, ""},
		{[]string{def, "files"}, "*.go /src/\ngo.mod go.mod\n"},
	} {
		if got, err := run(c.args); err != nil || got != c.want {
			t.Errorf("run(%q) = %q, %v; want %q", c.args[1:], got, err, c.want)
		}
	}
	twoStages := write("two.def", "Bootstrap: docker\nFrom: a\nBootstrap: docker\nFrom: b\n")
	bad := write("bad.def", "Bootstrap: docker\n%postt\n")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{def, "header", "Stage"}, `no "Stage" header line`},
		{[]string{def, "sections"}, "unknown request"},
		{[]string{twoStages, "files"}, "2 stages"},
		{[]string{bad, "files"}, `unknown section "%postt"`},
		{[]string{filepath.Join(dir, "missing.def"), "files"}, "no such file"},
	} {
		if _, err := run(c.args); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("run(%q) error = %v, want one containing %q", c.args[1:], err, c.want)
		}
	}
}
