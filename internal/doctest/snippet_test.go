package doctest

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestReadmeProgram: the README's Go program, copied as it
// is, compiles against this checkout's SDK and, on 1, 2 and 4 ranks, takes
// all 100 tasks exactly once between the ranks (1 rank: no hang, although
// 100 tasks do not fit in the channel).
func TestReadmeProgram(t *testing.T) {
	env := openMPIEnv(t)
	md, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var src string
	for _, b := range Blocks(string(md)) {
		if b.Lang == "go" {
			src = strings.Join(b.Lines, "\n") + "\n"
			break
		}
	}
	if !strings.HasPrefix(src, "package main") {
		t.Fatalf("the README's first Go block is not a complete program:\n%s", src)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	bin := filepath.Join(buildPrograms(ctx, t, env, map[string]string{"readme": src}), "readme")
	re := regexp.MustCompile(`rank (\d+) of (\d+) took (\d+) tasks`)
	for _, np := range []int{1, 2, 4} {
		out, err := mpirun(ctx, env, np, bin)
		if err != nil {
			t.Errorf("%d ranks: %v\n%s", np, err, out)
			continue
		}
		total, ranks := 0, 0
		for _, m := range re.FindAllStringSubmatch(string(out), -1) {
			n, _ := strconv.Atoi(m[3])
			total += n
			ranks++
		}
		if total != 100 || ranks != np {
			t.Errorf("%d ranks: %d ranks took %d tasks, want %d ranks and 100 tasks:\n%s", np, ranks, total, np, out)
		}
	}
}
