package mpichan

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/mpichan/mpichan/sdk/internal/rma"
)

// The MPI settings that depend on where the job runs. Init calls
// applySettings before MPI_Init: the launcher's environment tells whether
// the ranks span several nodes, and a job that does gets the one-sided
// stack that works there (docs/MPI.md has the table and the measurements).

// multiNodeOpenMPI are the settings for Open MPI when the job spans nodes.
// Debian's openmpi-mca-params.conf disables pml ucx and osc ucx (pml = ^ucx,
// osc = ^ucx,pt2pt); osc rdma cannot create windows without an RDMA network
// (btl openib/uct); osc pt2pt refuses MPI_THREAD_MULTIPLE. pml ucx + osc ucx
// works over any network UCX knows, TCP included, once its transport and
// device lists (by default InfiniBand only) are opened up. osc sm stays
// allowed beside osc ucx: by default a channel's window spans only its
// host's node (MPI_Win_allocate_shared over the node: osc sm) and the other
// nodes reach it through the host's relay; osc ucx serves the windows over
// the whole job that Options.RemoteRMA asks for (osc sm declines those).
var multiNodeOpenMPI = [][2]string{
	{"OMPI_MCA_pml", "ucx"},
	{"OMPI_MCA_osc", "sm,ucx"}, // sm: the relay path's window over the host's node; ucx: RemoteRMA
	{"OMPI_MCA_pml_ucx_tls", "any"},
	{"OMPI_MCA_pml_ucx_devices", "any"},
}

// applySettings sets each layout-dependent setting that the environment
// does not set already; a user's own value always wins.
func applySettings() {
	if openMPI() && acrossNodes() {
		setDefaults(multiNodeOpenMPI)
	}
}

// setDefaults sets each variable of kv that is not set.
func setDefaults(kv [][2]string) {
	for _, s := range kv {
		if _, set := os.LookupEnv(s[0]); !set {
			os.Setenv(s[0], s[1])
		}
	}
}

func openMPI() bool { return strings.Contains(rma.Library(), "Open MPI") }

// acrossNodes reports whether the launcher placed the job's ranks on more
// than one node: Open MPI's mpirun (local size below world size), MPICH's
// hydra (MPI_LOCALNRANKS below PMI_SIZE) or srun (SLURM_STEP_NUM_NODES).
// Every rank sees the same answer, so all pick the same settings.
func acrossNodes() bool {
	less := func(local, world string) bool {
		l, err1 := strconv.Atoi(os.Getenv(local))
		w, err2 := strconv.Atoi(os.Getenv(world))
		return err1 == nil && err2 == nil && l < w
	}
	if less("OMPI_COMM_WORLD_LOCAL_SIZE", "OMPI_COMM_WORLD_SIZE") || less("MPI_LOCALNRANKS", "PMI_SIZE") {
		return true
	}
	n, err := strconv.Atoi(os.Getenv("SLURM_STEP_NUM_NODES"))
	return err == nil && n > 1
}

// oscAllows reports whether OMPI_MCA_osc, when set, lets Open MPI use the
// one-sided component name ("sm", "ucx"); unset, Debian's configuration
// file decides, which allows sm and rdma but not ucx or pt2pt.
func oscAllows(name string) bool {
	v := strings.TrimSpace(os.Getenv("OMPI_MCA_osc"))
	if v == "" {
		return name != "ucx" && name != "pt2pt"
	}
	exclude := strings.HasPrefix(v, "^")
	listed := false
	for _, c := range strings.Split(strings.TrimPrefix(v, "^"), ",") {
		listed = listed || strings.TrimSpace(c) == name
	}
	return listed != exclude
}

// oscSM reports whether Open MPI's osc sm serves the windows of a
// communicator on one node: it does unless OMPI_MCA_osc leaves it out.
func oscSM() bool { return oscAllows("sm") }

// serialRMA reports whether one-sided calls must be serialized in this
// process: under Open MPI's osc ucx (across nodes, where Init picks it,
// or wherever OMPI_MCA_osc lets it in and osc sm does not serve), whose
// 4.1 release deadlocks with concurrent one-sided calls from several
// threads (measured: 3 ranks, 4 goroutines each, hung 2 of 2 runs).
func serialRMA(oneNode bool) bool {
	return openMPI() && oscAllows("ucx") && !(oneNode && oscSM())
}

// needsProgress reports whether a channel's host must keep calling into
// MPI for other ranks' one-sided operations to complete. Only Open MPI's
// osc sm, on one node, completes them at the origin by itself (an atomic is
// a CPU instruction there). MPICH, osc ucx and osc pt2pt need the target's
// progress engine, and so does osc rdma even on one node, where btl vader
// emulates its atomics through the target (measured: a host that computed
// for 3 s stalled every origin for 3 s, and hung when it waited in a take).
func needsProgress(oneNode bool) bool {
	return !(openMPI() && oneNode && oscSM())
}

