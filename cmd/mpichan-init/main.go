// Command mpichan-init scaffolds an mpichan job: a Go module from a
// template, a Makefile, Slurm batch scripts and an Apptainer definition.
//
//	mpichan-init new myjob --nodes 2 --ntasks-per-node 4
//	mpichan-init list
//	mpichan-init check myjob
//	source <(mpichan-init completion)
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"
)

func main() {
	app := newApp(os.Stdout, os.Stderr)
	if err := app.Run(interspersed(app, os.Args)); err != nil {
		fmt.Fprintln(os.Stderr, "mpichan-init:", err)
		os.Exit(1)
	}
}

func newApp(stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:                 "mpichan-init",
		Usage:                "scaffold an mpichan MPI job for mpirun, Slurm and Apptainer",
		Version:              toolVersion(),
		EnableBashCompletion: true,
		Writer:               stdout,
		ErrWriter:            stderr,
		ExitErrHandler:       func(*cli.Context, error) {},
		Commands: []*cli.Command{
			newCommand(),
			{
				Name:   "list",
				Usage:  "list the built-in templates",
				Action: listAction,
			},
			{
				Name:         "check",
				Usage:        "check Apptainer definitions (*.def, their %files against the Go build) and, with shellcheck, scripts under DIR",
				ArgsUsage:    "DIR|FILE",
				Action:       checkAction,
				BashComplete: completeFlags,
			},
			completionCommand(),
		},
	}
}
