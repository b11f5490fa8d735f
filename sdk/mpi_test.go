package mpichan_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	mpichan "github.com/mpichan/mpichan/sdk"
	"github.com/mpichan/mpichan/sdk/mpitest"
)

func TestNotInitialized(t *testing.T) {
	if mpitest.Worker() {
		t.Skip("MPI is running in this process")
	}
	if _, err := mpichan.New[int](nil, mpichan.Options{}); !errors.Is(err, mpichan.ErrNotInitialized) {
		t.Fatalf("New before Init: %v", err)
	}
	for name, f := range map[string]func(){
		"World": func() { mpichan.World() },
		"Rank":  func() { mpichan.Rank() },
		"Size":  func() { mpichan.Size() },
	} {
		func() {
			defer func() {
				if err, _ := recover().(error); !errors.Is(err, mpichan.ErrNotInitialized) {
					t.Errorf("%s before Init: panic %v, want ErrNotInitialized", name, err)
				}
			}()
			f()
		}()
	}
	if err := mpichan.Finalize(); err != nil {
		t.Fatalf("Finalize without Init: %v", err)
	}
}

// TestWorldSizeMismatch: a job launched with fewer ranks than the launcher
// was asked for (MPICHAN_EXPECT_SIZE) fails in Init with a clear error.
func TestWorldSizeMismatch(t *testing.T) {
	if mpitest.Worker() || testing.Short() {
		t.Skip("launches MPI itself")
	}
	t.Setenv("MPICHAN_EXPECT_SIZE", "5")
	out, err := mpitest.Launch(2, os.Args[0], "-test.run=^TestFIFO$")
	if err == nil || !strings.Contains(out, "MPI world size is 2 but 5 tasks were launched") {
		t.Fatalf("launch with MPICHAN_EXPECT_SIZE=5 on 2 ranks: err=%v\n%s", err, out)
	}
}
