// Package examples holds the mpichan examples, one command per directory;
// this test keeps their shared file identical, since each is copied alone.
package examples

import (
	"bytes"
	"os"
	"testing"
)

// TestCommonFilesAgree: every example carries the same common.go.
func TestCommonFilesAgree(t *testing.T) {
	want, err := os.ReadFile("montecarlo/common.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"wordcount", "sweep"} {
		if got, err := os.ReadFile(dir + "/common.go"); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s/common.go differs from montecarlo/common.go (%v); keep them identical", dir, err)
		}
	}
}
