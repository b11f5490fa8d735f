package tplsync

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// Diff lists the files (slash-separated, relative) that differ between
// directory trees a and b, or exist in one only. A missing tree counts as
// empty.
func Diff(a, b string) ([]string, error) {
	ta, err := readTree(a)
	if err != nil {
		return nil, err
	}
	tb, err := readTree(b)
	if err != nil {
		return nil, err
	}
	var out []string
	for p, data := range ta {
		if other, ok := tb[p]; !ok || !bytes.Equal(data, other) {
			out = append(out, p)
		}
	}
	for p := range tb {
		if _, ok := ta[p]; !ok {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out, nil
}

// readTree maps every file under dir to its content; a missing dir is empty.
func readTree(dir string) (map[string][]byte, error) {
	m := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if os.IsNotExist(err) && p == dir {
			return filepath.SkipAll
		}
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		m[filepath.ToSlash(rel)] = b
		return err
	})
	return m, err
}
