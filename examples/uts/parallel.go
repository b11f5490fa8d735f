package main

import (
	"context"
	"errors"
	"os"
	"time"
	"unsafe"

	mpichan "github.com/mpichan/mpichan/sdk"
	"github.com/mpichan/mpichan/sdk/jobkit"
	mpi "github.com/sbromberger/gompi"
)

// Batching: a message carries up to -chunk nodes (one frame of the
// channel). A rank expands the nodes it took depth first on a local
// stack; every -poll nodes or more (see pace) it looks at the channel's
// state, and if fewer messages wait than there are idle ranks, it hands
// the bottom of its stack to the channel: the shallowest nodes, whose
// subtrees are the largest, at most -chunk of them and at most a quarter
// of the stack. A hand-off that finds the channel full stays on the stack.
const (
	defaultChunk = 32
	maxChunk     = 4096
	defaultPoll  = 512
	maxPoll      = 1 << 24
)

// nodeSize is the bytes a node takes in a message.
const nodeSize = int(unsafe.Sizeof(node{}))

// lookShare bounds the time a rank spends looking at the channel's state:
// at most 1/lookShare of the time it spends expanding nodes between looks.
const lookShare = 16

// handOffShare: a hand-off takes at most 1/handOffShare of the stack (at
// least one node). The bottom of a stack is where its largest subtrees
// are: on T1, half of a stack of a few dozen nodes is nearly all of its
// work, and the rank that gave it away would soon be hungry in turn.
const handOffShare = 4

// capacityPerRank is the channel's capacity in messages per rank: enough
// that a hand-off rarely finds it full, small enough to stay in cache.
const capacityPerRank = 4

// run is the parallel traversal on one rank: rank 0 puts the root, every
// rank takes batches of nodes until none is left, and the counts are
// added up over the ranks; rank 0 prints them.
func run(ctx context.Context, cfg config, s sample) error {
	world := mpichan.World()
	ranks := mpichan.Size()
	ch, err := mpichan.New[[]node](world, mpichan.Options{
		Capacity:  capacityPerRank * ranks,
		FrameSize: cfg.chunk * nodeSize,
		Tasks:     true,
		Prefetch:  1, // a batch can be a huge subtree: leave the others to other ranks
	})
	if err != nil {
		return err
	}
	world.Barrier()
	start := time.Now()
	if mpichan.Rank() == 0 {
		if err := ch.Put(ctx, []node{s.root()}); err != nil {
			return err
		}
	}
	t := traversal{sample: s, ch: ch, chunk: cfg.chunk, poll: cfg.poll, every: cfg.poll, ranks: ranks, lastLook: start}
	for batch, err := range ch.All(ctx) {
		if err == nil {
			err = t.expand(batch)
		}
		if err != nil {
			return err
		}
	}
	total, err := t.reduce(world)
	took := time.Since(start)
	if err := errors.Join(err, ch.Free(ctx)); err != nil {
		return err
	}
	if mpichan.Rank() != 0 {
		return nil
	}
	return jobkit.InOrder(report(os.Stdout, cfg.tree, s, total.counts, total.messages, ranks, took))
}

// traversal is one rank's share of the parallel traversal.
type traversal struct {
	sample
	ch        *mpichan.Channel[[]node]
	chunk     int // nodes a message carries at most
	poll      int // nodes expanded between two looks at the channel's state, at least
	every     int // nodes expanded between two looks now (pace)
	ranks     int
	stack     []node
	counts    counts
	messages  int64 // batches taken
	sincePoll int
	lastLook  time.Time
}

// expand traverses the subtrees below batch, depth first, handing the
// bottom of the stack to the channel when other ranks may be hungry. It
// returns when its stack is empty: a taker never waits for room.
func (t *traversal) expand(batch []node) error {
	t.messages++
	t.stack = append(t.stack[:0], batch...)
	for len(t.stack) > 0 {
		n := t.stack[len(t.stack)-1]
		t.stack = t.stack[:len(t.stack)-1]
		k := t.children(&n)
		t.counts.add(&n, k)
		for i := range k {
			t.stack = append(t.stack, n.child(i))
		}
		if t.sincePoll++; t.sincePoll >= t.every && len(t.stack) > 1 {
			t.sincePoll = 0
			if err := t.share(); err != nil {
				return err
			}
		}
	}
	return nil
}

// share hands the bottom of the stack to the channel if fewer messages
// wait there than there are idle ranks: ranks that hold no batch (a rank
// holds the one it expands; Taken - Done counts them). Nodes that find no
// room stay here.
func (t *traversal) share() error {
	start := time.Now()
	st, err := t.ch.State()
	t.pace(start.Sub(t.lastLook), time.Since(start))
	t.lastLook = time.Now()
	if err != nil {
		return err
	}
	if idle := t.ranks - int(st.Taken-st.Done); st.Len >= idle {
		return nil
	}
	n := min(t.chunk, max(1, len(t.stack)/handOffShare))
	err = t.ch.TryPut(t.stack[:n])
	if errors.Is(err, mpichan.ErrFull) {
		return nil
	}
	if err != nil {
		return err
	}
	t.stack = t.stack[:copy(t.stack, t.stack[n:])]
	return nil
}

// pace sets how many nodes a rank expands between two looks at the
// channel's state from the time the last look took and the time spent
// before it: a look is an atomic read on shared memory, but a request to
// the channel's host across nodes. It looks half as often when looking
// took more than 1/lookShare of the time, twice as often (down to -poll
// nodes) when it took less than a quarter of that.
func (t *traversal) pace(worked, looked time.Duration) {
	switch {
	case looked*lookShare > worked:
		t.every = min(2*t.every, maxPoll)
	case looked*lookShare*4 < worked:
		t.every = max(t.every/2, t.poll)
	}
}

// total is the counts of all ranks together.
type total struct {
	counts
	messages int64
}

// reduce adds up the counts of every rank (collectively).
func (t *traversal) reduce(world *mpi.Communicator) (total, error) {
	sum := make([]int64, 3)
	depth := make([]int64, 1)
	err := errors.Join(
		world.AllreduceInt64s(sum, []int64{t.counts.Nodes, t.counts.Leaves, t.messages}, mpi.OpSum, 0),
		world.AllreduceInt64s(depth, []int64{int64(t.counts.Depth)}, mpi.OpMax, 0))
	return total{counts{Nodes: sum[0], Leaves: sum[1], Depth: int(depth[0])}, sum[2]}, err
}
