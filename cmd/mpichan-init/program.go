package main

import (
	"bytes"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/mpichan/mpichan/cmd/mpichan-init/internal/generate"
	"github.com/mpichan/mpichan/templates"
)

// isProgramDir reports whether dir is a Go program, such as examples/sweep
// or a copy of it, rather than a template tree: Go files at its top and no
// go.mod or go.mod.tmpl.
func isProgramDir(dir string) bool {
	gos, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, f := range []string{"go.mod", "go.mod.tmpl"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return false
		}
	}
	return len(gos) > 0
}

// programSource makes a full template of the Go program in dir, as the
// built-in templates are made from examples/: the common files, the
// program's Go files (tests left out) copied as they are, and the go.mod
// and go.sum of the built-in template made from the same files, or else of
// the bundled template that vendors every package the program imports,
// whose modules the project carries. Without such a template the go.mod
// requires the SDK alone, and the build resolves the rest.
func programSource(dir string) (source, error) {
	own, imports, err := programFiles(dir)
	if err != nil {
		return source{}, err
	}
	files, err := generate.FromFS(templates.FS, templates.Common)
	if err != nil {
		return source{}, err
	}
	src := source{like: sameAs(own)}
	if src.modules = src.like; src.modules == "" {
		src.modules = templates.Covering(imports)
	}
	modDir := templates.Plain
	switch {
	case !templates.HasBundle():
		src.noModules = templates.ErrNoBundle
	case src.modules == "":
		src.noModules = fmt.Errorf("%s imports packages no bundled template vendors (%s); "+
			"use --sdk-path DIR or --sdk-version vX (modules from a GOPROXY)", dir, strings.Join(imports, ", "))
	default:
		modDir = path.Join(templates.Bundle, templates.Templates, src.modules)
	}
	mod, err := generate.FromFS(templates.FS, modDir, templates.Meta, templates.ModulesTxt)
	if err != nil {
		return source{}, err
	}
	var modFiles []generate.File
	for _, f := range mod {
		if f.Path == "go.mod.tmpl" || f.Path == "go.sum.raw" {
			modFiles = append(modFiles, f)
		}
	}
	if src.like != "" { // the built-in template's hand-written files, such as sweep's slurm/array.sbatch
		extra, err := generate.FromFS(templates.FS, src.like, templates.Meta, templates.ModulesTxt)
		if err == nil {
			files = generate.Overlay(files, extra)
		}
	}
	src.files = generate.Overlay(generate.Overlay(files, modFiles), own)
	return src, nil
}

// sameAs returns the built-in template whose Go files are exactly own (the
// template made from the example own was read from), or "".
func sameAs(own []generate.File) string {
	for _, t := range templates.List() {
		var theirs []generate.File
		for _, dir := range templates.Dirs(t.Name) {
			files, err := generate.FromFS(templates.FS, dir)
			if err != nil {
				return ""
			}
			for _, f := range files {
				if strings.HasSuffix(f.Path, ".go.raw") || strings.HasSuffix(f.Path, ".go.tmpl") {
					theirs = append(theirs, f)
				}
			}
		}
		if sameFiles(own, theirs) {
			return t.Name
		}
	}
	return ""
}

// sameFiles reports whether a and b hold the same paths with the same data.
func sameFiles(a, b []generate.File) bool {
	if len(a) != len(b) {
		return false
	}
	data := map[string][]byte{}
	for _, f := range a {
		data[f.Path] = f.Data
	}
	for _, f := range b {
		if d, ok := data[f.Path]; !ok || !bytes.Equal(d, f.Data) {
			return false
		}
	}
	return true
}

// programFiles reads the Go files at the top of dir, tests left out, as
// ".raw" template files, and returns the packages they import from
// outside the standard library.
func programFiles(dir string) ([]generate.File, []string, error) {
	gos, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, nil, err
	}
	var files []generate.File
	seen := map[string]bool{}
	fset := token.NewFileSet()
	for _, f := range gos {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, nil, err
		}
		ast, err := parser.ParseFile(fset, f, data, parser.ImportsOnly)
		if err != nil {
			return nil, nil, fmt.Errorf("template %s: %w", dir, err)
		}
		if ast.Name.Name != "main" {
			return nil, nil, fmt.Errorf("template %s: %s is package %s, want a program (package main)", dir, filepath.Base(f), ast.Name.Name)
		}
		for _, imp := range ast.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if first, _, _ := strings.Cut(p, "/"); strings.Contains(first, ".") {
				seen[p] = true
			}
		}
		files = append(files, generate.File{Path: filepath.Base(f) + ".raw", Data: data, Mode: 0o644})
	}
	if len(files) == 0 {
		return nil, nil, fmt.Errorf("template %s: only test files, no program", dir)
	}
	imports := make([]string, 0, len(seen))
	for p := range seen {
		imports = append(imports, p)
	}
	sort.Strings(imports)
	return files, imports, nil
}
