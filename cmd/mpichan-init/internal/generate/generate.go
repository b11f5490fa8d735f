// Package generate renders a template tree and writes it atomically.
//
// Template files whose names end in ".tmpl" are rendered with text/template
// using the delimiters "[[" and "]]" (they cannot clash with shell ${...} or
// Slurm's %j patterns) and lose the suffix; files ending in ".raw" lose the
// suffix and are copied as they are (Go code can hold "[[", as in
// New[[]byte]), like all other files. Placeholders also work in every file
// and directory name.
package generate

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"text/template"
)

// File is one entry of a template or of a generated project. Path is
// slash-separated and relative; Link, when set, makes the entry a symbolic
// link with that target; Mode fs.ModeDir makes it a directory.
type File struct {
	Path string
	Data []byte
	Mode fs.FileMode
	Link string
}

// Delimiters of placeholders in templates and file names.
const (
	LeftDelim  = "[["
	RightDelim = "]]"
)

// FromFS reads every file under root of fsys into a template tree, skipping
// the files named in skip (relative to root).
func FromFS(fsys fs.FS, root string, skip ...string) ([]File, error) {
	var files []File
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel := strings.TrimPrefix(p, root+"/")
		for _, s := range skip {
			if rel == s {
				return nil
			}
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		files = append(files, File{Path: rel, Data: data, Mode: 0o644})
		return nil
	})
	return files, err
}

