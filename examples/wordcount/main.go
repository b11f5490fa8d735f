// Command wordcount counts the words in the files under a directory with a
// map-reduce over all ranks of an MPI job.
//
// Rank 0 lists the files, then reads them chunk by chunk as it hands the
// chunks out through one channel; a full channel holds it back, so memory
// stays bounded however large the input. Every rank, rank 0 included,
// counts the words of the chunks it takes (map) and sends its partial
// counts back through a second channel; rank 0 merges them (reduce). The
// number of chunks is known only once the last file has been read, so the
// task channel ends with Close and the result channel with a Claim of that
// number. The counts equal a single-process count exactly.
//
// Without -dir it counts its own Go source, built into the program, so that
// it has an input wherever the program runs (a project, a container image,
// any node of a cluster).
//
//	mpirun -n 2 ./wordcount -dir "$(go env GOROOT)/src"
package main

import (
	"context"
	"crypto/sha256"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	mpichan "github.com/mpichan/mpichan/sdk"
	"github.com/mpichan/mpichan/sdk/jobkit"
	"golang.org/x/sync/errgroup"
)

const about = `Counts the words (runs of letters and digits, lower-cased) in the files under
a directory, with a map-reduce over every rank, and writes "count<TAB>word"
lines sorted by count to -out. The files must be readable by rank 0.
Without -dir it counts its own Go source, which is built into it.`

// progName is the program's name as it was run (a project made from this
// example has its own): usage, errors and messages use it.
var progName = filepath.Base(os.Args[0])

// ownSource is the program's own Go source: the input without -dir.
//
//go:embed *.go
var ownSource embed.FS

// config is the command line.
type config struct {
	dir, pattern, out string
	chunk, top        int
	progress          string
	journal           string
	fresh             bool
}

func main() {
	var cfg config
	fs := flag.NewFlagSet(progName, flag.ContinueOnError)
	fs.StringVar(&cfg.dir, "dir", "", "`directory` to count the words of (default: this program's own Go source, built in)")
	fs.StringVar(&cfg.pattern, "pattern", "*.go", "count the files whose name matches this `glob` (\"*\" for all)")
	fs.StringVar(&cfg.out, "out", "wordcount.tsv", "write all counts to this `file`")
	fs.IntVar(&cfg.chunk, "chunk", 64<<10, "`bytes` of text per task (1024 to 1048576)")
	fs.IntVar(&cfg.top, "top", 10, "print the `n` most frequent words")
	progress := jobkit.ProgressFlag(fs)
	journal, fresh := jobkit.JournalFlags(fs)
	jobkit.ParseFlags(fs, about, os.Args[1:], func() error {
		cfg.progress = *progress
		cfg.journal, cfg.fresh = jobkit.JournalPath(*journal, cfg.out), *fresh
		return cfg.check()
	})

	jobkit.Main(progName, func(ctx context.Context) error { return run(ctx, cfg) })
}

// check is where the command line is validated, before MPI starts.
func (c config) check() error {
	if c.dir != "" {
		if info, err := os.Stat(c.dir); err != nil {
			return fmt.Errorf("-dir: %w", err)
		} else if !info.IsDir() {
			return fmt.Errorf("-dir %s: not a directory", c.dir)
		}
	}
	if _, err := filepath.Match(c.pattern, ""); err != nil {
		return fmt.Errorf("-pattern %q: %w", c.pattern, err)
	}
	if c.chunk < 1<<10 || c.chunk > 1<<20 {
		return fmt.Errorf("-chunk %d: must be between 1024 and 1048576", c.chunk)
	}
	if c.top < 0 {
		return fmt.Errorf("-top %d: must not be negative", c.top)
	}
	if info, err := os.Stat(filepath.Dir(c.out)); c.out == "" || err != nil || !info.IsDir() {
		return fmt.Errorf("-out %q: not a file in an existing directory", c.out)
	}
	return jobkit.CheckProgress(c.progress)
}

// input is the file tree to count and how messages name it: -dir, or
// the program's own source.
func (c config) input() (fs.FS, string) {
	if c.dir == "" {
		return ownSource, "the program's own source"
	}
	return os.DirFS(c.dir), c.dir
}

// chunk is a task: a piece of text and its number in the order of reading.
type chunk struct {
	ID   int64
	Text []byte
}

// partial is the word counts of one chunk.
type partial struct {
	Chunk  int64 // chunk.ID
	Bytes  int64
	Words  int64
	Counts map[string]int64
}

// frameSize is the channels' frame size in bytes.
const frameSize = 4096

// run is the job on one rank.
func run(ctx context.Context, cfg config) error {
	world := mpichan.World()
	// Room for four chunks in flight, and for four results, which take at
	// most about twice a chunk's size.
	tasks, err := mpichan.New[chunk](world, mpichan.Options{Capacity: 4 * (cfg.chunk/frameSize + 1), FrameSize: frameSize})
	if err != nil {
		return err
	}
	results, err := mpichan.New[partial](world, mpichan.Options{Capacity: 4 * (3*cfg.chunk/frameSize + 2), FrameSize: frameSize})
	if err != nil {
		return err
	}
	var inputErr error
	if mpichan.Rank() == 0 {
		inputErr, err = host(ctx, cfg, tasks, results)
	} else {
		err = work(ctx, tasks, results)
	}
	if err != nil {
		return err
	}
	if err := errors.Join(results.Free(ctx), tasks.Free(ctx)); err != nil {
		return err
	}
	// A problem with the input that rank 0 met while the job ran: the
	// channels still ended in order, so no rank is left waiting.
	return jobkit.InOrder(inputErr)
}

