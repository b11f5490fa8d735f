package doctest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// repoRoot is the repository this package lives in.
const repoRoot = "../.."

// docs lists the documentation whose commands are run, each with the
// directory (relative to the root) its commands run in.
func docs(t *testing.T) map[string]string {
	t.Helper()
	m := map[string]string{"README.md": "."}
	for _, pat := range []string{"docs/*.md", "examples/*/README.md", "examples/README.md"} {
		files, _ := filepath.Glob(filepath.Join(repoRoot, pat))
		for _, f := range files {
			rel, _ := filepath.Rel(repoRoot, f)
			dir := "."
			if strings.HasPrefix(rel, "examples/") {
				dir = filepath.Dir(rel)
			}
			m[rel] = dir
		}
	}
	return m
}

// notRun reads docs/commands-not-run.txt: command → reason.
func notRun(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot, "docs", "commands-not-run.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cmd, why, ok := strings.Cut(line, " ## ")
		if !ok || strings.TrimSpace(why) == "" {
			t.Fatalf("commands-not-run.txt: %q has no \" ## reason\"", line)
		}
		m[strings.TrimSpace(cmd)] = why
	}
	return m
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// script turns a document's shell blocks and transcripts into one bash
// script, in document order: shell lines run as written (set -e), skipped
// ones are reported; a transcript's command must print its first output
// line, whatever its exit status.
func script(md string, skip map[string]string, used map[string]bool) (string, int) {
	var b strings.Builder
	b.WriteString("set -eo pipefail\n")
	n := 0
	for _, blk := range Blocks(md) {
		switch {
		case blk.Shell():
			for i, l := range blk.Lines {
				cmd := Command(l)
				if cmd == "" {
					continue
				}
				where := fmt.Sprintf("line %d", blk.Line+1+i)
				if why, ok := skip[cmd]; ok {
					used[cmd] = true
					fmt.Fprintf(&b, "echo %s\n", quote("doctest: not run ("+where+"): "+cmd+" ## "+why))
					continue
				}
				n++
				fmt.Fprintf(&b, "echo %s\n%s || { echo %s; exit 1; }\n", quote("doctest: "+where+": $ "+cmd), cmd, quote("doctest: FAILED at "+where+": "+cmd))
			}
		case blk.Lang == "":
			for _, tr := range blk.Transcripts() {
				n++
				fmt.Fprintf(&b, "echo %s\nout=$( { %s ; } 2>&1 || true)\nprintf '%%s\\n' \"$out\"\n", quote("doctest: $ "+tr.Command), tr.Command)
				if tr.FirstOutput != "" {
					fmt.Fprintf(&b, "case \"$out\" in *%s*) ;; *) echo %s; exit 1;; esac\n", quote(tr.FirstOutput),
						quote("doctest: FAILED: "+tr.Command+" does not print: "+tr.FirstOutput))
				}
			}
		}
	}
	return b.String(), n
}

// freshCopy copies the files git tracks (as they are in the work tree)
// into a new directory: the repository as a fresh clone would have it.
func freshCopy(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("git", "-C", repoRoot, "ls-files", "-z").Output()
	if err != nil {
		t.Skipf("skipped: not a git checkout: %v", err)
	}
	dst := t.TempDir()
	for _, f := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		src := filepath.Join(repoRoot, f)
		st, err := os.Lstat(src)
		if err != nil {
			continue // deleted in the work tree
		}
		to := filepath.Join(dst, f)
		os.MkdirAll(filepath.Dir(to), 0o755)
		if st.Mode()&os.ModeSymlink != 0 {
			l, _ := os.Readlink(src)
			os.Symlink(l, to)
			continue
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, b, st.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// TestDocCommands: every shell command of the
// documentation runs as written, each document on its own fresh copy of the
// repository, with no cgo flags in the environment; the commands that
// cannot run here are listed, with the reason, in docs/commands-not-run.txt,
// and every line of that list must still be in the documentation. Blocks
// for MPICH (MPI=mpich, mpiexec.hydra) run MPICH.
func TestDocCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode: builds and runs every documented command")
	}
	for _, c := range []string{"bash", "make", "mpirun", "mpiexec.hydra", "pkg-config", "git"} {
		if _, err := exec.LookPath(c); err != nil {
			t.Skipf("skipped: %s not found", c)
		}
	}
	skip := notRun(t)
	used := map[string]bool{}
	for doc, dir := range docs(t) {
		md, err := os.ReadFile(filepath.Join(repoRoot, doc))
		if err != nil {
			t.Fatal(err)
		}
		sh, n := script(string(md), skip, used)
		if n == 0 {
			continue
		}
		t.Run(strings.ReplaceAll(doc, "/", "_"), func(t *testing.T) {
			root := freshCopy(t)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "bash", "-c", sh)
			cmd.Dir = filepath.Join(root, dir)
			cmd.Env = append(userEnv(), "CGO_CFLAGS=", "CGO_LDFLAGS=")
			cmd.WaitDelay = 10 * time.Second
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Errorf("%s: %v\n%s", doc, err, tail(string(out), 60))
			} else {
				t.Logf("%s: %d commands ran\n%s", doc, n, tail(string(out), 15))
			}
		})
	}
	for cmd := range skip {
		if !used[cmd] {
			t.Errorf("docs/commands-not-run.txt lists %q, which no document has any more", cmd)
		}
	}
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func TestCommand(t *testing.T) {
	for in, want := range map[string]string{
		"make demo   # installs": "make demo",
		`echo "a # b" # c`:       `echo "a # b"`,
		"# only a comment":       "",
		"go build":               "go build",
	} {
		if got := Command(in); got != want {
			t.Errorf("Command(%q) = %q, want %q", in, got, want)
		}
	}
}

// userEnv is this process's environment as a user's shell would have it:
// without the variables a surrounding make passes down (under `make test`,
// MAKEFLAGS carries MPI=openmpi, which would override the MPI=mpich that a
// documented command sets for its own make).
func userEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		switch strings.SplitN(kv, "=", 2)[0] {
		case "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "MPI":
			continue
		}
		env = append(env, kv)
	}
	return env
}