// Overlay returns base with every file of top added, replacing the base
// file of the same path.
func Overlay(base, top []File) []File {
	seen := map[string]bool{}
	var out []File
	for _, f := range top {
		seen[f.Path] = true
		out = append(out, f)
	}
	for _, f := range base {
		if !seen[f.Path] {
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// Render fills the placeholders of every name and of every ".tmpl" file
// with data. Scripts (.sh, .sbatch) become executable. It fails, without
// side effects, on an unknown placeholder or a name that leaves the tree.
func Render(src []File, data any) ([]File, error) {
	out := make([]File, 0, len(src))
	seen := map[string]bool{}
	for _, f := range src {
		name, err := expand("name "+f.Path, f.Path, data)
		if err != nil {
			return nil, err
		}
		g := f
		if strings.HasSuffix(name, ".raw") && f.Link == "" && !f.Mode.IsDir() {
			name = strings.TrimSuffix(name, ".raw")
		} else if strings.HasSuffix(name, ".tmpl") && f.Link == "" && !f.Mode.IsDir() {
			name = strings.TrimSuffix(name, ".tmpl")
			text, err := expand(f.Path, string(f.Data), data)
			if err != nil {
				return nil, err
			}
			g.Data = []byte(text)
		}
		if !filepath.IsLocal(filepath.FromSlash(name)) || path.Clean(name) != name {
			return nil, fmt.Errorf("template file %q: rendered name %q is not a clean relative path", f.Path, name)
		}
		if seen[name] {
			return nil, fmt.Errorf("template file %q: two files render to %q", f.Path, name)
		}
		seen[name] = true
		g.Path = name
		if g.Mode == 0 {
			g.Mode = 0o644
		}
		if strings.HasSuffix(name, ".sh") || strings.HasSuffix(name, ".sbatch") {
			g.Mode |= 0o755
		}
		out = append(out, g)
	}
	return out, nil
}

func expand(what, text string, data any) (string, error) {
	if !strings.Contains(text, LeftDelim) {
		return text, nil
	}
	t, err := template.New(what).Delims(LeftDelim, RightDelim).Option("missingkey=error").Parse(text)
	if err != nil {
		return "", fmt.Errorf("template %s: %w", what, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("template %s: %w", what, err)
	}
	return b.String(), nil
}

// Action is one line of a plan: what would happen to a path.
type Action struct {
	Path      string
	Overwrite bool
}

func (a Action) String() string {
	if a.Overwrite {
		return "overwrite " + a.Path
	}
	return "create    " + a.Path
}

// Plan checks that files may be written to target and tells what Write
// would do, without writing anything.
func Plan(target string, files []File, force bool) ([]Action, error) {
	exists, empty, err := inspect(target)
	if err != nil {
		return nil, err
	}
	if exists && !empty && !force {
		return nil, fmt.Errorf("%s exists and is not empty; use --force to write into it (nothing was written)", target)
	}
	var acts []Action
	for _, f := range files {
		dst := filepath.Join(target, filepath.FromSlash(f.Path))
		st, err := os.Lstat(dst)
		if err == nil && !replaceable(f, st.Mode()) {
			return nil, fmt.Errorf("%s is a %v, not what the template makes there; refusing to replace it (nothing was written)", dst, st.Mode().Type())
		}
		acts = append(acts, Action{Path: f.Path, Overwrite: exists && err == nil})
	}
	return acts, nil
}

// replaceable reports whether an existing file of mode m may be replaced
// by f (a rename over it): a directory by a directory, a symbolic link by
// a link, a regular file by a file or a link. A device, a FIFO or a link
// in the way of a regular file is never replaced.
func replaceable(f File, m fs.FileMode) bool {
	switch {
	case f.Mode.IsDir():
		return m.IsDir()
	case f.Link != "":
		return m.IsRegular() || m&fs.ModeSymlink != 0
	}
	return m.IsRegular()
}

// inspect reports whether target exists and whether it is an empty
// directory. A missing parent is no error: Write creates it.
func inspect(target string) (exists, empty bool, err error) {
	st, err := os.Lstat(target)
	if errors.Is(err, fs.ErrNotExist) {
		return false, true, nil
	}
	if err != nil {
		return false, false, err
	}
	if !st.IsDir() {
		return true, false, fmt.Errorf("%s exists and is not a directory", target)
	}
	ents, err := os.ReadDir(target)
	if err != nil {
		return true, false, err
	}
	return true, len(ents) == 0, nil
}

// makeParents creates the missing parent directories of target and
// returns the topmost one it created ("" if none), for removal on failure.
func makeParents(target string) (string, error) {
	top := ""
	for d := filepath.Dir(target); ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err == nil {
			if !st.IsDir() {
				return "", fmt.Errorf("%s is not a directory", d)
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		top = d
		if filepath.Dir(d) == d {
			break
		}
	}
	if top == "" {
		return "", nil
	}
	return top, os.MkdirAll(filepath.Dir(target), 0o755)
}

// Write creates the project at target atomically: the files are written
// into a temporary directory next to target, which is then renamed into
// place, so a failure leaves nothing behind. Missing parent directories
// are created (and removed again on failure). A non-empty target is
// refused unless force is set; then the generated files are moved into it
// one by one, replacing files of the same name and keeping the others.
func Write(target string, files []File, force bool) (err error) {
	target, err = filepath.Abs(target)
	if err != nil {
		return err
	}
	if _, err := Plan(target, files, force); err != nil {
		return err
	}
	exists, empty, _ := inspect(target)
	created, err := makeParents(target)
	if err != nil {
		return err
	}
	if created != "" {
		defer func() {
			if err != nil {
				os.RemoveAll(created)
			}
		}()
	}
	tmp, err := os.MkdirTemp(filepath.Dir(target), "."+filepath.Base(target)+".mpichan-init-*")
	if err != nil {
		return err
	}
	defer func() {
		if rmErr := os.RemoveAll(tmp); err == nil && rmErr != nil && !errors.Is(rmErr, fs.ErrNotExist) {
			err = rmErr
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := writeTree(tmp, files); err != nil {
		return fmt.Errorf("writing %s: %w (nothing was left behind)", target, err)
	}
	if !exists || empty {
		// rename(2) replaces an empty directory.
		return os.Rename(tmp, target)
	}
	return merge(tmp, target, files)
}

// writeTree writes files under dir through an os.Root, which refuses any
// path that would leave dir, symbolic links included.
func writeTree(dir string, files []File) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	for _, f := range files {
		p := filepath.FromSlash(f.Path)
		if !filepath.IsLocal(p) {
			return fmt.Errorf("refusing path %q outside the project", f.Path)
		}
		if d := filepath.Dir(p); d != "." {
			if err := root.MkdirAll(d, 0o755); err != nil {
				return err
			}
		}
		switch {
		case f.Mode.IsDir():
			err = root.MkdirAll(p, 0o755)
		case f.Link != "":
			err = root.Symlink(f.Link, p)
		default:
			err = root.WriteFile(p, f.Data, f.Mode.Perm())
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// merge moves each generated file from tmp into the existing target.
func merge(tmp, target string, files []File) error {
	for _, f := range files {
		if f.Mode.IsDir() {
			continue
		}
		dst := filepath.Join(target, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(tmp, filepath.FromSlash(f.Path)), dst); err != nil {
			return err
		}
	}
	return nil
}

// PackageDirs returns the directories, other than the root and vendor/,
// that hold Go files, sorted.
func PackageDirs(files []File) []string {
	seen := map[string]bool{}
	for _, f := range files {
		d := path.Dir(f.Path)
		if strings.HasSuffix(f.Path, ".go") && d != "." && d != "vendor" && !strings.HasPrefix(d, "vendor/") {
			seen[d] = true
		}
	}
	var out []string
	for d := range seen {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}
