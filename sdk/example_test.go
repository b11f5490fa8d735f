package mpichan_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"testing"

	mpichan "github.com/mpichan/mpichan/sdk"
	"github.com/mpichan/mpichan/sdk/mpitest"
	mpi "github.com/sbromberger/gompi"
)

// A job hands out work through one channel: rank 0 claims and puts ten
// tasks, every rank takes them until none is left, and a reduction adds up
// the results. (In a program, main calls mpichan.Init and defers
// mpichan.Finalize first; TestExamples runs this on 2 ranks.)
func Example() {
	ctx := context.Background()
	tasks, err := mpichan.New[[]float64](mpichan.World(), mpichan.Options{Capacity: 16, FrameSize: 64})
	if err != nil {
		log.Fatal(err)
	}
	defer tasks.Free(ctx)
	if mpichan.Rank() == 0 {
		tasks.Claim(10)
		for i := range 10 {
			tasks.Put(ctx, []float64{float64(i)})
		}
	}
	sum := 0.0
	for task, err := range tasks.All(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		sum += task[0] * task[0]
	}
	total := make([]float64, 1)
	mpichan.World().AllreduceFloat64s(total, []float64{sum}, mpi.OpSum, 0)
	if mpichan.Rank() == 0 {
		fmt.Println("sum of squares:", total[0])
	}
}

// A stream of unknown length ends with Close: takers drain what is left,
// then see none left.
func ExampleChannel_Close() {
	ctx := context.Background()
	lines, err := mpichan.New[string](mpichan.World(), mpichan.Options{Capacity: 8, FrameSize: 32, Host: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer lines.Free(ctx)
	switch mpichan.Rank() {
	case 0:
		for _, s := range []string{"alpha", "beta", "gamma"} {
			lines.Put(ctx, s)
		}
		lines.Close()
	case 1:
		for s, err := range lines.All(ctx) {
			if err != nil {
				log.Fatal(err)
			}
			fmt.Println(s)
		}
	}
}

// A rank that cannot go on ends the channel for every rank, with its
// reason: takes and puts everywhere, waiting or later, fail with it.
func ExampleChannel_CloseWithError() {
	ctx := context.Background()
	tasks, err := mpichan.New[int64](mpichan.World(), mpichan.Options{Host: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer tasks.Free(ctx)
	if mpichan.Rank() == 0 {
		tasks.CloseWithError(errors.New("input file corrupt"))
	}
	_, _, err = tasks.Take(ctx)
	if mpichan.Rank() == 1 {
		fmt.Println(errors.Is(err, mpichan.ErrFailed), err)
	}
}

// A taker of large messages gives each one back when done with it, so the
// next take reads into the same memory instead of allocating 1 MiB.
func ExampleChannel_Recycle() {
	ctx := context.Background()
	const elems = 1 << 17 // 1 MiB of float64
	blocks, err := mpichan.New[[]float64](mpichan.World(), mpichan.Options{Capacity: 4, FrameSize: 8 * elems})
	if err != nil {
		log.Fatal(err)
	}
	defer blocks.Free(ctx)
	switch mpichan.Rank() {
	case 0:
		blocks.Claim(8)
		block := make([]float64, elems)
		for i := range 8 {
			block[0] = float64(i)
			blocks.Put(ctx, block)
		}
	case 1:
		sum := 0.0
		for block, err := range blocks.All(ctx) {
			if err != nil {
				log.Fatal(err)
			}
			sum += block[0]
			blocks.Recycle(block) // block is not used after this
		}
		fmt.Println("sum of first elements:", sum)
	}
}

// A taker of large messages reads each one where it lies in the channel,
// without copying it out: block is valid only inside the loop body.
func ExampleChannel_Views() {
	ctx := context.Background()
	const elems = 1 << 17 // 1 MiB of float64
	blocks, err := mpichan.New[[]float64](mpichan.World(), mpichan.Options{Capacity: 4, FrameSize: 8 * elems})
	if err != nil {
		log.Fatal(err)
	}
	defer blocks.Free(ctx)
	switch mpichan.Rank() {
	case 0:
		blocks.Claim(8)
		block := make([]float64, elems)
		for i := range 8 {
			block[elems-1] = float64(i)
			blocks.Put(ctx, block)
		}
	case 1:
		sum := 0.0
		for block, err := range blocks.Views(ctx) {
			if err != nil {
				log.Fatal(err)
			}
			sum += block[elems-1] // read here; keep a copy (slices.Clone) to use it later
		}
		fmt.Println("sum of last elements:", sum)
	}
}

// TestExamples runs the examples above on 2 ranks and checks what they print.
func TestExamples(t *testing.T) {
	for name, c := range map[string]struct {
		run  func()
		want string
	}{
		"Example":              {Example, "sum of squares: 285\n"},
		"ExampleChannel_Close": {ExampleChannel_Close, "alpha\nbeta\ngamma\n"},
		"ExampleChannel_CloseWithError": {ExampleChannel_CloseWithError,
			"true mpichan: channel failed by rank 0: input file corrupt\n"},
		"ExampleChannel_Recycle": {ExampleChannel_Recycle, "sum of first elements: 28\n"},
		"ExampleChannel_Views":   {ExampleChannel_Views, "sum of last elements: 28\n"},
	} {
		t.Run(name, func(t *testing.T) {
			mpitest.Run(t, 2, func(t *testing.T) {
				got := capture(t, c.run)
				world := mpichan.World()
				// Only one rank prints; the ranks agree on the total length.
				n := make([]int64, 1)
				world.AllreduceInt64s(n, []int64{int64(len(got))}, mpi.OpSum, 0)
				if got != "" && got != c.want {
					t.Fatalf("printed %q, want %q", got, c.want)
				}
				if n[0] != int64(len(c.want)) {
					t.Fatalf("ranks printed %d bytes in all, want %q", n[0], c.want)
				}
			})
		})
	}
}

// capture returns what f writes to standard output.
func capture(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		var b strings.Builder
		io.Copy(&b, r)
		done <- b.String()
	}()
	f()
	os.Stdout = stdout
	w.Close()
	return <-done
}
