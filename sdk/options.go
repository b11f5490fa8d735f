package mpichan

import (
	"fmt"
	"hash/fnv"

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
	// It is off anyway under Open MPI's osc sm (all ranks on one node),
	// where the origin completes every operation itself; every other
	// configuration, osc rdma included, needs it.
	NoProgress bool
}

func (o Options) withDefaults() Options {
	if o.Capacity == 0 {
		o.Capacity = 64
	}
	if o.FrameSize == 0 {
		o.FrameSize = 256
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
	names := []string{"validity", "capacity", "frame size", "host rank", "message type or codec"}
	vals := []int64{valid, int64(o.Capacity), int64(o.FrameSize), int64(o.Host), int64(h.Sum64() >> 1)}
	lo, hi, err := c.AllreduceMinMax(vals)
	if err != nil {
		return err
	}
	for i := 1; i < len(vals); i++ {
		if lo[i] != hi[i] {
			return &MismatchError{Param: names[i], Min: lo[i], Max: hi[i]}
		}
	}
	if lo[0] == 0 {
		return fmt.Errorf("%w: capacity %d (1..%d), frame size %d (1..%d), host rank %d (0..%d)",
			ErrInvalid, o.Capacity, MaxCapacity, o.FrameSize, MaxFrameSize, o.Host, c.Size()-1)
	}
	return nil
}
