package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mpichan/mpichan/sdk/jobkit"
)

func TestArrayPart(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	p, ok, err := arrayPart(env(map[string]string{"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "3"}))
	if err != nil || !ok || p != (part{2, 4}) {
		t.Errorf("array task 5 of 3-6: %v %v %v", p, ok, err)
	}
	if _, ok, err := arrayPart(env(nil)); ok || err != nil {
		t.Errorf("outside an array: %v %v", ok, err)
	}
	if _, _, err := arrayPart(env(map[string]string{"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_STEP": "2"})); err == nil {
		t.Error("a stepped array was accepted")
	}
	var q part
	for _, bad := range []string{"4/4", "-1/2", "1", "a/b", "0/0"} {
		if q.Set(bad) == nil {
			t.Errorf("-part %s accepted", bad)
		}
	}
	if q.Set("1/3") != nil || !q.has(4) || q.has(3) || partFile("out/sweep.csv", q) != "out/sweep-part1of3.csv" {
		t.Errorf("-part 1/3: %+v %s", q, partFile("out/sweep.csv", q))
	}
}

// TestArrayMerge: three parts of a grid, as a job array of
// three tasks writes them, merge into the file a whole run writes, byte
// for byte; a missing part is named, and the merged file is not written.
func TestArrayMerge(t *testing.T) {
	dir := t.TempDir()
	cfg := config{damping: span{0.1, 1, 4}, omega: span{0.2, 3, 9}, out: filepath.Join(dir, "sweep.csv"), plot: filepath.Join(dir, "sweep.svg")}
	pts := grid(cfg.damping, cfg.omega)
	rows := sequential(pts)
	var whole bytes.Buffer
	all := make([]bool, len(pts))
	for i := range all {
		all[i] = true
	}
	writeCSV(&whole, rows, all)
	write := func(k int) {
		p := part{k, 3}
		done := make([]bool, len(pts))
		for i := range done {
			done[i] = p.has(i)
		}
		if err := jobkit.WriteFileAtomic(partFile(cfg.out, p), func(w io.Writer) error { return writeCSV(w, rows, done) }); err != nil {
			t.Fatal(err)
		}
	}
	write(0)
	write(2)
	if err := mergeParts(cfg); err == nil || !strings.Contains(err.Error(), "12 of 36 points are in none of") {
		t.Errorf("merge with a part missing: %v", err)
	}
	if _, err := os.Stat(cfg.out); !os.IsNotExist(err) {
		t.Error("an incomplete merge wrote the result")
	}
	write(1)
	if err := mergeParts(cfg); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(cfg.out); !bytes.Equal(got, whole.Bytes()) {
		t.Errorf("merged CSV differs from a whole run's:\n%s\nwant:\n%s", got, whole.Bytes())
	}
	if _, err := os.Stat(cfg.plot); err != nil {
		t.Errorf("no plot after the merge: %v", err)
	}
}
