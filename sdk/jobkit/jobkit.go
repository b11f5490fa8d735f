// Package jobkit is what MPI jobs built on mpichan share besides channels:
// the skeleton of main (Main: Init, run, Abort on failure, Finalize),
// command-line flags that every rank parses and rank 0 alone reports on,
// progress shown on rank 0, output files written whole or not at all
// (devices, FIFOs and links written through), and a journal of finished
// tasks that lets a killed job, run again, skip them.
package jobkit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	mpichan "github.com/mpichan/mpichan/sdk"
)

// Main is a job's main after its flags are parsed. It starts MPI, runs job
// on every rank, shuts MPI down and exits; it does not return.
//
//   - If MPI does not start, it prints why and exits with status 1.
//   - If job returns nil, it finalizes MPI and exits with status 0.
//   - If job returns an error marked InOrder, every rank has finished in
//     order: it prints the error, finalizes MPI and exits with status 1.
//   - Any other error may leave other ranks waiting for this one, so it
//     prints the error with the rank and aborts the whole job (MPI_Abort).
//
// job's context ends on SIGINT or SIGTERM. name prefixes the messages.
func Main(name string, job func(ctx context.Context) error) {
	if err := mpichan.Init(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := job(ctx)
	stop()
	var done inOrder
	switch {
	case err == nil:
	case errors.As(err, &done):
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, done.error)
	default:
		fmt.Fprintf(os.Stderr, "%s: rank %d: %v\n", name, mpichan.Rank(), err)
		mpichan.World().Abort(1) // do not leave the other ranks waiting
	}
	if err != nil {
		mpichan.Exit(1)
	}
	mpichan.Exit(0)
}

// InOrder marks err as an error after which every rank has ended the job
// in order (channels drained and freed), so that Main exits with status 1
// without aborting the job. It returns nil for nil.
func InOrder(err error) error {
	if err == nil {
		return nil
	}
	return inOrder{err}
}

type inOrder struct{ error }

func (e inOrder) Unwrap() error { return e.error }

// LauncherRank is this process's rank as the MPI launcher announced it in
// the environment, readable before MPI starts; 0 outside a launcher.
func LauncherRank() int {
	for _, k := range []string{"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", "SLURM_PROCID"} {
		if r, err := strconv.Atoi(os.Getenv(k)); err == nil {
			return r
		}
	}
	return 0
}
