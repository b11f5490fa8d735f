package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mpichan/mpichan/sdk/jobkit"
)

// part is the -part flag, K/N: this run computes the grid points whose
// index is K modulo N, into OUT-partKofN.csv, for a Slurm job array of N
// tasks (sbatch --array=0-(N-1)); -merge joins the parts. The zero value
// is the whole grid.
type part struct{ k, n int }

func (p *part) String() string {
	if p.n <= 1 {
		return ""
	}
	return fmt.Sprintf("%d/%d", p.k, p.n)
}

// Set parses K/N with 0 <= K < N.
func (p *part) Set(v string) error {
	ks, ns, ok := strings.Cut(v, "/")
	k, err1 := strconv.Atoi(ks)
	n, err2 := strconv.Atoi(ns)
	if !ok || err1 != nil || err2 != nil || n < 1 || k < 0 || k >= n {
		return errors.New("want K/N with 0 <= K < N, e.g. 0/4")
	}
	p.k, p.n = k, n
	return nil
}

// has reports whether grid point i belongs to this part.
func (p part) has(i int) bool { return p.n <= 1 || i%p.n == p.k }

// arrayPart is the part of a Slurm job array task: its index from
// SLURM_ARRAY_TASK_MIN, of SLURM_ARRAY_TASK_COUNT (sbatch --array=0-3
// gives parts 0/4 .. 3/4). ok is false outside a job array.
func arrayPart(getenv func(string) string) (p part, ok bool, err error) {
	id, count := getenv("SLURM_ARRAY_TASK_ID"), getenv("SLURM_ARRAY_TASK_COUNT")
	if id == "" || count == "" {
		return p, false, nil
	}
	i, err1 := strconv.Atoi(id)
	n, err2 := strconv.Atoi(count)
	lo, err3 := strconv.Atoi(getenv("SLURM_ARRAY_TASK_MIN"))
	step := getenv("SLURM_ARRAY_TASK_STEP")
	if err1 != nil || err2 != nil || err3 != nil || (step != "" && step != "1") || i-lo < 0 || i-lo >= n {
		return p, false, fmt.Errorf("job array task %s of %s (min %s, step %s): use a contiguous array such as --array=0-%d, or -part K/N",
			id, count, getenv("SLURM_ARRAY_TASK_MIN"), step, max(n-1, 1))
	}
	return part{i - lo, n}, true, nil
}

// partFile is where part p of a sweep into out writes its rows.
func partFile(out string, p part) string {
	ext := filepath.Ext(out)
	return fmt.Sprintf("%s-part%dof%d%s", strings.TrimSuffix(out, ext), p.k, p.n, ext)
}

// setPart applies -part, or the job array's part, to the configuration:
// the rows go to the part's own file, and the plot waits for -merge.
func (c *config) setPart() error {
	if c.part.n == 0 {
		p, ok, err := arrayPart(os.Getenv)
		if err != nil {
			return err
		}
		if ok {
			c.part = p
		}
	}
	if c.part.n > 1 {
		c.merged, c.out = c.out, partFile(c.out, c.part)
	}
	return nil
}

// mergeParts joins the part files of out (OUT-part*of*.csv) into out and
// draws the plot. Every grid point must be in some part.
func mergeParts(cfg config) error {
	pts := grid(cfg.damping, cfg.omega)
	files, _ := filepath.Glob(strings.TrimSuffix(cfg.out, filepath.Ext(cfg.out)) + "-part*of*" + filepath.Ext(cfg.out))
	if len(files) == 0 {
		return fmt.Errorf("-merge: no part files %s", partFile(cfg.out, part{0, 0}))
	}
	rows, done := make([]row, len(pts)), make([]bool, len(pts))
	for _, f := range files {
		r, d, err := readCSV(f, pts)
		if err != nil {
			return err
		}
		for i := range pts {
			if d[i] {
				rows[i], done[i] = r[i], true
			}
		}
	}
	missing := 0
	for _, d := range done {
		if !d {
			missing++
		}
	}
	if missing > 0 {
		return fmt.Errorf("-merge: %d of %d points are in none of %s; run the missing parts (or the array again: finished points are kept)", missing, len(pts), strings.Join(files, ", "))
	}
	if err := jobkit.WriteFileAtomic(cfg.out, func(w io.Writer) error { return writeCSV(w, rows, done) }); err != nil {
		return err
	}
	if err := drawPlot(cfg, rows); err != nil {
		return err
	}
	fmt.Printf("%s: merged %d part files into %s (%d points), plot in %s\n", progName, len(files), cfg.out, len(pts), cfg.plot)
	return nil
}
