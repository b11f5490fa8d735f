package unpack

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/mpichan/mpichan/cmd/mpichan-init/internal/generate"
)

// Dir reads a local template directory into memory under the same rules
// and limits as Archive: regular files, directories and symbolic links
// that stay inside the directory; dot-directories such as .git are left
// out.
func Dir(dir string, lim Limits) ([]generate.File, error) {
	r := &reader{lim: lim.withDefaults(), seen: map[string]bool{}}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		var link string
		var f *os.File
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		case info.Mode().IsRegular():
			if f, err = os.Open(p); err != nil {
				return err
			}
			defer f.Close()
		}
		mode := info.Mode()
		if mode.IsRegular() {
			mode = mode.Perm()
		}
		if f == nil {
			return r.add(filepath.ToSlash(rel), mode, link, nil)
		}
		return r.add(filepath.ToSlash(rel), mode, link, f)
	})
	if err != nil {
		return nil, fmt.Errorf("unsafe or unreadable template directory %s: %w", dir, err)
	}
	if err := checkLinks(r.files); err != nil {
		return nil, fmt.Errorf("unsafe template directory %s: %w", dir, err)
	}
	sort.Slice(r.files, func(i, j int) bool { return r.files[i].Path < r.files[j].Path })
	return r.files, nil
}
