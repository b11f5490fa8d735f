package mpichan

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"

	"github.com/mpichan/mpichan/sdk/internal/rma"
	mpi "github.com/sbromberger/gompi"
)

// envDefaults are settings that a Go program under Open MPI needs; Init
// sets each one that the environment does not already set (an MPI that
// does not know them ignores them).
var envDefaults = [][2]string{
	// Open MPI installs handlers for SIGSEGV, SIGBUS, SIGFPE and SIGABRT
	// (opal_signal=6,7,8,11) without SA_ONSTACK; they clash with the Go
	// runtime, which turns nil dereferences into panics and crashes with
	// "non-Go code set up signal handler without SA_ONSTACK flag". An empty
	// list installs none.
	{"OMPI_MCA_opal_signal", ""},
	// On one node Open MPI's osc sm (plain shared memory) is 4x faster than
	// its default osc rdma, and its compare-and-swap works (osc rdma's
	// crashes the target in 4.1.4). sm declines windows that span nodes,
	// where the next component is used as before.
	{"OMPI_MCA_osc_rdma_priority", "20"},
}

// Init starts MPI with MPI_THREAD_MULTIPLE, so that every goroutine may use
// channels concurrently. Call it first in main and defer Finalize: Init and
// Finalize (or Exit) must be called from the same goroutine, typically
// main. MPI_Finalize belongs on the thread that called MPI_Init (MPI's
// main thread), so Init locks the calling goroutine to its OS thread
// (runtime.LockOSThread) and Finalize unlocks it.
//
// It returns an error, before any other MPI call, when the program was
// compiled against one MPI's mpi.h and runs with another's library (it
// would crash in its first MPI call); when MPI fails to start or does not
// grant MPI_THREAD_MULTIPLE; when MPICHAN_EXPECT_SIZE is set and differs
// from the world size, or the launcher started a number of processes other
// than the world size (a launcher/MPI mismatch); and when a setting of its
// own (MPICHAN_HEAP_FLOOR_MB, MPICHAN_VIRTUAL_NODES) is malformed.
//
// Before MPI_Init it sets, each only when the environment does not set it
// already (a user's value always wins):
//   - OMPI_MCA_opal_signal="" (Open MPI's signal handlers crash the Go
//     runtime) and OMPI_MCA_osc_rdma_priority=20 (osc sm on one node);
//   - under Open MPI across nodes, pml ucx and osc sm,ucx (settings.go);
//   - GOMAXPROCS 2 when the process was given one CPU (mpirun's core
//     binding), so that the progress goroutine or relay server of a
//     host rank can run while user code computes.
//
// It also reserves a heap floor (heapfloor.go: 16 MiB that the kernel
// never maps, so that a rank taking many messages does not collect
// garbage every few hundred; GOGC, GOMEMLIMIT or MPICHAN_HEAP_FLOOR_MB=0
// turn it off). Calling Init again does nothing; Init after Finalize
// fails, since MPI cannot be restarted.
func Init() error {
	if err := checkLibrary(compiledHeader); err != nil {
		return err
	}
	if rma.Finalized() {
		return fmt.Errorf("mpichan: Init after Finalize: MPI cannot be restarted")
	}
	if rma.Initialized() {
		return nil
	}
	nodes, err := virtualNodes(os.LookupEnv)
	if err != nil {
		return err
	}
	if err := reserveHeapFloor(); err != nil {
		return err
	}
	setDefaults(envDefaults)
	applySettings()
	if _, set := os.LookupEnv("GOMAXPROCS"); !set && runtime.GOMAXPROCS(0) < 2 {
		runtime.GOMAXPROCS(2)
	}
	rma.SplitNodes(nodes)
	runtime.LockOSThread() // until Finalize: MPI_Finalize runs on this thread
	multiple, err := rma.Start()
	if err != nil {
		return err
	}
	if !multiple {
		return fmt.Errorf("mpichan: %s did not grant MPI_THREAD_MULTIPLE, which the SDK needs (see docs/MPI.md)", rma.Library())
	}
	return checkWorld(Size())
}

