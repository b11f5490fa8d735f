package templates

import (
	"io/fs"
	"testing"
)

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
