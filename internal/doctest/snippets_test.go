package doctest

import (
	"context"
	"fmt"
	"go/format"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// docBlock is a fenced block and the document it is in.
type docBlock struct {
	Doc string
	Block
}

// blocksOf returns the blocks of the documentation (the documents that
// docs lists) whose info string is lang.
func blocksOf(t *testing.T, lang string) []docBlock {
	t.Helper()
	var out []docBlock
	for doc := range docs(t) {
		md, err := os.ReadFile(filepath.Join(repoRoot, doc))
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range Blocks(string(md)) {
			if b.Lang == lang {
				out = append(out, docBlock{doc, b})
			}
		}
	}
	return out
}

// goPrograms returns the Go blocks of docs/*.md and the examples'
// READMEs, each named by its document and line (README.md's program is
// TestReadmeProgram's). Every one must be a complete, gofmt-formatted
// program (package main).
func goPrograms(t *testing.T) map[string]string {
	t.Helper()
	progs := map[string]string{}
	for _, b := range blocksOf(t, "go") {
		if b.Doc == "README.md" {
			continue
		}
		where := fmt.Sprintf("%s line %d", b.Doc, b.Line)
		src := strings.Join(b.Lines, "\n") + "\n"
		if !strings.HasPrefix(src, "package main\n") {
			t.Errorf("%s: a Go block must be a complete program, starting with \"package main\"", where)
			continue
		}
		if formatted, err := format.Source([]byte(src)); err != nil {
			t.Errorf("%s: %v", where, err)
			continue
		} else if string(formatted) != src {
			t.Errorf("%s: not gofmt-formatted; gofmt gives:\n%s", where, formatted)
		}
		progs[strings.NewReplacer("/", "_", ".", "_").Replace(b.Doc)+fmt.Sprintf("_line%d", b.Line)] = src
	}
	return progs
}

// TestSnippets: every Go block of the documentation (but README.md's, see
// goPrograms) is a complete program
// that passes go vet, builds against this checkout's SDK, and runs to a
// successful end on 2 ranks under Open MPI (the programs check their own
// results and exit non-zero when they are wrong).
func TestSnippets(t *testing.T) {
	env := openMPIEnv(t)
	progs := goPrograms(t)
	if t.Failed() || len(progs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	bin := buildPrograms(ctx, t, env, progs)
	names := make([]string, 0, len(progs))
	for name := range progs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		out, err := mpirun(ctx, env, 2, filepath.Join(bin, name))
		if err != nil {
			t.Errorf("%s on 2 ranks: %v\n%s", name, err, tail(string(out), 30))
		} else {
			t.Logf("%s on 2 ranks:\n%s", name, tail(string(out), 8))
		}
	}
}
