package mpichan

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/mpichan/mpichan/sdk/internal/rma"
)

// Options configure a channel. Every rank must pass the same values.
type Options struct {
	// Capacity is how many frames the channel holds (default 64). A message
	// may span up to Capacity frames.
	Capacity int
	// FrameSize is the payload bytes of one frame (default 256).
	FrameSize int
	// Host is the rank, in the channel's communicator, whose memory holds
	// the channel (default 0).
	Host int
	// Backoff paces waiting operations (default DefaultBackoff).
	Backoff Backoff
	// NoProgress turns off the host's progress goroutine (see docs/MPI.md).
	// It is off anyway on shared memory (all ranks on one node, NoShared
	// unset: no MPI call reaches the window) and under Open MPI's osc sm,
	// where the origin completes every operation itself; every other
	// configuration, osc rdma included, needs it.
	NoProgress bool
	// Prefetch is how many messages a range over All may take from the
	// host in one batch (default DefaultPrefetch, or DefaultRelayPrefetch
	// on a rank that reaches the host through its relay server; 1 takes
	// one at a time).
	// A loop takes at most half of the messages waiting at its last look,
	// so when messages are scarce it takes them one by one and leaves the
	// rest to other takers. Messages a loop took but did not yield (it
	// stopped early) are held by this rank: the next Take, TryTake or All
	// on this channel here returns them first.
	Prefetch int
	// NoShared makes a channel whose ranks all share one node reach its
	// host with MPI one-sided operations, as across nodes, instead of CPU
	// atomics on memory from MPI_Win_allocate_shared (or, where MPI cannot
	// make a shared window, on memory the SDK maps itself: osc.go).
	NoShared bool
	// Tasks makes the channel carry tasks that make tasks: every put
	// counts its messages as tasks, a taker marks each task it took done
	// (Channel.Done; a range over All or Views does it when an iteration
	// ends), and takes are over when no task is queued and none is held,
	// so that the children a task puts while it is held always come
	// before the end. Claim is refused on such a channel; Hold keeps it
	// open for a producer that holds no task. Close works as usual.
	Tasks bool
	// RemoteRMA makes ranks that are not on the host's node reach the
	// channel with MPI one-sided atomics on a window over the whole
	// communicator, instead of through the host's relay server (the
	// default across nodes; docs/DESIGN.md). The environment variable
	// MPICHAN_REMOTE=rma sets it for every channel of the process. It
	// changes nothing when all ranks share one node. Across the test hosts
	// the relay is faster (docs/PERFORMANCE.md).
	RemoteRMA bool
}

// DefaultPrefetch is Options.Prefetch's default, chosen by measurement
// (docs/PERFORMANCE.md).
const DefaultPrefetch = 8

// DefaultRelayPrefetch is Options.Prefetch's default on a rank that
// reaches the host through its relay server, where each request is a
// network round trip: larger, chosen by measurement across the test hosts
// (docs/PERFORMANCE.md). The rule that a loop takes at most half of the
// messages waiting still bounds what one rank holds.
const DefaultRelayPrefetch = 32

func (o Options) withDefaults() Options {
	if o.Capacity == 0 {
		o.Capacity = 64
	}
	if o.FrameSize == 0 {
		o.FrameSize = 256
	}
	o.Prefetch = min(max(o.Prefetch, 0), rma.BatchMax) // 0: the default, once the transport is known (ring.init)
	if os.Getenv("MPICHAN_REMOTE") == "rma" {
		o.RemoteRMA = true
	}
	o.Backoff = o.Backoff.orDefault()
	return o
}

// Limits on Options, so that every counter and offset fits comfortably.
const (
	MaxCapacity  = 1 << 24
	MaxFrameSize = 1 << 24
	maxWindow    = 1 << 40
)

// agree checks, collectively, that every rank passed the same parameters.
func agree(c *rma.Comm, o Options, codec string) error {
	h := fnv.New64a()
	h.Write([]byte(codec))
	valid := int64(1)
	switch {
	case o.Capacity < 1 || o.Capacity > MaxCapacity,
		o.FrameSize < 1 || o.FrameSize > MaxFrameSize,
		o.Host < 0 || o.Host >= c.Size(),
		int64(o.Capacity)*int64(o.FrameSize+frameHeader+8) > maxWindow:
		valid = 0
	}
	flag := func(b bool) int64 {
		if b {
			return 1
		}
		return 0
	}
	// The type hash stays last: a mismatch there is told by type names.
	names := []string{"validity", "capacity", "frame size", "host rank", "NoShared", "RemoteRMA", "Tasks", "message type or codec"}
	vals := []int64{valid, int64(o.Capacity), int64(o.FrameSize), int64(o.Host), flag(o.NoShared), flag(o.RemoteRMA), flag(o.Tasks), int64(h.Sum64() >> 1)}
	lo, hi, err := c.AllreduceMinMax(vals)
	if err != nil {
		return err
	}
	for i := 1; i < len(vals); i++ {
		if lo[i] == hi[i] {
			continue
		}
		if i < len(vals)-1 {
			return &MismatchError{Param: names[i], Min: strconv.FormatInt(lo[i], 10), Max: strconv.FormatInt(hi[i], 10)}
		}
		first, second, err := twoNames(c, codec, vals[i] == lo[i], vals[i] == hi[i])
		if err != nil {
			return err
		}
		return &MismatchError{Param: names[i], Min: first, Max: second}
	}
	if lo[0] == 0 {
		return fmt.Errorf("%w: capacity %d (1..%d), frame size %d (1..%d), host rank %d (0..%d)",
			ErrInvalid, o.Capacity, MaxCapacity, o.FrameSize, MaxFrameSize, o.Host, c.Size()-1)
	}
	return nil
}

// nameWords is how many int64 words of a codec name twoNames exchanges.
const nameWords = 32

// twoNames exchanges the codec names of a rank with the smallest hash and of
// a rank with the largest (collectively, with the one reduction this package
// has): ranks that hold such a name contribute its bytes, the others a
// value that loses the reduction.
func twoNames(c *rma.Comm, name string, low, high bool) (string, string, error) {
	words := func(ours bool, other int64) []int64 {
		w := make([]int64, nameWords)
		b := make([]byte, 8*nameWords)
		copy(b, name)
		for i := range w {
			w[i] = other
			if ours {
				w[i] = int64(binary.BigEndian.Uint64(b[8*i:]))
			}
		}
		return w
	}
	lo, hi, err := c.AllreduceMinMax(append(words(low, math.MaxInt64), words(high, math.MinInt64)...))
	if err != nil {
		return "", "", err
	}
	text := func(w []int64) string {
		b := make([]byte, 0, 8*nameWords)
		for _, v := range w {
			b = binary.BigEndian.AppendUint64(b, uint64(v))
		}
		s := strings.TrimRight(string(b), "\x00")
		if len(s) == 8*nameWords { // perhaps cut short
			s += "…"
		}
		return s
	}
	return text(lo[:nameWords]), text(hi[nameWords:]), nil
}