// allocateHint explains a failed MPI_Win_allocate: it names the one-sided
// component that failed and the fix.
func allocateHint(oneNode bool) string {
	if !openMPI() {
		return "MPI could not create the channel's window"
	}
	osc := os.Getenv("OMPI_MCA_osc")
	if osc == "" {
		osc = "unset, so Open MPI's configuration files choose"
	}
	where, fix := "across nodes", "so that mpichan.Init picks pml ucx + osc ucx across nodes, or set OMPI_MCA_pml=ucx OMPI_MCA_osc=sm,ucx yourself"
	if oneNode {
		where, fix = "on one node", "so that Open MPI uses osc sm on one node"
	}
	return "Open MPI found no one-sided component able to create a window " + where +
		" (OMPI_MCA_osc=" + osc + ", OMPI_MCA_pml=" + os.Getenv("OMPI_MCA_pml") + "): " +
		"osc rdma needs an RDMA network (btl openib/uct, not tcp), osc pt2pt refuses MPI_THREAD_MULTIPLE, " +
		"and osc ucx needs pml ucx. Fix: unset OMPI_MCA_osc and OMPI_MCA_pml, " + fix + " (docs/MPI.md)"
}

// finalizeGrace is how long Finalize lets MPICH 4.0's MPI_Finalize run
// before it ends the process itself (see finalizeWatchdog).
const finalizeGrace = 5 * time.Second

// finalizeWatchdog guards MPI_Finalize under MPICH before 4.2: it waits
// in a barrier for every rank to be done, arms a timer, and returns the
// function that disarms it. There, MPI_Finalize closes its UCX
// endpoints and then waits in a PMI barrier without progressing UCX, so a
// peer whose close needs that rank's answer waits forever (pmodels/mpich
// #6596, fixed in 4.2). Over TCP between hosts this hung 2-6 of 8 runs of
// a plain C program (MPI_Allreduce, MPI_Finalize); with such a watchdog,
// 0 of 12 hung. When MPI_Finalize is still running after finalizeGrace,
// every rank has already passed the barrier in Finalize, so the job's work
// is done: the process says so on stderr and exits with status code, the
// one the program meant to exit with (Exit; 0 from Finalize).
func finalizeWatchdog(code int) (disarm func()) {
	if !mpichFinalizeHangs(rma.Library()) {
		return func() {}
	}
	World().Barrier()
	rank := Rank() // MPI may not answer once MPI_Finalize has begun
	t := time.AfterFunc(finalizeGrace, func() {
		fmt.Fprintf(os.Stderr, "mpichan: rank %d: MPI_Finalize still running after %v (MPICH 4.0 with UCX, pmodels/mpich#6596); exiting with status %d\n", rank, finalizeGrace, code)
		os.Exit(code)
	})
	return func() { t.Stop() }
}

// mpichFinalizeHangs reports whether lib (MPI_Get_library_version's text)
// is an MPICH older than 4.2.
func mpichFinalizeHangs(lib string) bool {
	var major, minor int
	i := strings.Index(lib, "MPICH Version:")
	if i < 0 {
		return false
	}
	if _, err := fmt.Sscanf(strings.TrimSpace(lib[i+len("MPICH Version:"):]), "%d.%d", &major, &minor); err != nil {
		return false
	}
	return major < 4 || (major == 4 && minor < 2)
}

// envVirtualNodes names the setting that makes the ranks of each node act
// as several nodes: with MPICHAN_VIRTUAL_NODES=k, world rank r is on
// virtual node r mod k of its node, and a channel takes the path it takes
// across nodes: ranks off its host's virtual node reach it through the
// host's relay server (or, with Options.RemoteRMA, one-sided MPI over the
// whole communicator), while every byte still moves within the real node.
// It exists for tests: the relay runs on one host, without root or the
// test hosts. Unset, empty or 1: the real nodes. Only the channels' choice
// of path changes; the MPI settings above still follow the real layout.
const envVirtualNodes = "MPICHAN_VIRTUAL_NODES"

// maxVirtualNodes bounds MPICHAN_VIRTUAL_NODES (more than any job's ranks).
const maxVirtualNodes = 1 << 20

// virtualNodes is the number of virtual nodes per node that the
// environment asks for (envVirtualNodes); 1 leaves the real nodes.
func virtualNodes(lookup func(string) (string, bool)) (int, error) {
	s, _ := lookup(envVirtualNodes)
	if s == "" {
		return 1, nil
	}
	k, err := strconv.Atoi(s)
	if err != nil || k < 1 || k > maxVirtualNodes {
		return 0, fmt.Errorf("%w: %s=%q: want a whole number of nodes per node, from 1 (the real nodes) to %d",
			ErrInvalid, envVirtualNodes, s, maxVirtualNodes)
	}
	return k, nil
}
