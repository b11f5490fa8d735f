// Command soak pushes many messages of mixed sizes through several
// channels at once, with every way of putting and taking (Put, TryPut,
// PutF, Take, TryTake, TakeF, a range over All), a claim made late, and a close while puts
// are still arriving, then reports lost, duplicated and corrupted messages
// and each rank's memory (RSS) after warm-up and at the end. Run it with
// `make soak` (docs/RELIABILITY.md has the last result):
//
//	mpirun -n 5 soak -messages 10000000
package main

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mpichan "github.com/mpichan/mpichan/sdk"
	mpi "github.com/sbromberger/gompi"
)

// How each channel ends its takes.
const (
	upFront = iota // rank 0 claims every message before anyone puts
	late           // a random rank claims every message after a random pause
	closing        // rank 0 closes it once every rank has finished putting
)

type spec struct {
	end                 int
	capacity, frameSize int
}

var specs = []spec{
	{upFront, 16, 64},
	{late, 64, 256},
	{closing, 128, 128},
}

func main() {
	messages := flag.Int("messages", 1_000_000, "messages in all, over all channels and ranks")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.BoolVar(&noShared, "noshared", false, "reach the hosts with MPI one-sided calls on one node too (Options.NoShared)")
	flag.Parse()
	if err := mpichan.Init(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := run(*messages, *seed)
	mpichan.Finalize()
	os.Exit(code)
}

// noShared is the -noshared flag.
var noShared bool

// counters of one rank, summed over ranks at the end
type counters struct {
	put, refused, taken, corrupt, errors atomic.Int64
}

func run(total int, seed uint64) int {
	rank, size := mpichan.Rank(), mpichan.Size()
	world := mpichan.World()
	ctx, cancel := context.WithTimeout(context.Background(), 24*time.Hour)
	defer cancel()
	perRank := (total + len(specs)*size - 1) / (len(specs) * size) // at least total in all
	start := time.Now()

	chans := make([]*mpichan.Channel[[]byte], len(specs))
	for i, s := range specs {
		ch, err := mpichan.New[[]byte](world, mpichan.Options{Capacity: s.capacity, FrameSize: s.frameSize, NoShared: noShared})
		if err != nil {
			fmt.Fprintf(os.Stderr, "rank %d: New: %v\n", rank, err)
			return 1
		}
		chans[i] = ch
	}
	// seen[c][id] counts takes of message id of channel c on this rank.
	seen := make([][]byte, len(specs))
	for i := range seen {
		seen[i] = make([]byte, perRank*size)
		for j := range seen[i] { // resident now, not page by page during the run (RSS)
			seen[i][j] = 1
		}
		clear(seen[i])
	}
	var cnt counters
	var done atomic.Int64 // messages this rank has taken, for the warm-up mark
	var warmRSS atomic.Int64
	warmAt := int64(perRank * len(specs) / 10)
	if rank == 0 {
		if err := chans[0].Claim(perRank * size); err != nil {
			fail(&cnt, "claim", err)
		}
	}
	world.Barrier()

	var producers, consumers sync.WaitGroup
	for c := range specs {
		producers.Add(1)
		go func() {
			defer producers.Done()
			produce(ctx, chans[c], c, rank, perRank, rand.New(rand.NewPCG(seed, uint64(rank*16+c))), &cnt)
		}()
		for g := 0; g < 2; g++ {
			consumers.Add(1)
			go func() {
				defer consumers.Done()
				rng := rand.New(rand.NewPCG(seed, uint64(1000+rank*16+c*2+g)))
				tick := func() {
					if done.Add(1) == warmAt {
						warmRSS.Store(rss())
					}
				}
				if g == 1 { // the other taker ranges over All (batched takes with prefetch)
					err := rangeAll(ctx, chans[c], func(msg []byte) { count(msg, seen[c], &cnt, tick) })
					if err != nil {
						fail(&cnt, "All", err)
					}
					return
				}
				consume(ctx, chans[c], seen[c], rng, &cnt, tick)
			}()
		}
	}
	// The late claim: a random rank, after a random pause.
	plan := rand.New(rand.NewPCG(seed, 99))
	if claimer, pause := plan.IntN(size), time.Duration(plan.IntN(200))*time.Millisecond; rank == claimer {
		time.Sleep(pause)
		if err := chans[1].Claim(perRank * size); err != nil {
			fail(&cnt, "late claim", err)
		}
	}
	producers.Wait()
	world.Barrier() // every rank has put everything: close the closing channel
	if rank == 0 {
		if err := chans[2].Close(); err != nil {
			fail(&cnt, "close", err)
		}
	}
	consumers.Wait()
	endRSS := rss()
	for _, ch := range chans {
		if err := freeChannel(ch); err != nil {
			fail(&cnt, "free", err)
		}
	}

	// Sum the takes of every message over the ranks.
	var lost, dup int64
	// As uint32, in chunks: MPICH defines no MPI_SUM on MPI_BYTE (the soak
	// failed there at the very end).
	const chunk = 1 << 16
	in, sum := make([]uint32, chunk), make([]uint32, chunk)
	for c := range specs {
		for at := 0; at < len(seen[c]); at += chunk {
			part := seen[c][at:min(len(seen[c]), at+chunk)]
			for i, n := range part {
				in[i] = uint32(n)
			}
			if err := world.AllreduceUint32s(sum[:len(part)], in[:len(part)], mpi.OpSum, 0); err != nil {
				fail(&cnt, "allreduce", err)
			}
			for _, n := range sum[:len(part)] {
				switch {
				case n == 0:
					lost++
				case n > 1:
					dup += int64(n) - 1
				}
			}
		}
	}
	all := func(v int64) int64 {
		in, out := []int64{v}, []int64{0}
		world.AllreduceInt64s(out, in, mpi.OpSum, 0)
		return out[0]
	}
	worst := func(v int64) int64 {
		in, out := []int64{v}, []int64{0}
		world.AllreduceInt64s(out, in, mpi.OpMax, 0)
		return out[0]
	}
	put, refused, taken, corrupt, errs := all(cnt.put.Load()), all(cnt.refused.Load()), all(cnt.taken.Load()), all(cnt.corrupt.Load()), all(cnt.errors.Load())
	// Refused puts (after Close) are not messages: they must not arrive.
	lost -= refused
	growth := int64(0)
	if w := warmRSS.Load(); w > 0 {
		growth = (endRSS - w) * 1000 / w // per mille
	}
	worstGrowth, worstEnd := worst(growth), worst(endRSS)
	if rank == 0 {
		ok := lost == 0 && dup == 0 && corrupt == 0 && errs == 0 && put == taken && worstGrowth <= 100
		fmt.Printf("soak: %s, %d ranks, %d channels, %v\n", firstLine(mpichan.Library()), size, len(specs), time.Since(start).Round(time.Second))
		fmt.Printf("soak: put %d, refused after close %d, taken %d: lost %d, duplicated %d, corrupt %d, errors %d\n",
			put, refused, taken, lost, dup, corrupt, errs)
		fmt.Printf("soak: RSS growth after warm-up, worst rank %+.1f%% (largest RSS at the end %d MiB)\n", float64(worstGrowth)/10, worstEnd>>20)
		if !ok {
			fmt.Println("soak: FAILED")
			return 1
		}
		fmt.Println("soak: ok")
	}
	return 0
}

// produce puts perRank messages of channel c, mixing Put, TryPut and PutF.
func produce(ctx context.Context, ch *mpichan.Channel[[]byte], c, rank, perRank int, rng *rand.Rand, cnt *counters) {
	var futures []*mpichan.Future[struct{}]
	settle := func(err error) {
		switch {
		case err == nil:
			cnt.put.Add(1)
		case errors.Is(err, mpichan.ErrClosed):
			cnt.refused.Add(1)
		default:
			fail(cnt, "put", err)
		}
	}
	for i := 0; i < perRank; i++ {
		id := uint64(rank*perRank + i)
		msg := message(id, size(rng, ch.Capacity()*ch.FrameSize()))
		switch r := rng.IntN(10); {
		case r < 2: // TryPut, then Put when full
			err := ch.TryPut(msg)
			if errors.Is(err, mpichan.ErrFull) {
				err = ch.Put(ctx, msg)
			}
			settle(err)
		case r < 4: // PutF, up to 4 in flight
			futures = append(futures, ch.PutF(ctx, msg))
			if len(futures) == 4 {
				for _, f := range futures {
					_, _, err := f.Wait()
					settle(err)
				}
				futures = futures[:0]
			}
		default:
			settle(ch.Put(ctx, msg))
		}
	}
	for _, f := range futures {
		_, _, err := f.Wait()
		settle(err)
	}
}

// consume takes until none is left, mixing Take, TryTake and TakeF.
func consume(ctx context.Context, ch *mpichan.Channel[[]byte], seen []byte, rng *rand.Rand, cnt *counters, tick func()) {
	for {
		var msg []byte
		var ok bool
		var err error
		switch r := rng.IntN(10); {
		case r < 2:
			msg, ok, err = ch.TryTake()
			if errors.Is(err, mpichan.ErrEmpty) {
				msg, ok, err = ch.Take(ctx)
			}
		case r < 4:
			msg, ok, err = ch.TakeF(ctx).Wait()
		default:
			msg, ok, err = ch.Take(ctx)
		}
		if err != nil {
			fail(cnt, "take", err)
			return
		}
		if !ok {
			return
		}
		count(msg, seen, cnt, tick)
	}
}

// count checks a message taken and counts it under its id.
func count(msg, seen []byte, cnt *counters, tick func()) {
	id, intact := check(msg)
	if !intact || id >= uint64(len(seen)) {
		cnt.corrupt.Add(1)
		return
	}
	seen[id]++ // one consumer goroutine per id at most, unless duplicated
	cnt.taken.Add(1)
	tick()
}

// rangeAll ranges over ch.All(ctx) until none is left, whichever form All
// has (iter.Seq[T] with an Err method, or iter.Seq2[T, error]).
func rangeAll(ctx context.Context, ch any, each func([]byte)) error {
	v := reflect.ValueOf(ch)
	seq := v.MethodByName("All").Call([]reflect.Value{reflect.ValueOf(ctx)})[0]
	var err error
	yield := reflect.MakeFunc(seq.Type().In(0), func(args []reflect.Value) []reflect.Value {
		if len(args) == 2 && !args[1].IsNil() {
			err = args[1].Interface().(error)
			return []reflect.Value{reflect.ValueOf(false)}
		}
		each(args[0].Interface().([]byte))
		return []reflect.Value{reflect.ValueOf(true)}
	})
	seq.Call([]reflect.Value{yield})
	if m := v.MethodByName("Err"); err == nil && m.IsValid() {
		err, _ = m.Call(nil)[0].Interface().(error)
	}
	return err
}

// size picks a message's noise bytes for a channel of room bytes: mostly
// small, some spanning several frames, a few up to the whole channel.
func size(rng *rand.Rand, room int) int {
	max := room - 12 // id and CRC
	switch r := rng.IntN(100); {
	case r < 60:
		return rng.IntN(64)
	case r < 95:
		return rng.IntN(min(1024, max) + 1)
	default:
		return rng.IntN(max + 1)
	}
}

// message is id, then n bytes of id-seeded noise, then a CRC of both.
func message(id uint64, n int) []byte {
	b := make([]byte, 8+n+4)
	binary.LittleEndian.PutUint64(b, id)
	r := rand.New(rand.NewPCG(id, 7))
	for i := 8; i < 8+n; i++ {
		b[i] = byte(r.Uint32())
	}
	binary.LittleEndian.PutUint32(b[8+n:], crc32.ChecksumIEEE(b[:8+n]))
	return b
}

func check(b []byte) (uint64, bool) {
	if len(b) < 12 {
		return 0, false
	}
	n := len(b) - 4
	return binary.LittleEndian.Uint64(b), crc32.ChecksumIEEE(b[:n]) == binary.LittleEndian.Uint32(b[n:])
}

var failMu sync.Mutex

func fail(cnt *counters, what string, err error) {
	cnt.errors.Add(1)
	failMu.Lock()
	defer failMu.Unlock()
	fmt.Fprintf(os.Stderr, "rank %d: %s: %v\n", mpichan.Rank(), what, err)
}

// rss is this process's resident memory in bytes (Linux), 0 if unknown.
func rss() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// freeChannel calls ch.Free, with a context where Free takes one.
func freeChannel(ch any) error {
	m := reflect.ValueOf(ch).MethodByName("Free")
	var args []reflect.Value
	if m.Type().NumIn() == 1 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		args = append(args, reflect.ValueOf(ctx))
	}
	if err, _ := m.Call(args)[0].Interface().(error); err != nil {
		return err
	}
	return nil
}

func firstLine(s string) string {
	if i := strings.IndexAny(s, ",\n"); i >= 0 {
		return s[:i]
	}
	return s
}
