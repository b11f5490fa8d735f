// Package templates holds the project templates of mpichan-init, embedded
// in the binary.
//
// Each template is a directory with a template.txt (its one-line
// description) and its own files; common/ holds the files every template
// shares (Makefile, README, Slurm scripts, Apptainer definition). Files
// ending in ".tmpl" are rendered with [[ ]] placeholders; files ending in
// ".raw" are copied as they are (Go code may hold "[[", as in New[[]byte]);
// both lose the suffix, which keeps Go tools off them.
//
// Only sources are in git: common/, minimal/ (written by hand) and plain/.
// Everything else lives in the module bundle, Bundle/, which
// `go generate ./templates` (package internal/tplsync, run by `make build`)
// makes from examples/, sdk/ and the module cache, and git ignores: the
// templates made from examples (their Go files and template.txt), every
// template's go.mod, go.sum and vendor/modules.txt, and the vendored
// modules (the SDK among them), so that a generated project builds with no
// network. A binary built without the bundle (a plain `go install`) has
// minimal only, and makes projects whose modules come from a proxy or
// from --sdk-path.
package templates

//go:generate go run ../internal/cmd/tplsync -examples ../examples -sdk ../sdk -templates . -out _bundle

import (
	"bufio"
	"bytes"
	"embed"
	"errors"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// The pattern always matches (this file at least), so the package
// compiles with no bundle generated.
//
//go:embed all:*
var files embed.FS

// FS is the embedded template tree.
var FS fs.FS = files

// Common is the directory of files shared by every template.
const Common = "common"

// Plain is the directory whose go.mod.tmpl a project gets when the binary
// has no bundle: it requires the SDK alone, and `go build -mod=mod`
// resolves the rest from a proxy or the module cache.
const Plain = "plain"

// Meta is the file that holds a template's description.
const Meta = "template.txt"

// Bundle is the generated directory of the module bundle (the go tool
// ignores directories starting with "_"). It holds Templates/NAME/ for
// each template and Vendor/ for the modules.
const Bundle = "_bundle"

// Templates and Vendor are the bundle's two parts.
const (
	Templates = "templates"
	Vendor    = "vendor"
)

// NoBundle says what to do when a project needs the bundle and the binary
// has none.
const NoBundle = "this mpichan-init has no module bundle; build it with `make build` in the mpichan repository, " +
	"or use --sdk-path DIR / --sdk-version vX (modules from a GOPROXY)"

// ErrNoBundle is the error of what needs the bundle when there is none.
var ErrNoBundle = errors.New(NoBundle)

// FromExamples maps a template to the examples/ directory it is made from.
var FromExamples = map[string]string{
	"montecarlo": "montecarlo",
	"mapreduce":  "wordcount",
	"sweep":      "sweep",
	"tree":       "uts",
}

// SDKVersion is the version of the SDK copy in the bundle, which projects
// made without --sdk-path or --sdk-version require.
const SDKVersion = "v0.1.0"

// ModulesTxt is the file of a bundled template that becomes the project's
// vendor/modules.txt.
const ModulesTxt = "modules.txt"

// Template is one embedded template.
type Template struct {
	Name        string
	Description string
}

// HasBundle reports whether the binary carries the module bundle.
func HasBundle() bool {
	_, err := fs.Stat(files, path.Join(Bundle, Templates))
	return err == nil
}

// List returns the embedded templates, sorted by name: the hand-written
// ones and those of the bundle.
func List() []Template {
	seen := map[string]bool{}
	var out []Template
	for _, root := range []string{".", path.Join(Bundle, Templates)} {
		ents, _ := fs.ReadDir(files, root)
		for _, e := range ents {
			if !e.IsDir() || seen[e.Name()] {
				continue
			}
			desc, err := fs.ReadFile(files, path.Join(root, e.Name(), Meta))
			if err != nil {
				continue
			}
			seen[e.Name()] = true
			out = append(out, Template{e.Name(), strings.TrimSpace(string(desc))})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Dirs returns the embedded directories that hold template name's own
// files, later ones overriding earlier ones: its hand-written directory
// and its part of the bundle, or plain/ and its hand-written directory
// when there is no bundle. Meta and ModulesTxt in them are not project
// files.
func Dirs(name string) []string {
	var out []string
	if !HasBundle() {
		out = append(out, Plain)
	}
	if st, err := fs.Stat(files, name); err == nil && st.IsDir() {
		out = append(out, name) // hand-written files, such as sweep's slurm/array.sbatch
	}
	if HasBundle() {
		out = append(out, path.Join(Bundle, Templates, name))
	}
	return out
}

// Packages returns the packages that template name vendors (the lines of
// its modules.txt), or nil when the bundle lacks it.
func Packages(name string) []string {
	txt, err := fs.ReadFile(files, path.Join(Bundle, Templates, name, ModulesTxt))
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(txt), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out
}

// Covering returns the bundled template with the fewest packages that
// vendors every package of imports, or "" when none does.
func Covering(imports []string) string {
	best, bestN := "", 0
	for _, t := range List() {
		pkgs := Packages(t.Name)
		has := map[string]bool{}
		for _, p := range pkgs {
			has[p] = true
		}
		all := pkgs != nil
		for _, imp := range imports {
			all = all && has[imp]
		}
		if all && (best == "" || len(pkgs) < bestN) {
			best, bestN = t.Name, len(pkgs)
		}
	}
	return best
}

// VendorFile is one file of a project's vendor/ directory.
type VendorFile struct {
	Path string // slash-separated, starting with vendor/
	Data []byte
}

// VendorOf returns the vendor/ directory of a project that gets template
// name's modules: its modules.txt and, for each package listed there, the
// files of the package's directory, plus the non-Go files (licences) at
// each module's root. Without the bundle it fails with NoBundle.
func VendorOf(name string) ([]VendorFile, error) {
	if !HasBundle() {
		return nil, ErrNoBundle
	}
	txt, err := fs.ReadFile(files, path.Join(Bundle, Templates, name, ModulesTxt))
	if err != nil {
		return nil, err
	}
	vdir := path.Join(Bundle, Vendor)
	out := []VendorFile{{"vendor/modules.txt", txt}}
	seen := map[string]bool{}
	var add func(dir string, goFiles bool) error
	add = func(dir string, goFiles bool) error {
		ents, err := fs.ReadDir(files, path.Join(vdir, dir))
		if err != nil {
			return nil // a package with no Linux files
		}
		for _, e := range ents {
			p := path.Join(dir, e.Name())
			switch {
			case e.IsDir():
				// Files a package embeds live in subdirectories without Go files.
				if goFiles && !hasGo(path.Join(vdir, p)) {
					if err := add(p, true); err != nil {
						return err
					}
				}
				continue
			case seen[p] || (!goFiles && isSource(e.Name())):
				continue
			}
			data, err := fs.ReadFile(files, path.Join(vdir, p))
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