// checkWorld fails when MPICHAN_EXPECT_SIZE (set by mpichan-init's Slurm
// scripts to SLURM_NTASKS) differs from the world size: with a PMI that does
// not match the MPI library, every task starts as a separate "rank 0 of 1"
// job and computes a wrong result without any error.
func checkWorld(size int) error {
	if err := checkLauncher(size); err != nil {
		return err
	}
	s := os.Getenv("MPICHAN_EXPECT_SIZE")
	if s == "" {
		return nil
	}
	want, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("mpichan: MPICHAN_EXPECT_SIZE=%q is not a number", s)
	}
	if size != want {
		return fmt.Errorf("mpichan: MPI world size is %d but %d tasks were launched: the launcher's PMI does not match this MPI library (Open MPI: srun --mpi=pmix; MPICH: srun --mpi=pmi2)", size, want)
	}
	return nil
}

// Finalize shuts MPI down (MPI_Finalize) and returns MPI's error if that
// fails. Call it from the goroutine that called Init (see Init); it undoes
// Init's runtime.LockOSThread. It is collective: every rank calls it, and
// it waits for all of them. Free every channel first; for a channel that
// was not freed, Finalize stops the goroutines that call MPI for it in the
// background (a host's progress poller: none may call MPI after
// MPI_Finalize) and frees it, if every rank of the channel's communicator
// gets there within 10 s and no operation on it is still running on this
// rank (finalize.go).
// Without Init, or a second time, it does nothing and returns nil.
func Finalize() error { return finalize(0) }

// Exit finalizes MPI (Finalize) and ends the process with status code, as
// os.Exit does; if Finalize fails, it prints why and the status is 1 (or
// code, if that is not 0). Prefer it to Finalize followed by os.Exit: under
// MPICH 4.0, whose MPI_Finalize may hang (finalizeWatchdog), a Finalize
// that must be cut short ends the process with code too, where Finalize
// alone can only assume success and exit with 0.
func Exit(code int) {
	if err := finalize(code); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// finalize is Finalize; if MPI_Finalize hangs (finalizeWatchdog), the
// process exits with status code.
func finalize(code int) error {
	if !rma.Initialized() || rma.Finalized() {
		return nil
	}
	// Every rank is done with every channel: hosts stop serving only now.
	World().Barrier()
	stopAll()
	defer finalizeWatchdog(code)()
	err := rma.Stop()
	runtime.UnlockOSThread() // Init's lock; nothing on another goroutine
	return err
}

// world is the communicator of all ranks, made once.
var (
	world     *mpi.Communicator
	worldOnce sync.Once
)

// mustRun panics with ErrNotInitialized outside Init..Finalize: there, MPI
// itself would abort the process with a message about MPI_Init.
func mustRun() {
	if !rma.Initialized() || rma.Finalized() {
		panic(ErrNotInitialized)
	}
}

// World is the communicator of all ranks: gompi's (see the package
// documentation). It panics with ErrNotInitialized before Init and after
// Finalize.
func World() *mpi.Communicator {
	mustRun()
	worldOnce.Do(func() { world = mpi.NewCommunicator(nil) })
	return world
}

// Rank is this process's rank in the world communicator. It panics with
// ErrNotInitialized before Init and after Finalize.
func Rank() int {
	mustRun()
	return mpi.WorldRank()
}

// Size is the number of ranks in the world communicator. It panics with
// ErrNotInitialized before Init and after Finalize.
func Size() int {
	mustRun()
	return mpi.WorldSize()
}

// Library is the MPI library's version text ("Open MPI v4.1.4 ...",
// "MPICH Version: 4.0.2 ..."); it works before Init.
func Library() string { return rma.Library() }
