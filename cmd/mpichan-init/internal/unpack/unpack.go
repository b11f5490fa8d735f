// Package unpack reads a .tar.gz or .zip template archive into memory,
// refusing anything unsafe before a single byte is written to disk: paths
// that are absolute or contain "..", symbolic links that lead outside the
// archive, entries reached through a symbolic link, special files, and
// archives over the size or file-count limits.
package unpack

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/mpichan/mpichan/cmd/mpichan-init/internal/generate"
)

// Limits bound what an archive may hold; zero values take the defaults.
type Limits struct {
	MaxFiles int   // entries, directories included (default 2000)
	MaxBytes int64 // total uncompressed bytes (default 64 MiB)
}

func (l Limits) withDefaults() Limits {
	if l.MaxFiles <= 0 {
		l.MaxFiles = 2000
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = 64 << 20
	}
	return l
}

// Archive returns the entries of a .tar.gz or .zip archive (told apart by
// their first bytes). A single top-level directory holding everything, as
// in release tarballs, is stripped.
func Archive(data []byte, lim Limits) ([]generate.File, error) {
	lim = lim.withDefaults()
	r := &reader{lim: lim, seen: map[string]bool{}}
	var err error
	switch {
	case bytes.HasPrefix(data, []byte{0x1f, 0x8b}):
		err = r.tarGz(data)
	case bytes.HasPrefix(data, []byte("PK\x03\x04")), bytes.HasPrefix(data, []byte("PK\x05\x06")):
		err = r.zip(data)
	default:
		err = errors.New("not a .tar.gz or .zip archive")
	}
	if err != nil {
		return nil, fmt.Errorf("unsafe or unreadable template archive: %w", err)
	}
	files := stripTop(r.files)
	if err := checkLinks(files); err != nil {
		return nil, fmt.Errorf("unsafe template archive: %w", err)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

type reader struct {
	lim   Limits
	total int64
	seen  map[string]bool
	files []generate.File
}

// add checks one entry's name and size and records it.
func (r *reader) add(name string, mode fs.FileMode, link string, body io.Reader) error {
	if len(r.files) >= r.lim.MaxFiles {
		return fmt.Errorf("more than %d entries", r.lim.MaxFiles)
	}
	clean, err := cleanName(name)
	if err != nil {
		return err
	}
	if clean == "" {
		return nil // the archive's "./" itself
	}
	if r.seen[clean] {
		return fmt.Errorf("%q: entry appears twice", name)
	}
	r.seen[clean] = true
	f := generate.File{Path: clean, Mode: mode}
	switch {
	case mode.IsDir():
		f.Mode = fs.ModeDir | 0o755
	case mode&fs.ModeSymlink != 0:
		if link == "" {
			return fmt.Errorf("%q: symbolic link without a target", name)
		}
		f.Link = link
	case mode.IsRegular():
		data, err := io.ReadAll(io.LimitReader(body, r.lim.MaxBytes-r.total+1))
		if err != nil {
			return fmt.Errorf("%q: %w", name, err)
		}
		r.total += int64(len(data))
		if r.total > r.lim.MaxBytes {
			return fmt.Errorf("contents exceed %d bytes", r.lim.MaxBytes)
		}
		f.Data = data
		f.Mode = 0o644 | mode.Perm()&0o111
	default:
		return fmt.Errorf("%q: unsupported entry type %v (only files, directories and symbolic links)", name, mode.Type())
	}
	r.files = append(r.files, f)
	return nil
}

// cleanName turns an archive name into a clean relative slash path.
func cleanName(name string) (string, error) {
	if strings.Contains(name, "\\") {
		return "", fmt.Errorf("%q: backslash in path", name)
	}
	if strings.HasPrefix(name, "/") || (len(name) > 1 && name[1] == ':') {
		return "", fmt.Errorf("%q: absolute path", name)
	}
	for _, el := range strings.Split(name, "/") {
		if el == ".." {
			return "", fmt.Errorf("%q: path leaves the target directory (..)", name)
		}
	}
	clean := path.Clean(name)
	if clean == "." {
		return "", nil
	}
	return clean, nil
}

func (r *reader) tarGz(data []byte) error {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		var mode fs.FileMode
		switch h.Typeflag {
		case tar.TypeXGlobalHeader:
			continue
		case tar.TypeReg:
			mode = fs.FileMode(h.Mode).Perm()
		case tar.TypeDir:
			mode = fs.ModeDir
		case tar.TypeSymlink:
			mode = fs.ModeSymlink
		case tar.TypeLink:
			return fmt.Errorf("%q: hard links are not supported", h.Name)
		default:
			mode = fs.ModeDevice // refused by add
		}
		if err := r.add(h.Name, mode, h.Linkname, tr); err != nil {
			return err
		}
	}
}

func (r *reader) zip(data []byte) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return err
	}
	for _, f := range zr.File {
		mode := f.Mode()
		var link string
		var body io.Reader
		if mode&fs.ModeSymlink != 0 || mode.IsRegular() {
			rc, err := f.Open()
			if err != nil {
				return fmt.Errorf("%q: %w", f.Name, err)
			}
			if mode&fs.ModeSymlink != 0 {
				b, err := io.ReadAll(io.LimitReader(rc, 4096))
				rc.Close()
				if err != nil {
					return fmt.Errorf("%q: %w", f.Name, err)
				}
				link = string(b)
			} else {
				defer rc.Close()
				body = rc
			}
		}
		if err := r.add(f.Name, mode, link, body); err != nil {
			return err
		}
	}
	return nil
}

