// Package templates holds the project templates of mpichan-init, embedded
// in the binary.
//
// Each template is a directory with a template.txt (its one-line
// description) and its own files; common/ holds the files every template
// shares (go.mod, Makefile, README, Slurm scripts, Apptainer definition).
// Files ending in ".tmpl" are rendered with [[ ]] placeholders; files
// ending in ".raw" are copied as they are (Go code may hold "[[", as in
// New[[]byte]); both lose the suffix, which keeps Go tools off them.
//
// minimal is written here by hand. The others are made from examples/ by
// `go generate ./templates` (package internal/tplsync), which copies each
// example's Go files verbatim and writes every template's go.mod, go.sum
// and modules.txt, and the vendored modules in _vendor/ (the SDK among
// them), so that a generated project builds with no network.
// TestSyncIsCurrent (internal/tplsync) fails when any of it drifts.
package templates

//go:generate go run ../internal/cmd/tplsync -examples ../examples -sdk ../sdk -templates .

import (
	"bufio"
	"bytes"
	"embed"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed all:*
var files embed.FS

// FS is the embedded template tree.
var FS fs.FS = files

// Common is the directory of files shared by every template.
const Common = "common"

// Meta is the file that holds a template's description.
const Meta = "template.txt"

// FromExamples maps a template to the examples/ directory it is made from.
var FromExamples = map[string]string{
	"montecarlo": "montecarlo",
	"mapreduce":  "wordcount",
	"sweep":      "sweep",
	"tree":       "uts",
}

// Template is one embedded template.
type Template struct {
	Name        string
	Description string
}

// List returns the embedded templates, sorted by name.
func List() []Template {
	ents, _ := fs.ReadDir(files, ".")
	var out []Template
	for _, e := range ents {
		if !e.IsDir() || e.Name() == Common {
			continue
		}
		desc, err := fs.ReadFile(files, e.Name()+"/"+Meta)
		if err != nil {
			continue
		}
		out = append(out, Template{e.Name(), strings.TrimSpace(string(desc))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// SDKVersion is the version of the SDK copy in VendorDir, which projects
// made without --sdk-path or --sdk-version require.
const SDKVersion = "v0.1.0"

// ModulesTxt is the file of a template that becomes the project's
// vendor/modules.txt.
const ModulesTxt = "modules.txt"

// VendorDir holds the union of the modules every template vendors, Linux
// files only (the go tool ignores directories starting with "_").
const VendorDir = "_vendor"

// VendorFile is one file of a project's vendor/ directory.
type VendorFile struct {
	Path string // slash-separated, starting with vendor/
	Data []byte
}

// Vendor returns the vendor/ directory of a project made from template
// name: its modules.txt and, for each package listed there, the files of
// the package's directory, plus the non-Go files (licences) at each
// module's root.
func Vendor(name string) ([]VendorFile, error) {
	txt, err := fs.ReadFile(files, name+"/"+ModulesTxt)
	if err != nil {
		return nil, err
	}
	out := []VendorFile{{"vendor/modules.txt", txt}}
	seen := map[string]bool{}
	var add func(dir string, goFiles bool) error
	add = func(dir string, goFiles bool) error {
		ents, err := fs.ReadDir(files, path.Join(VendorDir, dir))
		if err != nil {
			return nil // a package with no Linux files
		}
		for _, e := range ents {
			p := path.Join(dir, e.Name())
			switch {
			case e.IsDir():
				// Files a package embeds live in subdirectories without Go files.
				if goFiles && !hasGo(path.Join(VendorDir, p)) {
					if err := add(p, true); err != nil {
						return err
					}
				}
				continue
			case seen[p] || (!goFiles && isSource(e.Name())):
				continue
			}
			data, err := fs.ReadFile(files, path.Join(VendorDir, p))
			if err != nil {
				return err
			}
			seen[p] = true
			out = append(out, VendorFile{"vendor/" + p, data})
		}
		return nil
	}
	sc := bufio.NewScanner(bytes.NewReader(txt))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "# "):
			if f := strings.Fields(line); len(f) >= 2 {
				err = add(f[1], false)
			}
		case line != "" && !strings.HasPrefix(line, "#"):
			err = add(line, true)
		}
		if err != nil {
			return nil, err
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// hasGo reports whether directory dir of the embedded tree holds Go files
// (then it is a package of its own).
func hasGo(dir string) bool {
	m, _ := fs.Glob(files, dir+"/*.go")
	return len(m) > 0
}

func isSource(name string) bool {
	switch path.Ext(name) {
	case ".go", ".s", ".c", ".h":
		return true
	}
	return false
}
