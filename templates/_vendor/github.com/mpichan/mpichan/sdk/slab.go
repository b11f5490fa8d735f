package mpichan

import "sync/atomic"

// slab hands out small buffers cut from shared blocks, so that a take
// costs an atomic add instead of an allocation. A message decoded in place
// (Bytes, Slice) keeps its block alive while the caller holds it: at most
// slabSize bytes per message kept.
type slab struct {
	block atomic.Pointer[slabBlock]
}

type slabBlock struct {
	buf  []byte
	used atomic.Int64
}

// slabSize is the size of a block; buffers above slabMax get their own.
const (
	slabSize = 4096
	slabMax  = 512
)

// get returns n zeroed bytes (n a multiple of 8, so that every buffer is
// 8-byte aligned), safe to keep and to use from any goroutine.
func (s *slab) get(n int) []byte {
	if n > slabMax {
		return make([]byte, n)
	}
	for {
		b := s.block.Load()
		if b != nil {
			if end := int(b.used.Add(int64(n))); end <= len(b.buf) {
				return b.buf[end-n : end : end]
			}
		}
		s.block.CompareAndSwap(b, &slabBlock{buf: make([]byte, slabSize)})
	}
}

// unget gives back b, still zeroed, that get returned last: if no buffer
// was cut from its block since, the next get returns the same bytes. Any
// other b is left alone.
func (s *slab) unget(b []byte) {
	blk := s.block.Load()
	n := int64(len(b))
	if n == 0 || n > slabMax || blk == nil {
		return
	}
	end := blk.used.Load()
	if end < n || end > int64(len(blk.buf)) || &blk.buf[end-n] != &b[0] {
		return
	}
	blk.used.CompareAndSwap(end, end-n)
}
