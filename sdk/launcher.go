package mpichan

/*
#include <mpi.h>
// The MPI family of the mpi.h this package was compiled against.
static const char *mpichan_header_family(void) {
#if defined(OPEN_MPI)
	return "Open MPI";
#elif defined(MPICH) || defined(MPICH_VERSION)
	return "MPICH";
#else
	return "";
#endif
}
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/mpichan/mpichan/sdk/internal/rma"
)

// compiledHeader is the MPI family of the mpi.h this package was compiled
// against ("Open MPI", "MPICH", or "" for another MPI).
var compiledHeader = C.GoString(C.mpichan_header_family())

// checkLibrary fails when the MPI library in use is not of the family of
// header, the mpi.h compiled against. Such a program crashes in its first
// MPI call (MPICH's handles are integers, Open MPI's are pointers). gompi
// v0.2.0 adds -lmpi, Open MPI's library on Debian, to every link, so wrong
// cgo flags give exactly that build; Init stops it, before any MPI call
// that takes a handle, with a message that names both libraries.
func checkLibrary(header string) error {
	if msg := libraryMismatch(header, rma.Library()); msg != "" {
		return errors.New(msg)
	}
	return nil
}

// libraryMismatch returns a message when the MPI library in use (its
// version text) is not of the family of the header compiled against.
func libraryMismatch(header, library string) string {
	openMPI := strings.Contains(library, "Open MPI")
	if header == "" || (header == "Open MPI") == openMPI {
		return ""
	}
	first := libraryName(library)
	return fmt.Sprintf("mpichan: this program was compiled against %s's mpi.h but runs with another MPI library (%s).\n"+
		"It would crash in its first MPI call. Rebuild with the cgo flags of one MPI, quoted:\n"+
		"  CGO_CFLAGS=\"$(pkg-config --cflags PKG)\" CGO_LDFLAGS=\"$(pkg-config --libs PKG)\" go build   (PKG: ompi-c or mpich)\n"+
		"or, in the mpichan repository, eval \"$(make -s env)\" (MPI=mpich for MPICH).", header, first)
}

// launcherSizes are the environment variables in which launchers tell each
// process how many they started, and who sets them. A PMIx launcher (srun
// --mpi=pmix) sets no such variable; under Slurm, mpichan-init's scripts
// set MPICHAN_EXPECT_SIZE instead.
var launcherSizes = [][2]string{
	{"OMPI_COMM_WORLD_SIZE", "Open MPI's mpirun/mpiexec"},
	{"PMI_SIZE", "a PMI-1/PMI-2 launcher (MPICH's mpiexec.hydra, srun --mpi=pmi2)"},
}

// LauncherSize returns how many processes the launcher that started this
// one says it started, and the variable that says so; ok is false when no
// launcher variable is set (a run without mpirun, or a launcher that sets
// none of them).
func LauncherSize() (size int, from string, ok bool) {
	for _, v := range launcherSizes {
		if s := os.Getenv(v[0]); s != "" {
			if n, err := strconv.Atoi(s); err == nil && n > 0 {
				return n, v[0], true
			}
		}
	}
	return 0, "", false
}

// checkLauncher fails when MPI's world size differs from the launcher's
// count: a program started by another MPI's launcher runs as N separate
// "rank 0 of 1" copies, each computing a wrong result without an error.
func checkLauncher(size int) error {
	want, from, ok := LauncherSize()
	if !ok || want == size {
		return nil
	}
	who := from
	for _, v := range launcherSizes {
		if v[0] == from {
			who = v[1]
		}
	}
	return fmt.Errorf("mpichan: MPI world size is %d but %s started %d processes (%s=%d): "+
		"this program uses %s; start it with that MPI's own launcher (Open MPI: mpirun, srun --mpi=pmix; "+
		"MPICH: mpiexec.hydra or mpiexec.mpich, srun --mpi=pmi2), or rebuild it against the launcher's MPI",
		size, who, want, from, want, libraryName(rma.Library()))
}

// libraryName is the first line of an MPI library's version text, with
// its white space made single spaces.
func libraryName(version string) string {
	return strings.Join(strings.Fields(strings.SplitN(version, "\n", 2)[0]), " ")
}
