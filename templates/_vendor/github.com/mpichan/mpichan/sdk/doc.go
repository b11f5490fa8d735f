// Package mpichan gives the ranks of an MPI job channels: bounded,
// many-producer, many-consumer queues of Go values, held in MPI one-sided
// windows, that any rank may put to and take from.
//
// # Life of a job
//
// main calls Init first and Finalize last, both on the main goroutine (MPI
// finalizes on the thread it started on; Init locks the goroutine to it):
//
//	func main() {
//		if err := mpichan.Init(); err != nil {
//			log.Fatal(err)
//		}
//		defer mpichan.Finalize()
//		...
//	}
//
// Init starts MPI with MPI_THREAD_MULTIPLE and returns an error when MPI
// cannot give what the SDK needs, or when the program was built against
// one MPI's header and runs with another's library. Importing the package
// does nothing of the kind: no MPI call, no thread lock, no exit. World, Rank and Size describe the job
// between Init and Finalize, and panic with ErrNotInitialized outside it.
//
// # Channels
//
// New creates a channel over a communicator, and Free releases it. Both are
// collective: every rank of the communicator calls them, with the same
// Options and the same message type; New checks that they agree and returns
// ErrMismatch or ErrInvalid on every rank when they do not. Free waits for
// the other ranks until its context ends, so one rank that never calls it
// cannot hang the others' Free forever without an error. Free every channel
// before Finalize.
//
// Put, Take and their variants work on one rank at a time and are safe for
// concurrent use by any number of goroutines. A take that finds the channel
// empty waits, with the channel's Backoff, until a message comes, its
// context ends, or no message is left.
//
// # When no message is left: Claim and Close
//
// A take reports "none left" (ok false, or the end of an All loop) in one
// of two ways, chosen by the job:
//
//   - Claim(n) announces n messages: once claims have been made and as many
//     messages have been taken as were claimed, none is left. Claim when the
//     number is known (from any rank, in one or several claims, ahead of the
//     last message).
//   - Close ends the puts of a stream of unknown length: once the channel is
//     closed and drained, none is left.
//
// Until the first Claim or Close, a take waits: takers may start before the
// producers. A take whose context ends while no Claim or Close was ever made
// says so in its error, since that is the usual mistake.
//
// # Messages and codecs
//
// A channel moves bytes; a Codec turns messages into bytes and back. New
// picks one for the message type (see CodecFor): []byte and strings as they
// are, slices of numbers and fixed-size types in the machine's byte order,
// anything else with encoding/gob. NewWithCodec takes any other. A message
// may be larger than a frame (Options.FrameSize), up to the channel's
// capacity in frames. A taker of messages of 4 KiB or more that is done
// with one can Recycle it: the next take reads into its memory instead of
// fresh memory, which costs more than the copy itself (8 KiB messages on
// one node moved 1.7-3.7x faster recycled). A taker that only reads each
// message once can range over Views instead: on the host's node a
// one-frame message is then read in place in the channel's shared memory,
// with no copy out (1 MiB messages: about 3x the bytes/s of All with Recycle,
// docs/PERFORMANCE.md). Init also reserves a 16 MiB
// heap floor, so that a rank which takes many messages does not run the
// garbage collector every few hundred of them (heapfloor.go; GOGC,
// GOMEMLIMIT or MPICHAN_HEAP_FLOOR_MB=0 turn it off).
//
// # Waiting on several things
//
// All ranges over a channel's messages, with one error per loop; TakeAny
// takes from whichever of several channels has a message first; PutF and
// TakeF start an operation in the background and return a Future.
//
// # MPI underneath
//
// The communicators are github.com/sbromberger/gompi's (v0.2.0): New takes a
// *mpi.Communicator and World returns one, so gompi is part of this API, and
// its collectives (Barrier, Allreduce, Bcast ...) are what a job uses
// besides channels. Errors that MPI itself reports come as *MPIError. The
// build needs MPI's C headers and library (see the project README).
//
// Across nodes a channel's host serves the other nodes from a thread of
// its own, in MPI calls. A blocking collective on the host (gompi's
// Barrier, say) spins inside MPI and starves that thread: end a host's
// part with Free, which waits without spinning, or call the collective
// once the others are done taking (across 3 test hosts under Open MPI,
// with 2,000 messages of 8 KiB, the other ranks' loops ended 10-240 ms
// after the host's last put behind a host in MPI_Barrier, 1-12 ms behind
// one in Free: sdk/cmd/drain).
//
// MPICHAN_VIRTUAL_NODES=k makes the ranks of each node act as k nodes
// (world rank r on virtual node r mod k), so that channels take the
// across-nodes path, the host's relay server, on one host: the SDK's own
// tests run the relay that way under plain go test (mpitest.RunRelayedToo).
package mpichan
