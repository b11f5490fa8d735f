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
// `go generate ./templates`, which copies each example's Go files verbatim;
// TestTemplatesMatchExamples fails when a copy drifts from its example.
package templates

//go:generate go run ./internal/tplsync -examples ../examples -templates .

import (
	"embed"
	"io/fs"
	"os"
	"path/filepath"
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

// Sync makes the template of each existing example: it replaces the Go
// files of templatesDir/NAME with copies of examplesDir/SRC/*.go (tests
// left out), as NAME.go.raw, and writes template.txt from the first
// sentence of the package comment. It returns what it skipped and why.
func Sync(examplesDir, templatesDir string) (skipped []string, err error) {
	for _, name := range sortedKeys(FromExamples) {
		want, desc, err := Expected(examplesDir, name)
		if err != nil {
			return nil, err
		}
		if want == nil {
			skipped = append(skipped, name+": "+desc)
			continue
		}
		dir := filepath.Join(templatesDir, name)
		old, _ := filepath.Glob(filepath.Join(dir, "*.go.raw"))
		kit, _ := filepath.Glob(filepath.Join(dir, Kit, "*.go.raw"))
		old = append(old, kit...)
		for _, f := range old {
			if err := os.Remove(f); err != nil {
				return nil, err
			}
		}
		if err := os.MkdirAll(filepath.Join(dir, Kit), 0o755); err != nil {
			return nil, err
		}
		for file, data := range want {
			if err := os.WriteFile(filepath.Join(dir, file), data, 0o644); err != nil {
				return nil, err
			}
		}
		if err := os.WriteFile(filepath.Join(dir, Meta), []byte(desc+"\n"), 0o644); err != nil {
			return nil, err
		}
	}
	return skipped, nil
}

// Kit is the examples' shared package (examples/jobkit). Each template made
// from an example carries a copy in its own jobkit/ directory, and
// mpichan-init points the import at the new project's module (KitImport).
const Kit = "jobkit"

// KitImport is the import path of the examples' shared package.
const KitImport = "github.com/mpichan/mpichan/examples/" + Kit

// Expected returns the files (template name → content) and description
// that template name should have, made from its example and the shared
// package. When the example does not exist it returns nil files and the
// reason as desc.
func Expected(examplesDir, name string) (map[string][]byte, string, error) {
	src := filepath.Join(examplesDir, FromExamples[name])
	if st, err := os.Stat(src); err != nil || !st.IsDir() {
		return nil, "example " + src + " does not exist yet", nil
	}
	gos, err := filepath.Glob(filepath.Join(src, "*.go"))
	if err != nil {
		return nil, "", err
	}
	kit, err := filepath.Glob(filepath.Join(examplesDir, Kit, "*.go"))
	if err != nil {
		return nil, "", err
	}
	want := map[string][]byte{}
	desc := "Made from examples/" + FromExamples[name] + "."
	for _, f := range append(gos, kit...) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, "", err
		}
		file := filepath.Base(f) + ".raw"
		if filepath.Base(filepath.Dir(f)) == Kit {
			file = Kit + "/" + file
		}
		want[file] = data
		if d := packageSentence(string(data)); d != "" && filepath.Base(f) == "main.go" {
			desc = d
		}
	}
	if len(want) == 0 {
		return nil, "example " + src + " has no Go files yet", nil
	}
	return want, desc, nil
}

// packageSentence returns the first sentence of a file's package comment,
// without its leading "Command NAME".
func packageSentence(src string) string {
	var text []string
	for _, line := range strings.Split(src, "\n") {
		if !strings.HasPrefix(line, "//") {
			break
		}
		l := strings.TrimSpace(strings.TrimPrefix(line, "//"))
		if l == "" {
			break
		}
		text = append(text, l)
	}
	s := strings.Join(text, " ")
	if i := strings.Index(s, ". "); i >= 0 {
		s = s[:i+1]
	}
	if f := strings.Fields(s); len(f) > 2 && f[0] == "Command" {
		s = strings.Join(f[2:], " ")
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	return s
}

func sortedKeys(m map[string]string) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
