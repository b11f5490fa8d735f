// Command sif writes a SIF image the way `apptainer build` lays one out:
// the definition file as a deffile object and a squashfs root file system
// as the primary system partition, with Apptainer's launch script. It then
// reads the file back and prints its objects.
//
//	sif -def apptainer/job.def -squashfs root.squashfs -o job.sif
//
// It is its own module (github.com/apptainer/sif/v2 is needed nowhere
// else); run it with GOWORK=off.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"

	"github.com/apptainer/sif/v2/pkg/sif"
)

// launchScript is the header line Apptainer writes, which makes a SIF
// executable when run-singularity is installed.
const launchScript = "#!/usr/bin/env run-singularity\n"

func main() {
	def := flag.String("def", "", "definition file to embed")
	squashfs := flag.String("squashfs", "", "squashfs image of the root file system")
	out := flag.String("o", "", "SIF file to write")
	flag.Parse()
	if err := write(*def, *squashfs, *out); err != nil {
		fmt.Fprintln(os.Stderr, "sif:", err)
		os.Exit(1)
	}
	summary, err := describe(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sif:", err)
		os.Exit(1)
	}
	fmt.Print(summary)
}

// write makes out from the definition file and the squashfs image; on
// error it removes what it wrote.
func write(def, squashfs, out string) (err error) {
	if def == "" || squashfs == "" || out == "" {
		return errors.New("usage: sif -def FILE -squashfs FILE -o FILE")
	}
	defFile, err := os.Open(def)
	if err != nil {
		return err
	}
	defer defFile.Close()
	fsFile, err := os.Open(squashfs)
	if err != nil {
		return err
	}
	defer fsFile.Close()
	defDI, err := sif.NewDescriptorInput(sif.DataDeffile, defFile)
	if err != nil {
		return err
	}
	fsDI, err := sif.NewDescriptorInput(sif.DataPartition, fsFile,
		sif.OptPartitionMetadata(sif.FsSquash, sif.PartPrimSys, runtime.GOARCH))
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(out)
		}
	}()
	img, err := sif.CreateContainerAtPath(out,
		sif.OptCreateWithLaunchScript(launchScript),
		sif.OptCreateWithDescriptors(defDI, fsDI))
	if err != nil {
		return err
	}
	return img.UnloadContainer()
}

// describe reads a SIF back and lists its data objects, failing unless it
// has a squashfs primary system partition.
func describe(path string) (string, error) {
	img, err := sif.LoadContainerFromPath(path, sif.OptLoadWithFlag(os.O_RDONLY))
	if err != nil {
		return "", err
	}
	defer img.UnloadContainer()
	s := fmt.Sprintf("%s: SIF, %d bytes of data\n", path, img.DataSize())
	img.WithDescriptors(func(d sif.Descriptor) bool {
		s += fmt.Sprintf("  object %d: %s, %d bytes\n", d.ID(), d.DataType(), d.Size())
		return false
	})
	d, err := img.GetDescriptor(sif.WithPartitionType(sif.PartPrimSys))
	if err != nil {
		return "", fmt.Errorf("%s: no primary system partition: %w", path, err)
	}
	fs, _, arch, err := d.PartitionMetadata()
	if err != nil {
		return "", err
	}
	if fs != sif.FsSquash {
		return "", fmt.Errorf("%s: primary partition is %s, not squashfs", path, fs)
	}
	return s + fmt.Sprintf("  primary system partition: %s, %s\n", fs, arch), nil
}
