package mpichan

import (
	"errors"
	"strings"
	"testing"
)

// TestHeapFloorMB: the environment sets the floor's size, a user who tunes
// the collector gets none, and a bad size is an error that names it.
func TestHeapFloorMB(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want int
		bad  bool
	}{
		{map[string]string{}, defaultHeapFloorMB, false},
		{map[string]string{"MPICHAN_HEAP_FLOOR_MB": "0"}, 0, false},
		{map[string]string{"MPICHAN_HEAP_FLOOR_MB": "64"}, 64, false},
		{map[string]string{"GOGC": "200"}, 0, false},
		{map[string]string{"GOMEMLIMIT": "1GiB", "MPICHAN_HEAP_FLOOR_MB": "64"}, 0, false},
		{map[string]string{"MPICHAN_HEAP_FLOOR_MB": "16MiB"}, 0, true},
		{map[string]string{"MPICHAN_HEAP_FLOOR_MB": "-1"}, 0, true},
	} {
		lookup := func(k string) (string, bool) { v, ok := c.env[k]; return v, ok }
		got, err := heapFloorMB(lookup)
		if c.bad {
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "MPICHAN_HEAP_FLOOR_MB") {
				t.Errorf("heapFloorMB with %v: error %v, want ErrInvalid naming MPICHAN_HEAP_FLOOR_MB", c.env, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("heapFloorMB with %v = %d, %v; want %d", c.env, got, err, c.want)
		}
	}
}
