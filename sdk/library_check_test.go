package mpichan

import (
	"os"
	"strings"
	"testing"

	"github.com/mpichan/mpichan/sdk/internal/rma"
)

// TestInitLibraryMismatch: a program compiled against the other MPI's
// mpi.h gets libraryMismatch's message from Init, and Init leaves MPI
// unstarted and the environment as it was; the real build passes the
// check.
func TestInitLibraryMismatch(t *testing.T) {
	if rma.Initialized() {
		t.Skip("MPI is running in this process")
	}
	if err := checkLibrary(compiledHeader); err != nil {
		t.Fatalf("this build's own header (%q): %v", compiledHeader, err)
	}
	other := "MPICH"
	if !openMPI() {
		other = "Open MPI"
	}
	saved := compiledHeader
	compiledHeader = other
	defer func() { compiledHeader = saved }()
	const probe = "OMPI_MCA_osc_rdma_priority" // one of the settings Init makes
	before, wasSet := os.LookupEnv(probe)

	err := Init()
	want := "mpichan: this program was compiled against " + other + "'s mpi.h but runs with another MPI library (" + libraryName(rma.Library()) + ")"
	if err == nil || !strings.HasPrefix(err.Error(), want) || err.Error() != libraryMismatch(other, rma.Library()) {
		t.Fatalf("Init with %s's header: %v\nwant the message starting %q", other, err, want)
	}
	if !strings.Contains(err.Error(), `eval "$(make -s env)"`) {
		t.Errorf("the message lacks the fix: %v", err)
	}
	if rma.Initialized() {
		t.Fatal("Init started MPI after the mismatch")
	}
	if after, set := os.LookupEnv(probe); set != wasSet || after != before {
		t.Errorf("Init changed %s to %q (set %v) before failing", probe, after, set)
	}
}
