package main

import (
	"crypto/sha1"
	"encoding/binary"
)

// state is a node's place in the splittable random stream: a SHA-1 digest.
// The root's state is the digest of 16 zero bytes and the 4-byte big-endian
// seed; child i's state is the digest of its parent's state and the 4-byte
// big-endian i. So every node's state, and with it the whole tree, follows
// from the seed alone, whichever rank expands which node.
type state [sha1.Size]byte

// rootState is the state of the root of the tree with the given seed.
func rootState(seed int32) state {
	var b [20]byte
	binary.BigEndian.PutUint32(b[16:], uint32(seed))
	return sha1.Sum(b[:])
}

// spawn is the state of child i of a node in state s.
func (s *state) spawn(i int) state {
	var b [sha1.Size + 4]byte
	copy(b[:], s[:])
	binary.BigEndian.PutUint32(b[sha1.Size:], uint32(i))
	return sha1.Sum(b[:])
}

// rand is the node's random number: the last 4 bytes of its state as a
// 31-bit non-negative integer.
func (s *state) rand() int32 {
	return int32(binary.BigEndian.Uint32(s[16:]) & 0x7fffffff)
}

// prob is rand mapped onto [0, 1).
func (s *state) prob() float64 {
	return float64(s.rand()) / 2147483648.0
}
