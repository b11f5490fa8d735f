package templates

import (
	"bytes"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// TestTemplatesMatchExamples fails when a template made from an example
// differs from it; `go generate ./templates` brings them back in line.
func TestTemplatesMatchExamples(t *testing.T) {
	for _, name := range sortedKeys(FromExamples) {
		t.Run(name, func(t *testing.T) {
			want, desc, err := Expected("../examples", name)
			if err != nil {
				t.Fatal(err)
			}
			if want == nil {
				t.Skipf("template %s not checked: %s", name, desc)
			}
			got, _ := fs.Glob(files, name+"/*.go.raw")
			kit, _ := fs.Glob(files, name+"/"+Kit+"/*.go.raw")
			got = append(got, kit...)
			if len(got) != len(want) {
				t.Errorf("template %s has %d Go files, example has %d; run go generate ./templates", name, len(got), len(want))
			}
			for file, data := range want {
				have, err := fs.ReadFile(files, name+"/"+file)
				if err != nil || !bytes.Equal(have, data) {
					t.Errorf("templates/%s/%s differs from examples/%s/%s; run go generate ./templates",
						name, file, FromExamples[name], strings.TrimSuffix(file, ".raw"))
				}
			}
			if have, _ := fs.ReadFile(files, filepath.ToSlash(filepath.Join(name, Meta))); strings.TrimSpace(string(have)) != desc {
				t.Errorf("templates/%s/%s is %q, want %q; run go generate ./templates", name, Meta, have, desc)
			}
		})
	}
}

// TestList: every listed template has a description and a main.go.
func TestList(t *testing.T) {
	list := List()
	if len(list) == 0 || list[0].Name == "" {
		t.Fatalf("no templates: %v", list)
	}
	for _, tp := range list {
		if tp.Description == "" {
			t.Errorf("template %s has no description", tp.Name)
		}
		_, err1 := fs.Stat(files, tp.Name+"/main.go.tmpl")
		_, err2 := fs.Stat(files, tp.Name+"/main.go.raw")
		if err1 != nil && err2 != nil {
			t.Errorf("template %s has no main.go.tmpl or main.go.raw", tp.Name)
		}
	}
}
