package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/mpichan/mpichan/cmd/mpichan-init/internal/fetch"
	"github.com/mpichan/mpichan/cmd/mpichan-init/internal/generate"
	"github.com/mpichan/mpichan/cmd/mpichan-init/internal/unpack"
	"github.com/mpichan/mpichan/templates"
)

// source is a template read into memory, and where the modules a project
// made from it carries in vendor/ come from.
type source struct {
	files []generate.File
	// modules is the bundled template whose modules.txt and vendored
	// modules the project gets; "" when the template brings its own go.mod
	// (a template tree) or when noModules says why there are none.
	modules   string
	noModules error
	// like is the built-in template the project is made like (Params.Like).
	like string
}

// loadTemplate reads the template named by --template: a built-in one
// (common files and its own), a remote archive (a URL), a local archive or
// template directory, or a local Go program such as examples/montecarlo (a
// path; a built-in name wins over a directory of the same name, so write
// ./sweep for the directory).
func loadTemplate(c *cli.Context, name string) (source, error) {
	sum := c.String("sha256")
	if strings.Contains(name, "://") {
		data, err := fetch.Get(c.Context, name, fetch.Options{
			Deadline: c.Duration("fetch-timeout"),
			SHA256:   sum,
			Log:      c.App.ErrWriter,
		})
		if err != nil {
			return source{}, err
		}
		files, err := unpack.Archive(data, unpack.Limits{})
		return source{files: files}, err
	}
	if builtin(name) {
		if sum != "" {
			return source{}, errors.New("--sha256 applies to a template archive only")
		}
		return builtinSource(name)
	}
	st, err := os.Stat(name)
	switch {
	case err != nil && !strings.ContainsAny(name, "/.") && templates.FromExamples[name] != "":
		return source{}, fmt.Errorf("no template %q: it comes with the module bundle (made from examples/%s), and %s", name, templates.FromExamples[name], templates.NoBundle)
	case err != nil && !strings.ContainsAny(name, "/."):
		return source{}, fmt.Errorf("no template %q; see mpichan-init list (a local template is a directory or a .tar.gz/.zip file)", name)
	case err != nil:
		return source{}, fmt.Errorf("template %s: %w", name, err)
	case st.IsDir() && sum != "":
		return source{}, errors.New("--sha256 applies to a template archive, not a directory")
	case st.IsDir() && isProgramDir(name):
		return programSource(name)
	case st.IsDir():
		files, err := unpack.Dir(name, unpack.Limits{})
		return source{files: files}, err
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return source{}, err
	}
	if sum != "" {
		if err := checkSum(data, sum); err != nil {
			return source{}, fmt.Errorf("template %s: %w", name, err)
		}
	}
	files, err := unpack.Archive(data, unpack.Limits{})
	return source{files: files}, err
}

// checkSum compares data's SHA-256 with a hex digest.
func checkSum(data []byte, want string) error {
	got := sha256.Sum256(data)
	if g := hex.EncodeToString(got[:]); g != strings.ToLower(strings.TrimSpace(want)) {
		return fmt.Errorf("SHA-256 mismatch: got %s, want %s", g, want)
	}
	return nil
}

func builtin(name string) bool {
	for _, t := range templates.List() {
		if t.Name == name {
			return true
		}
	}
	return false
}

// builtinSource is a built-in template: the common files, overlaid with
// the template's own (its hand-written files and its part of the bundle).
func builtinSource(name string) (source, error) {
	files, err := generate.FromFS(templates.FS, templates.Common)
	if err != nil {
		return source{}, err
	}
	for _, dir := range templates.Dirs(name) {
		own, err := generate.FromFS(templates.FS, dir, templates.Meta, templates.ModulesTxt)
		if err != nil {
			return source{}, err
		}
		files = generate.Overlay(files, own)
	}
	if !templates.HasBundle() {
		return source{files: files, noModules: templates.ErrNoBundle, like: name}, nil
	}
	return source{files: files, modules: name, like: name}, nil
}

// vendorFiles is the vendor/ directory of a project that gets the modules
// of bundled template name; it is added after rendering, as it is, never
// rendered.
func vendorFiles(name string) ([]generate.File, error) {
	vendor, err := templates.VendorOf(name)
	if err != nil {
		return nil, err
	}
	var files []generate.File
	for _, v := range vendor {
		files = append(files, generate.File{Path: v.Path, Data: v.Data, Mode: 0o644})
	}
	return files, nil
}