// work is the map: it takes chunks until none is left and sends back the
// word counts of each.
func work(ctx context.Context, tasks *mpichan.Channel[chunk], results *mpichan.Channel[partial]) error {
	return jobkit.Work(ctx, tasks, results, func(c chunk) (partial, error) {
		p := partial{Chunk: c.ID, Bytes: int64(len(c.Text)), Counts: make(map[string]int64)}
		p.Words = countWords(c.Text, p.Counts)
		return p, nil
	})
}

// feed reads the files chunk by chunk and puts each chunk that is not done
// yet (in the journal) as a task. Then, the number of chunks being known
// at last, it closes the tasks and claims one result per chunk put. It
// stops reading at the first read error, but still ends the channels.
func feed(ctx context.Context, fsys fs.FS, files []string, size int, done map[int64]bool, tasks *mpichan.Channel[chunk], results *mpichan.Channel[partial]) (readErr, err error) {
	n := 0
	var id int64
	var putErr error
	put := func(text []byte) error {
		c := chunk{id, text}
		if id++; done[c.ID] {
			return nil
		}
		if putErr = tasks.Put(ctx, c); putErr == nil {
			n++
		}
		return putErr
	}
	for _, file := range files {
		f, err := fsys.Open(file)
		if err == nil {
			err = chunks(f, size, put)
			f.Close()
		}
		if putErr != nil {
			return nil, putErr
		}
		if err != nil {
			readErr = err
			break
		}
	}
	return readErr, errors.Join(tasks.Close(), results.Claim(n))
}

// host is rank 0: it feeds the tasks, works on them and merges the results
// (the reduce), each in a goroutine of one group: the first to fail stops
// the others.
func host(ctx context.Context, cfg config, tasks *mpichan.Channel[chunk], results *mpichan.Channel[partial]) (inputErr, err error) {
	start := time.Now()
	fsys, dir := cfg.input()
	files, size, listErr := listFiles(fsys, cfg.pattern)
	if listErr == nil && len(files) == 0 {
		listErr = fmt.Errorf("no file under %s matches -pattern %q", dir, cfg.pattern)
	}
	var journal *jobkit.Journal[partial]
	var done map[int64]partial
	if listErr == nil {
		journal, done, listErr = resume(cfg, fsys, files)
	}
	if listErr != nil {
		files = nil // feed nothing, so that every rank ends in order
	}
	defer journal.Close()
	var readErr error
	counts := make(map[string]int64)
	var words, chunks, doneBytes int64
	add := func(p partial) {
		for w, c := range p.Counts {
			counts[w] += c
		}
		words += p.Words
		chunks++
	}
	skip := make(map[int64]bool, len(done))
	for id, p := range done {
		add(p)
		doneBytes += p.Bytes
		skip[id] = true
	}
	done = nil // merged: the garbage collector may take them
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		readErr, err = feed(ctx, fsys, files, cfg.chunk, skip, tasks, results)
		return err
	})
	g.Go(func() error { return work(ctx, tasks, results) })
	g.Go(func() error {
		bar := jobkit.NewProgress(cfg.progress, progName, "B", size-doneBytes)
		defer bar.Finish()
		for p, err := range results.All(ctx) {
			if err != nil {
				return err
			}
			if err := journal.Append(p.Chunk, p); err != nil {
				return err
			}
			add(p)
			bar.Add(p.Bytes)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if readErr != nil {
		readErr = fmt.Errorf("%s: %w", dir, readErr) // its file names are relative to dir
	}
	if listErr != nil || readErr != nil {
		return errors.Join(listErr, readErr), nil
	}

	list := sorted(counts)
	if err := jobkit.WriteFileAtomic(cfg.out, func(w io.Writer) error { return writeCounts(w, list) }); err != nil {
		return err, nil
	}
	if err := journal.Remove(); err != nil { // every count is in the output now
		return err, nil
	}
	elapsed := time.Since(start)
	fmt.Printf("%s: %d files, %.1f MiB in %d chunks on %d ranks, %.2fs (%.1f MiB/s)\n", progName, len(files),
		float64(size)/(1<<20), chunks, mpichan.Size(), elapsed.Seconds(), float64(size)/(1<<20)/elapsed.Seconds())
	fmt.Printf("  %d words, %d distinct; all counts in %s\n", words, len(list), cfg.out)
	if cfg.top > 0 {
		fmt.Printf("  %10s  %s\n", "count", "word")
		for _, wc := range list[:min(cfg.top, len(list))] {
			fmt.Printf("  %10d  %s\n", wc.Count, wc.Word)
		}
	}
	return nil, nil
}

// resume opens the journal and returns the partial counts of the chunks
// it holds. The journal is of these files as they are now: a file added,
// removed or changed since it was written makes it refuse them.
func resume(cfg config, fsys fs.FS, files []string) (*jobkit.Journal[partial], map[int64]partial, error) {
	listing := sha256.New()
	for _, name := range files {
		info, err := fs.Stat(fsys, name)
		if err != nil {
			return nil, nil, err
		}
		fmt.Fprintf(listing, "%s\t%d\t%d\n", name, info.Size(), info.ModTime().UnixNano())
	}
	params := fmt.Sprintf("wordcount dir=%s pattern=%q chunk=%d files=%d listing=%x", cfg.dir, cfg.pattern, cfg.chunk, len(files), listing.Sum(nil))
	journal, done, err := jobkit.OpenJournal[partial](cfg.journal, params, cfg.fresh)
	if len(done) > 0 {
		fmt.Printf("%s: resuming from %s: %d chunks already done\n", progName, cfg.journal, len(done))
	}
	return journal, done, err
}
