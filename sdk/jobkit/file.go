package jobkit

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFileAtomic writes path whole or not at all, by what path is:
//
//   - A regular file, or nothing yet: write fills a temporary file in the
//     same directory, which replaces path only when complete. A replaced
//     file keeps its permissions; a new one gets 0644.
//   - A symbolic link: the link stays, and its final target (the end of the
//     chain of links) is written by these same rules, as os.WriteFile would.
//   - A character device (/dev/null, /dev/stdout, a terminal) or a FIFO:
//     written through, never replaced. write fills a buffer in memory
//     first, so a failing write sends nothing; then the whole buffer goes
//     to the device. Opening a FIFO waits for a reader, as os.WriteFile does.
//   - A block device, a socket or a directory: refused with an error, and
//     nothing is written (a job's output on a raw disk is a mistake).
func WriteFileAtomic(path string, write func(w io.Writer) error) error {
	target, info, err := resolveOutput(path)
	if err == nil {
		err = writeByKind(target, info, write)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// writeByKind writes target, which resolveOutput found to be info (nil
// if it does not exist yet).
func writeByKind(target string, info fs.FileInfo, write func(w io.Writer) error) error {
	switch {
	case info == nil:
		return replaceFile(target, 0o644, write)
	case info.Mode().IsRegular():
		return replaceFile(target, info.Mode().Perm(), write)
	case info.Mode()&fs.ModeCharDevice != 0, info.Mode()&fs.ModeNamedPipe != 0:
		return writeThrough(target, write)
	}
	return fmt.Errorf("%s is a %s; refusing to write a job's output there", target, kind(info.Mode()))
}

// maxLinks is how many symbolic links resolveOutput follows, as Linux does.
const maxLinks = 40

// resolveOutput follows path's chain of symbolic links to its final
// target, which may not exist yet (info nil then).
func resolveOutput(path string) (target string, info fs.FileInfo, err error) {
	target = path
	for range maxLinks {
		info, err = os.Lstat(target)
		if os.IsNotExist(err) {
			return target, nil, nil
		}
		if err != nil {
			return "", nil, err
		}
		if info.Mode()&fs.ModeSymlink == 0 {
			return target, info, nil
		}
		link, err := os.Readlink(target)
		if err != nil {
			return "", nil, err
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(filepath.Dir(target), link)
		}
		target = link
	}
	return "", nil, fmt.Errorf("more than %d symbolic links", maxLinks)
}

// replaceFile fills a temporary file next to path and renames it over path.
func replaceFile(path string, perm fs.FileMode, write func(w io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	err = write(f)
	if err == nil {
		err = f.Chmod(perm)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// writeThrough writes into the device or FIFO at path, once write has
// filled a buffer without error.
func writeThrough(path string, write func(w io.Writer) error) error {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = buf.WriteTo(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// kind names a file type for error messages.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&fs.ModeDevice != 0 && m&fs.ModeCharDevice == 0:
		return "block device"
	case m&fs.ModeSocket != 0:
		return "socket"
	}
	return "file of type " + m.Type().String()
}
