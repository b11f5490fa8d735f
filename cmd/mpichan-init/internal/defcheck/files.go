package defcheck

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// FileEntry is one line of a %files section: a source in the build
// directory and where it goes in the container.
type FileEntry struct {
	Line     int
	Src, Dst string
}

// Files returns the entries of the %files sections of every stage (not
// those of %files from ... , which copy between stages).
func Files(data []byte) []FileEntry {
	var out []FileEntry
	in := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		if strings.HasPrefix(fields[0], "%") {
			in = strings.EqualFold(fields[0], "%files") && len(fields) == 1
			continue
		}
		if bootstrapLine.MatchString(fields[0]) {
			in = false
			continue
		}
		if in {
			e := FileEntry{Line: n, Src: fields[0], Dst: fields[0]}
			if len(fields) > 1 {
				e.Dst = fields[1]
			}
			out = append(out, e)
		}
	}
	return out
}

// Needs lists what a Go build of the project in fsys needs: go.mod, go.sum,
// every directory that holds non-test Go files (the root as "."), and
// vendor/ when the project has vendor/modules.txt.
func Needs(fsys fs.FS) ([]string, error) {
	need := map[string]bool{"go.mod": true, "go.sum": true}
	if _, err := fs.Stat(fsys, "vendor/modules.txt"); err == nil {
		need["vendor"] = true
	}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		base := d.Name()
		if d.IsDir() {
			if p != "." && (base == "vendor" || base == "testdata" || strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_")) {
				return fs.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(base, ".go") && !strings.HasSuffix(base, "_test.go") {
			need[path.Dir(p)] = true
		}
		return nil
	})
	var out []string
	for k := range need {
		out = append(out, k)
	}
	sort.Strings(out)
	return out, err
}

// CheckFiles checks the %files sections of a definition against a project
// built from the directory fsys: every source must lie inside the project
// and exist, and everything in Needs must be copied (a directory counts as
// copied when its Go files are, by the directory itself, a parent, or a glob
// such as *.go).
func CheckFiles(data []byte, fsys fs.FS) ([]Problem, error) {
	need, err := Needs(fsys)
	if err != nil {
		return nil, err
	}
	var probs []Problem
	var covered []string // clean source paths and globs
	last := 1
	for _, e := range Files(data) {
		last = e.Line
		src := path.Clean(strings.TrimPrefix(e.Src, "./"))
		if path.IsAbs(e.Src) || src == ".." || strings.HasPrefix(src, "../") {
			probs = append(probs, Problem{e.Line, fmt.Sprintf("%%files source %q is outside the project directory; copy what the build needs into the project (vendor/) instead", e.Src)})
			continue
		}
		if src == "vendor" {
			covered = append(covered, src) // made by go mod vendor (make sif) when missing
			continue
		}
		if m, err := fs.Glob(fsys, src); err != nil || len(m) == 0 {
			probs = append(probs, Problem{e.Line, fmt.Sprintf("%%files source %q does not exist in the project", e.Src)})
			continue
		}
		covered = append(covered, src)
	}
	for _, n := range need {
		if !coveredBy(n, covered) {
			what := "package directory " + n + "/"
			switch {
			case n == ".":
				what = "the root package's *.go"
			case n == "go.mod" || n == "go.sum":
				what = n
			case n == "vendor":
				what = "vendor/ (the modules the build uses)"
			}
			probs = append(probs, Problem{last, fmt.Sprintf("%%files leaves out %s, which the Go build needs", what)})
		}
	}
	return probs, nil
}

// coveredBy reports whether need (a file or a package directory) is copied
// by one of the %files sources.
func coveredBy(need string, srcs []string) bool {
	for _, s := range srcs {
		switch {
		case s == need, s == ".":
			return true
		case strings.HasPrefix(need, s+"/"): // a parent directory
			return true
		case need != "go.mod" && need != "go.sum" && need != "vendor":
			// A glob of the package's Go files, e.g. *.go or jobkit/*.go.
			if ok, _ := path.Match(s, path.Join(need, "x.go")); ok {
				return true
			}
		}
	}
	return false
}
