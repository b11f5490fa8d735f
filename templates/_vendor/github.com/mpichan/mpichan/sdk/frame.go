package mpichan

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// A message travels as k fixed-size frames in consecutive slots of the ring.
// Each slot holds an 8-byte header and frameSize bytes of data:
//
//	size  uint32  bytes of data used in this frame (<= frameSize)
//	count uint32  frames in the message (first frame); 0 in the others
//
// as in the seed design. An empty message is one frame with size 0.
const frameHeader = 8

// layout is the geometry of one channel's frames.
type layout struct {
	frameSize int // payload bytes per frame
	slotSize  int // header + payload, rounded up to 8 bytes
}

func newLayout(frameSize int) layout {
	return layout{frameSize: frameSize, slotSize: (frameHeader + frameSize + 7) &^ 7}
}

// frames is how many frames a message of n bytes needs.
func (l layout) frames(n int) int {
	if n == 0 {
		return 1
	}
	return (n + l.frameSize - 1) / l.frameSize
}

// header writes a frame header at the start of rec.
func (l layout) header(rec []byte, size, count int) {
	binary.LittleEndian.PutUint32(rec[0:], uint32(size))
	binary.LittleEndian.PutUint32(rec[4:], uint32(count))
}

// encode writes msg as frames into dst, which must be frames(len(msg)) slots
// long, and returns the frame count.
func (l layout) encode(dst, msg []byte) int {
	k := l.frames(len(msg))
	for i := 0; i < k; i++ {
		rec := dst[i*l.slotSize : (i+1)*l.slotSize]
		part := msg[min(i*l.frameSize, len(msg)):min((i+1)*l.frameSize, len(msg))]
		count := 0
		if i == 0 {
			count = k
		}
		l.header(rec, len(part), count)
		n := copy(rec[frameHeader:], part)
		clear(rec[frameHeader+n:])
	}
	return k
}

var errFrame = errors.New("mpichan: corrupt frame")

// count is the frame count in the header of a message's first slot.
func (l layout) count(first []byte) (int, error) {
	if len(first) < l.slotSize {
		return 0, fmt.Errorf("%w: short slot (%d bytes)", errFrame, len(first))
	}
	k := int(binary.LittleEndian.Uint32(first[4:]))
	if k < 1 {
		return 0, fmt.Errorf("%w: first frame has count %d", errFrame, k)
	}
	return k, nil
}

// decode reassembles the message held in src, whose length must be exactly
// the message's slots. The result aliases src only when alias is set and the
// message has one frame.
func (l layout) decode(src []byte, alias bool) ([]byte, error) {
	k, err := l.count(src)
	if err != nil {
		return nil, err
	}
	if len(src) != k*l.slotSize {
		return nil, fmt.Errorf("%w: count %d but %d bytes of slots", errFrame, k, len(src))
	}
	total := 0
	for i := 0; i < k; i++ {
		rec := src[i*l.slotSize:]
		size := int(binary.LittleEndian.Uint32(rec[0:]))
		count := int(binary.LittleEndian.Uint32(rec[4:]))
		switch {
		case size > l.frameSize:
			return nil, fmt.Errorf("%w: frame %d holds %d bytes, frame size is %d", errFrame, i, size, l.frameSize)
		case i > 0 && count != 0:
			return nil, fmt.Errorf("%w: frame %d of %d has count %d", errFrame, i, k, count)
		case i < k-1 && size != l.frameSize:
			return nil, fmt.Errorf("%w: inner frame %d is short (%d bytes)", errFrame, i, size)
		}
		total += size
	}
	if alias && k == 1 {
		return src[frameHeader : frameHeader+total : frameHeader+total], nil
	}
	msg := make([]byte, 0, total)
	for i := 0; i < k; i++ {
		rec := src[i*l.slotSize:]
		size := int(binary.LittleEndian.Uint32(rec[0:]))
		msg = append(msg, rec[frameHeader:frameHeader+size]...)
	}
	return msg, nil
}
