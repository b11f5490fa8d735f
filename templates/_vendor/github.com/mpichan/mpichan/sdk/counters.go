package mpichan

import "sync/atomic"

// counters are one rank's counters of one channel (Stats), kept without
// any MPI call.
type counters [8]atomic.Int64

const (
	sPuts = iota
	sTakes
	sBytesPut
	sBytesTaken
	sExtraFramesPut // frames beyond the first: counted only for longer messages
	sExtraFramesTaken
	sRetries
	sRequests
)

// puts adds msgs messages of n bytes, with extra frames beyond the first
// of each.
func (c *counters) puts(msgs, n, extra int) {
	c[sPuts].Add(int64(msgs))
	c[sBytesPut].Add(int64(n))
	c[sExtraFramesPut].Add(int64(extra))
}

// takes adds msgs, whose frames lay tells.
func (c *counters) takes(lay layout, msgs ...[]byte) {
	for _, m := range msgs {
		c[sTakes].Add(1)
		c[sBytesTaken].Add(int64(len(m)))
		if k := lay.frames(len(m)); k > 1 {
			c[sExtraFramesTaken].Add(int64(k - 1))
		}
	}
}

// retry adds one wait on a full or empty channel.
func (c *counters) retry() { c[sRetries].Add(1) }

// requests is the counter of requests sent to a relay server.
func (c *counters) requests() *atomic.Int64 { return &c[sRequests] }

// snapshot is the counters as Stats, with polls, the host's helper's calls
// into MPI.
func (c *counters) snapshot(polls int64) Stats {
	g := func(i int) int64 { return c[i].Load() }
	return Stats{Puts: g(sPuts), Takes: g(sTakes), BytesPut: g(sBytesPut), BytesTaken: g(sBytesTaken),
		FramesPut: g(sPuts) + g(sExtraFramesPut), FramesTaken: g(sTakes) + g(sExtraFramesTaken), Retries: g(sRetries),
		Polls: polls, Requests: g(sRequests)}
}
