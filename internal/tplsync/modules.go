package tplsync

import (
	"bytes"
	"fmt"
	"go/build/constraint"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/mpichan/mpichan/templates"
)

// sdkModule is the SDK's module path.
const sdkModule = "github.com/mpichan/mpichan/sdk"

// tmpModule is the module path of the scratch project Modules builds in.
const tmpModule = "mpichan-template"

// Mods are the module files of one template.
type Mods struct {
	GoMod      []byte            // go.mod.tmpl: [[.Module]], [[.SDKVersion]], [[.SDKPath]]
	GoSum      []byte            // go.sum
	ModulesTxt []byte            // vendor/modules.txt, the SDK at templates.SDKVersion
	Vendor     map[string][]byte // vendor/ files (path under vendor/), Linux only
}

// Modules works out the modules a template's Go files need, offline (from
// the module cache, at the versions of examples/go.mod): it writes them
// into a scratch project with the SDK replaced by d.SDK, runs go mod tidy
// and go mod vendor, and returns the results with the SDK shown as
// templates.SDKVersion, as a project made without --sdk-path has it.
func Modules(d Dirs, src map[string][]byte) (Mods, error) {
	var m Mods
	tmp, err := os.MkdirTemp("", "tplsync-*")
	if err != nil {
		return m, err
	}
	defer os.RemoveAll(tmp)
	for file, data := range src {
		name := strings.TrimSuffix(strings.TrimSuffix(file, ".raw"), ".tmpl")
		p := filepath.Join(tmp, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return m, err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return m, err
		}
	}
	sdk, err := filepath.Abs(d.SDK)
	if err != nil {
		return m, err
	}
	exMod, err := os.ReadFile(filepath.Join(d.Examples, "go.mod"))
	if err != nil {
		return m, err
	}
	var sum []byte
	for _, f := range []string{filepath.Join(d.Examples, "go.sum"), filepath.Join(sdk, "go.sum")} {
		b, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			return m, err
		}
		sum = append(sum, b...)
	}
	mod := fmt.Sprintf("module %s\n\ngo 1.26\n\nrequire %s %s\n\nreplace %s => %s\n\n%s",
		tmpModule, sdkModule, templates.SDKVersion, sdkModule, sdk, requireBlocks(exMod))
	if err := os.WriteFile(filepath.Join(tmp, "go.mod"), []byte(mod), 0o644); err != nil {
		return m, err
	}
	if err := os.WriteFile(filepath.Join(tmp, "go.sum"), sum, 0o644); err != nil {
		return m, err
	}
	if err := goCmd(tmp, "mod", "tidy"); err != nil {
		return m, err
	}
	if err := goCmd(tmp, "mod", "vendor"); err != nil {
		return m, err
	}
	gomod, err := os.ReadFile(filepath.Join(tmp, "go.mod"))
	if err != nil {
		return m, err
	}
	if m.GoSum, err = os.ReadFile(filepath.Join(tmp, "go.sum")); err != nil {
		return m, err
	}
	m.GoMod = goModTemplate(gomod)
	m.Vendor = map[string][]byte{}
	vdir := filepath.Join(tmp, "vendor")
	err = filepath.WalkDir(vdir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(vdir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case rel == "modules.txt":
			m.ModulesTxt = unreplace(data)
		case forLinux(rel, data):
			m.Vendor[rel] = data
		}
		return nil
	})
	return m, err
}

var requireRE = regexp.MustCompile(`(?ms)^require \(\n.*?^\)\n|^require [^(\n]*\n`)

// requireBlocks returns the require directives of a go.mod, without the SDK.
func requireBlocks(gomod []byte) string {
	var b strings.Builder
	for _, blk := range requireRE.FindAll(gomod, -1) {
		for _, line := range strings.SplitAfter(string(blk), "\n") {
			if !strings.Contains(line, sdkModule) {
				b.WriteString(line)
			}
		}
	}
	return b.String()
}

// goModTemplate turns the scratch project's go.mod into the template's.
func goModTemplate(gomod []byte) []byte {
	var b strings.Builder
	b.WriteString("module [[.Module]]\n")
	lines := strings.SplitAfter(string(gomod), "\n")
	for _, line := range lines[1:] {
		f := strings.Fields(line)
		switch {
		case strings.HasPrefix(line, "replace "+sdkModule):
			continue
		case len(f) >= 2 && (f[0] == sdkModule || (f[0] == "require" && f[1] == sdkModule)):
			line = strings.Replace(line, templates.SDKVersion, "[[.SDKVersion]]", 1)
		}
		b.WriteString(line)
	}
	out := regexp.MustCompile(`\n{3,}`).ReplaceAllString(strings.TrimRight(b.String(), "\n"), "\n\n") + "\n"
	out += "[[- if .SDKPath]]\n\n// The SDK comes from a local checkout.\nreplace " + sdkModule + " => [[.SDKPath]]\n[[- end]]\n"
	return []byte(out)
}

// unreplace drops the scratch project's replacement of the SDK from
// vendor/modules.txt.
func unreplace(txt []byte) []byte {
	var b bytes.Buffer
	for _, line := range bytes.SplitAfter(txt, []byte("\n")) {
		s := string(line)
		switch {
		case strings.HasPrefix(s, "# "+sdkModule+" => "):
			continue
		case strings.HasPrefix(s, "# "+sdkModule+" "+templates.SDKVersion+" => "):
			s = "# " + sdkModule + " " + templates.SDKVersion + "\n"
		}
		b.WriteString(s)
	}
	return b.Bytes()
}

var (
	goosList = strings.Fields("aix android darwin dragonfly freebsd hurd illumos ios js linux nacl netbsd openbsd plan9 solaris wasip1 windows zos")
	archList = strings.Fields("386 amd64 arm arm64 loong64 mips mipsle mips64 mips64le ppc64 ppc64le riscv64 s390x wasm")
)

// forLinux reports whether a vendored file can be part of a Linux build on
// some architecture: its name and //go:build line do not rule Linux out.
// Other files (Windows, macOS, ...) are left out of the embedded copy.
func forLinux(rel string, data []byte) bool {
	base := filepath.Base(rel)
	ext := filepath.Ext(base)
	if base == ".gitignore" || base == ".gitattributes" {
		return false // would act on the repository that embeds the copy
	}
	if ext != ".go" && ext != ".s" && ext != ".c" && ext != ".h" {
		return true
	}
	parts := strings.Split(strings.TrimSuffix(strings.TrimSuffix(base, ext), "_test"), "_")
	for i := len(parts) - 1; i >= 1 && i >= len(parts)-2; i-- {
		for _, os := range goosList {
			if parts[i] == os && os != "linux" {
				return false
			}
		}
	}
	expr := buildConstraint(data)
	if expr == nil {
		return true
	}
	for _, arch := range archList {
		if expr.Eval(func(tag string) bool {
			return tag == "linux" || tag == "unix" || tag == arch || tag == "gc" || tag == "cgo" || strings.HasPrefix(tag, "go1.")
		}) {
			return true
		}
	}
	return false
}

// buildConstraint returns a file's //go:build expression, or nil.
func buildConstraint(data []byte) constraint.Expr {
	for _, line := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(line)
		if t == "" || (strings.HasPrefix(t, "//") && !constraint.IsGoBuild(t)) {
			continue
		}
		if constraint.IsGoBuild(t) {
			e, err := constraint.Parse(t)
			if err != nil {
				return nil
			}
			return e
		}
		break
	}
	return nil
}

// writeUnion replaces dir with exactly the files of union.
func writeUnion(dir string, union map[string][]byte) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	for p, data := range union {
		f := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(f, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
