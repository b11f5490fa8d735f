package mpichan

import (
	"errors"
	"strings"
	"testing"

	"github.com/mpichan/mpichan/sdk/internal/rma"
)

// TestVirtualNodes: MPICHAN_VIRTUAL_NODES gives the virtual nodes per
// node; unset or empty leaves the real nodes, and a bad value is an error
// that names the variable.
func TestVirtualNodes(t *testing.T) {
	for _, c := range []struct {
		value string
		set   bool
		want  int
		bad   bool
	}{
		{"", false, 1, false},
		{"", true, 1, false},
		{"1", true, 1, false},
		{"3", true, 3, false},
		{"0", true, 0, true},
		{"-2", true, 0, true},
		{"two", true, 0, true},
		{"2.5", true, 0, true},
		{"99999999999", true, 0, true},
	} {
		lookup := func(k string) (string, bool) {
			if k == envVirtualNodes && c.set {
				return c.value, true
			}
			return "", false
		}
		got, err := virtualNodes(lookup)
		if c.bad {
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), envVirtualNodes+"=") {
				t.Errorf("%s=%q: error %v, want ErrInvalid naming the variable", envVirtualNodes, c.value, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s=%q (set %v) = %d, %v; want %d", envVirtualNodes, c.value, c.set, got, err, c.want)
		}
	}
}

// TestInitBadVirtualNodes: Init refuses a malformed MPICHAN_VIRTUAL_NODES
// before MPI starts.
func TestInitBadVirtualNodes(t *testing.T) {
	if rma.Initialized() {
		t.Skip("MPI is running in this process")
	}
	t.Setenv(envVirtualNodes, "zero")
	if err := Init(); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), envVirtualNodes) {
		t.Fatalf("Init with %s=zero: %v, want ErrInvalid naming it", envVirtualNodes, err)
	}
	if rma.Initialized() {
		t.Fatal("Init started MPI with a malformed setting")
	}
}
