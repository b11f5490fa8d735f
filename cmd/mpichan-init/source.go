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

// loadTemplate returns the files of the template named by --template: a
// built-in one (common files and its own), a remote archive (a URL), or a local archive or directory (a
// path; a built-in name wins over a directory of the same name, so write
// ./sweep for the directory).
func loadTemplate(c *cli.Context, name string) ([]generate.File, error) {
	sum := c.String("sha256")
	if strings.Contains(name, "://") {
		data, err := fetch.Get(c.Context, name, fetch.Options{
			Deadline: c.Duration("fetch-timeout"),
			SHA256:   sum,
			Log:      c.App.ErrWriter,
		})
		if err != nil {
			return nil, err
		}
		return unpack.Archive(data, unpack.Limits{})
	}
	if builtin(name) {
		if sum != "" {
			return nil, errors.New("--sha256 applies to a template archive only")
		}
		return builtinFiles(name)
	}
	st, err := os.Stat(name)
	switch {
	case err != nil && !strings.ContainsAny(name, "/."):
		return nil, fmt.Errorf("no template %q; see mpichan-init list (a local template is a directory or a .tar.gz/.zip file)", name)
	case err != nil:
		return nil, fmt.Errorf("template %s: %w", name, err)
	case st.IsDir():
		if sum != "" {
			return nil, errors.New("--sha256 applies to a template archive, not a directory")
		}
		return unpack.Dir(name, unpack.Limits{})
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	if sum != "" {
		if err := checkSum(data, sum); err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
	}
	return unpack.Archive(data, unpack.Limits{})
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

// builtinFiles is a built-in template: the common files, overlaid with the
// template's own.
func builtinFiles(name string) ([]generate.File, error) {
	common, err := generate.FromFS(templates.FS, templates.Common)
	if err != nil {
		return nil, err
	}
	own, err := generate.FromFS(templates.FS, name, templates.Meta, templates.ModulesTxt)
	if err != nil {
		return nil, err
	}
	return generate.Overlay(common, own), nil
}

// vendorFiles is the vendor/ directory of a project made from a built-in
// template; it is added after rendering, as it is, never rendered.
func vendorFiles(name string) ([]generate.File, error) {
	vendor, err := templates.Vendor(name)
	if err != nil {
		return nil, err
	}
	var files []generate.File
	for _, v := range vendor {
		files = append(files, generate.File{Path: v.Path, Data: v.Data, Mode: 0o644})
	}
	return files, nil
}