// stripTop removes a single top-level directory that holds every entry.
func stripTop(files []generate.File) []generate.File {
	top := ""
	for _, f := range files {
		first, _, _ := strings.Cut(f.Path, "/")
		if top != "" && first != top {
			return files
		}
		top = first
	}
	var out []generate.File
	for _, f := range files {
		if f.Path == top {
			if !f.Mode.IsDir() {
				return files
			}
			continue
		}
		f.Path = strings.TrimPrefix(f.Path, top+"/")
		out = append(out, f)
	}
	if len(out) == 0 {
		return files
	}
	return out
}

// checkLinks refuses entries placed under a symbolic link and links whose
// target, followed through the archive's other links, leaves the archive.
func checkLinks(files []generate.File) error {
	links := map[string]string{}
	for _, f := range files {
		if f.Link != "" {
			links[f.Path] = f.Link
		}
	}
	for _, f := range files {
		for d := path.Dir(f.Path); d != "."; d = path.Dir(d) {
			if _, ok := links[d]; ok {
				return fmt.Errorf("%q: entry lies under the symbolic link %q", f.Path, d)
			}
		}
		if f.Link == "" {
			continue
		}
		if strings.HasPrefix(f.Link, "/") {
			return fmt.Errorf("%q: symbolic link to the absolute path %q", f.Path, f.Link)
		}
		if _, err := resolve(links, path.Dir(f.Path), f.Link, 0); err != nil {
			return fmt.Errorf("%q: symbolic link to %q: %w", f.Path, f.Link, err)
		}
	}
	return nil
}

var errOutside = errors.New("points outside the template")

// resolve follows target from directory dir (both relative to the archive
// root), through the archive's links, and fails if it ever climbs out.
func resolve(links map[string]string, dir, target string, depth int) (string, error) {
	if depth > 40 {
		return "", errors.New("too many levels of symbolic links")
	}
	if strings.HasPrefix(target, "/") {
		return "", errOutside
	}
	var stack []string
	if dir != "." && dir != "" {
		stack = strings.Split(dir, "/")
	}
	for _, el := range strings.Split(target, "/") {
		switch el {
		case "", ".":
			continue
		case "..":
			if len(stack) == 0 {
				return "", errOutside
			}
			stack = stack[:len(stack)-1]
			continue
		}
		cur := strings.Join(append(stack, el), "/")
		if t, ok := links[cur]; ok {
			p, err := resolve(links, strings.Join(stack, "/"), t, depth+1)
			if err != nil {
				return "", err
			}
			stack = nil
			if p != "" {
				stack = strings.Split(p, "/")
			}
			continue
		}
		stack = append(stack, el)
	}
	return strings.Join(stack, "/"), nil
}
