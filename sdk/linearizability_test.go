package mpichan_test

// Linearizability of the channel: multi-rank rounds record every operation's
// call and return on a common clock, and porcupine checks each round's
// history against the sequential specification below (linSpec): a bounded
// FIFO of messages, with claims and close.

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	mpichan "github.com/mpichan/mpichan/sdk"
	"github.com/mpichan/mpichan/sdk/mpitest"
)

// Kinds of operation in a history.
const (
	linPut = iota
	linTryPut
	linTake
	linTryTake
	linClaim
	linClose
)

// Outcomes of an operation besides success.
const (
	linErrNone = iota
	linErrClosed
	linErrFull
	linErrEmpty
)

// linIn is an operation's input: the message put (and the frames it
// occupies) or the count claimed.
type linIn struct {
	Kind, Frames, N int
	ID              uint32
}

// linOut is an operation's result. For a take, OK false with no error is
// "none left".
type linOut struct {
	OK  bool
	Err int
	ID  uint32
}

// linState is the sequential channel: the queued messages (5 bytes each: id
// and frame count), the frames they occupy, claims, takes and close. It is
// comparable, as porcupine's default Equal needs.
type linState struct {
	queue          string
	frames         int
	claimed, taken int
	claiming       bool
	closed         bool
}

func (s linState) noneLeft() bool {
	return (s.claiming && s.taken >= s.claimed) || (s.closed && s.queue == "")
}

// linSpec is the channel's sequential specification for a capacity in
// frames, starting from init (a channel reused from earlier rounds starts
// empty with their claims met). Put succeeds only on an open channel with room, fails with
// ErrClosed only after Close. A take returns the oldest message (FIFO over
// all producers), or "none left" only when every claimed message is taken or
// the channel is closed and empty. TryPut and TryTake may give up (ErrFull,
// ErrEmpty) whatever the sequential channel holds: another rank's attempt
// that is itself giving up holds the counter for a moment, and a put failing
// on a closed channel holds its frames for a moment, so TryTake can say
// ErrEmpty where a moment later it says none left (docs/RELIABILITY.md).
func linSpec(capacity int, init linState) porcupine.Model {
	return porcupine.Model{
		Init: func() any { return init },
		Step: func(st, input, output any) (bool, any) {
			s, in, out := st.(linState), input.(linIn), output.(linOut)
			switch in.Kind {
			case linPut, linTryPut:
				switch out.Err {
				case linErrNone:
					if s.closed || s.frames+in.Frames > capacity {
						return false, s
					}
					var e [5]byte
					binary.LittleEndian.PutUint32(e[:], in.ID)
					e[4] = byte(in.Frames)
					s.queue += string(e[:])
					s.frames += in.Frames
					return true, s
				case linErrClosed:
					return s.closed, s
				case linErrFull:
					return in.Kind == linTryPut, s
				}
			case linTake, linTryTake:
				switch {
				case out.OK:
					if s.queue == "" || binary.LittleEndian.Uint32([]byte(s.queue[:4])) != out.ID {
						return false, s
					}
					s.frames -= int(s.queue[4])
					s.queue = s.queue[5:]
					s.taken++
					return true, s
				case out.Err == linErrEmpty:
					return in.Kind == linTryTake, s
				default:
					return s.noneLeft(), s
				}
			case linClaim:
				s.claimed += in.N
				s.claiming = true
				return true, s
			case linClose:
				s.closed = true
				return true, s
			}
			return false, s
		},
		DescribeOperation: func(input, output any) string {
			in, out := input.(linIn), output.(linOut)
			names := []string{"Put", "TryPut", "Take", "TryTake", "Claim", "Close"}
			errs := []string{"", " ErrClosed", " ErrFull", " ErrEmpty"}
			switch in.Kind {
			case linPut, linTryPut:
				return fmt.Sprintf("%s(%d, %d frames)%s", names[in.Kind], in.ID, in.Frames, errs[out.Err])
			case linTake, linTryTake:
				if out.OK {
					return fmt.Sprintf("%s() = %d", names[in.Kind], out.ID)
				}
				if out.Err != linErrNone {
					return names[in.Kind] + "()" + errs[out.Err]
				}
				return names[in.Kind] + "() none left"
			case linClaim:
				return fmt.Sprintf("Claim(%d)", in.N)
			}
			return names[in.Kind] + "()"
		},
	}
}

// linRecorder collects one rank's operations, with times on rank 0's clock.
type linRecorder struct {
	mu     sync.Mutex
	offset int64 // add to this rank's clock to get rank 0's
	slack  int64 // uncertainty of offset: every interval is widened by it
	ops    []porcupine.Operation
}

func (r *linRecorder) now() int64 { return time.Now().UnixNano() + r.offset }

// record runs op and appends it with its call and return times.
func (r *linRecorder) record(client int, in linIn, op func() linOut) linOut {
	call := r.now()
	out := op()
	ret := r.now()
	r.mu.Lock()
	r.ops = append(r.ops, porcupine.Operation{ClientId: client, Input: in, Output: out,
		Call: call - r.slack, Return: ret + r.slack})
	r.mu.Unlock()
	return out
}

// linClock measures this rank's clock offset to rank 0 by ping-pong: the
// exchange with the shortest round trip gives the offset, and half that
// round trip is its uncertainty. A rank on rank 0's kernel (the same
// boot_id) shares its clock: offset and uncertainty are 0. That matters:
// widened intervals make one client's consecutive operations overlap, and
// porcupine's search for a rejection then grows exponentially (a loaded CI
// machine once made it give no answer within 10 s).
func linClock(t *testing.T) (offset, slack int64) {
	world := mpichan.World()
	const tries = 20
	boot := linBootID()
	world.BcastInt64s(boot, 0) // now rank 0's
	sameKernel := boot[0] != 0 && [2]int64(boot) == [2]int64(linBootID())
	if mpichan.Rank() == 0 {
		for r := 1; r < mpichan.Size(); r++ {
			for i := 0; i < tries; i++ {
				world.RecvInt64(r, 71)
				world.SendInt64(time.Now().UnixNano(), r, 72)
			}
		}
		return 0, 0
	}
	defer func() {
		if sameKernel {
			offset, slack = 0, 0
		}
	}()
	best := int64(1 << 62)
	for i := 0; i < tries; i++ {
		t1 := time.Now().UnixNano()
		world.SendInt64(t1, 0, 71)
		t0, _ := world.RecvInt64(0, 72)
		t2 := time.Now().UnixNano()
		if rtt := t2 - t1; rtt < best {
			best, offset = rtt, t0-(t1+t2)/2
		}
	}
	return offset, best/2 + 1
}

// linBootID is this kernel's boot_id as two words, or zeros if unknown.
func linBootID() []int64 {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	id, err2 := hex.DecodeString(strings.ReplaceAll(strings.TrimSpace(string(b)), "-", ""))
	if err != nil || err2 != nil || len(id) != 16 {
		return []int64{0, 0}
	}
	return []int64{int64(binary.LittleEndian.Uint64(id)), int64(binary.LittleEndian.Uint64(id[8:]))}
}

// linMessage is message id padded to size bytes with bytes derived from id.
func linMessage(id uint32, size int) []byte {
	b := make([]byte, size)
	binary.LittleEndian.PutUint32(b, id)
	for i := 4; i < size; i++ {
		b[i] = byte(id) + byte(i)
	}
	return b
}

func linCheckMessage(b []byte) (uint32, bool) {
	if len(b) < 4 {
		return 0, false
	}
	id := binary.LittleEndian.Uint32(b)
	for i := 4; i < len(b); i++ {
		if b[i] != byte(id)+byte(i) {
			return id, false
		}
	}
	return id, true
}

func linErrCode(err error) int {
	switch {
	case errors.Is(err, mpichan.ErrClosed):
		return linErrClosed
	case errors.Is(err, mpichan.ErrFull):
		return linErrFull
	case errors.Is(err, mpichan.ErrEmpty):
		return linErrEmpty
	}
	return -1
}

// Round parameters: every rank puts linPuts messages of 1..3 frames into a
// channel of linCap frames of linFrame bytes.
const (
	linCap   = 4
	linFrame = 8
	linPuts  = 3
)

// linRound runs one round on every rank: a producer and a consumer
// goroutine per rank, with Put, TryPut, PutF, Take, TryTake, TakeF, and a
// Claim of the round's total (or, on a fresh channel, a Close) by one
// rank at a random point of its producer's script. It returns this rank's
// operations. With reused == nil the round makes a fresh channel and
// frees it; otherwise it uses reused, on which earlier rounds claimed and
// took base messages (their claims are met: takes of this round see "none
// left" until its claim arrives).
func linRound(ctx context.Context, t *testing.T, round int, clock *linRecorder, reused *mpichan.Channel[[]byte], base int) []porcupine.Operation {
	rank, size := mpichan.Rank(), mpichan.Size()
	plan := rand.New(rand.NewPCG(uint64(round), 1)) // the same on every rank
	closing := plan.IntN(2) == 1 && reused == nil
	special := plan.IntN(size) // the rank that claims or closes
	rng := rand.New(rand.NewPCG(uint64(round), uint64(rank)+2))
	ch := reused
	if ch == nil {
		ch = newChan[[]byte](t, mpichan.Options{Capacity: linCap, FrameSize: linFrame})
		defer free(t, ch)
	}
	clock.ops = clock.ops[:0]
	fail := func(format string, args ...any) {
		t.Errorf("round %d rank %d: "+format, append([]any{round, rank}, args...)...)
	}

	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // producer: client 2*rank
		defer wg.Done()
		client := 2 * rank
		at := -1
		if rank == special {
			at = rng.IntN(linPuts + 1)
		}
		for i := 0; i <= linPuts; i++ {
			if i == at && closing {
				clock.record(client, linIn{Kind: linClose}, func() linOut {
					if err := ch.Close(); err != nil {
						fail("Close: %v", err)
					}
					return linOut{OK: true}
				})
			} else if i == at {
				n := linPuts * size
				clock.record(client, linIn{Kind: linClaim, N: n}, func() linOut {
					if err := ch.Claim(n); err != nil {
						fail("Claim: %v", err)
					}
					return linOut{OK: true}
				})
			}
			if i == linPuts {
				break
			}
			id := uint32(rank*linPuts + i + 1)
			msg := linMessage(id, 4+rng.IntN(3*linFrame-4+1))
			in := linIn{Kind: linPut, ID: id, Frames: (len(msg) + linFrame - 1) / linFrame}
			put := func(p func() error) linOut {
				err := p()
				if err == nil {
					return linOut{OK: true}
				}
				code := linErrCode(err)
				if code < 0 {
					fail("put %d: %v", id, err)
				}
				return linOut{Err: code}
			}
			switch rng.IntN(4) {
			case 0: // TryPut, then Put if it was full
				in.Kind = linTryPut
				out := clock.record(client, in, func() linOut { return put(func() error { return ch.TryPut(msg) }) })
				if out.Err != linErrFull {
					continue
				}
				in.Kind = linPut
			case 1: // PutF and wait
				clock.record(client, in, func() linOut {
					return put(func() error { _, _, err := ch.PutF(ctx, msg).Wait(); return err })
				})
				continue
			}
			clock.record(client, in, func() linOut { return put(func() error { return ch.Put(ctx, msg) }) })
		}
	}()

	// consumer: client 2*rank+1, until none is left. On a reused
	// channel "none left" is also true before this round's claim arrives:
	// the consumer stops at a "none left" only if it saw the claim before
	// it called (State, which is not part of the history); otherwise it
	// waits, outside the history, until the claim or a message is there
	// (takers must go on taking, or the producer that claims may never get
	// to it) and goes on. So a history holds at most a few early "none
	// left" per consumer: a history of many concurrent ones made porcupine
	// search for minutes.
	client := 2*rank + 1
	for done, waitNext := false, false; !done; {
		claimSeen := true
		if reused != nil {
			st, err := ch.State()
			if err != nil {
				fail("State: %v", err)
				break
			}
			claimSeen = st.Claimed >= int64(base+linPuts*size)
		}
		kind := linTake
		var take func() ([]byte, bool, error)
		choice := rng.IntN(4)
		if waitNext { // after ErrEmpty, wait in a Take
			choice = 3
		}
		switch choice {
		case 0:
			kind, take = linTryTake, ch.TryTake
		case 1:
			take = func() ([]byte, bool, error) { return ch.TakeF(ctx).Wait() }
		default:
			take = func() ([]byte, bool, error) { return ch.Take(ctx) }
		}
		out := clock.record(client, linIn{Kind: kind}, func() linOut {
			msg, ok, err := take()
			switch {
			case err != nil:
				code := linErrCode(err)
				if code != linErrEmpty {
					fail("take: %v", err)
					done = true
				}
				return linOut{Err: code}
			case !ok:
				done = claimSeen
				return linOut{}
			}
			id, intact := linCheckMessage(msg)
			if !intact {
				fail("corrupt message %d (%d bytes)", id, len(msg))
			}
			return linOut{OK: true, ID: id}
		})
		waitNext = out.Err == linErrEmpty
		for !done && !out.OK && out.Err == linErrNone && ctx.Err() == nil { // the claim is on its way
			st, err := ch.State()
			if err != nil {
				fail("State: %v", err)
				done = true
				break
			}
			if st.Claimed >= int64(base+linPuts*size) || st.Len > 0 { // the claim, or a message to take
				break
			}
			time.Sleep(50 * time.Microsecond) // a pause in a poll, not a synchronisation
		}
	}
	wg.Wait()
	return append([]porcupine.Operation(nil), clock.ops...)
}

// linSend and linRecv move a rank's operations to rank 0 as int64 words.
func linSend(ops []porcupine.Operation) {
	w := make([]int64, 0, 9*len(ops))
	for _, op := range ops {
		in, out := op.Input.(linIn), op.Output.(linOut)
		ok := int64(0)
		if out.OK {
			ok = 1
		}
		w = append(w, int64(op.ClientId), int64(in.Kind), int64(in.ID), int64(in.Frames), int64(in.N),
			ok, int64(out.Err), int64(out.ID), op.Call, op.Return)
	}
	world := mpichan.World()
	world.SendInt64(int64(len(w)), 0, 73)
	if len(w) > 0 {
		world.SendInt64s(w, 0, 74)
	}
}

func linRecv(from int) []porcupine.Operation {
	world := mpichan.World()
	n, _ := world.RecvInt64(from, 73)
	if n == 0 {
		return nil
	}
	w, _ := world.RecvInt64s(from, 74)
	var ops []porcupine.Operation
	for i := 0; i+10 <= len(w); i += 10 {
		ops = append(ops, porcupine.Operation{ClientId: int(w[i]),
			Input:  linIn{Kind: int(w[i+1]), ID: uint32(w[i+2]), Frames: int(w[i+3]), N: int(w[i+4])},
			Output: linOut{OK: w[i+5] == 1, Err: int(w[i+6]), ID: uint32(w[i+7])},
			Call:   w[i+8], Return: w[i+9]})
	}
	return ops
}

// linBreak returns a copy of h in which one successful take reports the
// message that another take got: one message taken twice. Such a history is
// never linearizable; nil if h has fewer than two successful takes. The two
// takes are the ones that returned first, so that porcupine's search for a
// linearization fails early and the rejection stays cheap.
func linBreak(h []porcupine.Operation) []porcupine.Operation {
	var takes []int
	for i, op := range h {
		if op.Output.(linOut).OK && op.Input.(linIn).Kind >= linTake && op.Input.(linIn).Kind <= linTryTake {
			takes = append(takes, i)
		}
	}
	if len(takes) < 2 {
		return nil
	}
	slices.SortFunc(takes, func(a, b int) int { return cmp.Compare(h[a].Return, h[b].Return) })
	b := append([]porcupine.Operation(nil), h...)
	out := b[takes[1]].Output.(linOut)
	out.ID = b[takes[0]].Output.(linOut).ID
	b[takes[1]].Output = out
	return b
}

// TestLinearizable: linRounds() rounds on 3 ranks,
// each round's history checked by porcupine on rank 0. Every history must
// be linearizable, and the same history with one message taken twice must
// be rejected. Every linFresh-th round makes a fresh channel (claim or
// close); the others reuse one channel for claims: making a channel, a
// collective, took 150-300 ms a round under MPICH on the shared 2-core
// machine, against 1-10 ms for the round's operations.
func TestLinearizable(t *testing.T) {
	mpitest.Run(t, 3, func(t *testing.T) {
		rounds := linRounds()
		var clock linRecorder
		clock.offset, clock.slack = linClock(t)
		reused := newChan[[]byte](t, mpichan.Options{Capacity: linCap, FrameSize: linFrame})
		defer free(t, reused)
		base := 0 // messages claimed (and taken) on reused so far
		var checked, ops, broken, rejected, fresh int
		var slack int64
		start := time.Now()
		for round := 0; round < rounds && !t.Failed(); round++ {
			// Stop early, all ranks together, once the time budget is
			// spent (a loaded machine): the launch has a deadline.
			stop := []int64{0}
			if mpichan.Rank() == 0 && time.Since(start) > linBudget {
				stop[0] = 1
			}
			mpichan.World().BcastInt64s(stop, 0)
			if stop[0] == 1 {
				t.Logf("time budget of %v spent after %d of %d rounds", linBudget, round, rounds)
				break
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			spec := linSpec(linCap, linState{claimed: base, taken: base, claiming: base > 0})
			var mine []porcupine.Operation
			if round%linFresh == 0 {
				spec = linSpec(linCap, linState{})
				mine = linRound(ctx, t, round, &clock, nil, 0)
				fresh++
			} else {
				mine = linRound(ctx, t, round, &clock, reused, base)
				base += linPuts * mpichan.Size()
			}
			cancel()
			if mpichan.Rank() != 0 {
				linSend(mine)
				continue
			}
			h := mine
			for r := 1; r < mpichan.Size(); r++ {
				h = append(h, linRecv(r)...)
			}
			res, info := porcupine.CheckOperationsVerbose(spec, h, linCheckTime)
			switch res {
			case porcupine.Ok:
				checked++
				ops += len(h)
			case porcupine.Illegal:
				path := fmt.Sprintf("%s/lin-round-%d.html", os.TempDir(), round)
				if f, err := os.Create(path); err == nil {
					porcupine.Visualize(spec, info, f)
					f.Close()
				}
				for _, op := range h {
					t.Logf("client %d [%d, %d] %s", op.ClientId, op.Call, op.Return, spec.DescribeOperation(op.Input, op.Output))
				}
				t.Fatalf("round %d: history of %d operations is not linearizable (see %s)", round, len(h), path)
			default:
				t.Fatalf("round %d: porcupine gave no answer within %v", round, linCheckTime)
			}
			if b := linBreak(h); b != nil {
				broken++
				switch porcupine.CheckOperationsTimeout(spec, b, linCheckTime) {
				case porcupine.Ok:
					t.Fatalf("round %d: a history with one message taken twice was accepted", round)
				case porcupine.Unknown:
					t.Fatalf("round %d: porcupine gave no answer on the broken history within %v", round, linCheckTime)
				}
				rejected++
			}
		}
		slack = clock.slack
		if mpichan.Rank() == 0 {
			t.Logf("%s: %d histories (%d operations; %d on fresh channels) linearizable, 0 violations; %d of %d broken histories rejected; %v",
				firstLine(mpichan.Library()), checked, ops, fresh, rejected, broken, time.Since(start).Round(time.Second))
		} else {
			t.Logf("rank %d: clock offset %d ns, uncertainty %d ns", mpichan.Rank(), clock.offset, slack)
		}
	})
}

// linFresh: every linFresh-th round makes a fresh channel.
const linFresh = 8

// linBudget bounds the rounds' time, well inside mpitest's launch deadline
// (5 minutes by default): the last round may add two checks of at most
// linCheckTime each.
const linBudget = 3 * time.Minute

// linCheckTime bounds one porcupine check; a check takes milliseconds.
const linCheckTime = 30 * time.Second

// linRounds is MPICHAN_LIN_ROUNDS, by default 1000 (under each MPI: 2,000
// histories per `make test`).
func linRounds() int {
	if v, err := strconv.Atoi(os.Getenv("MPICHAN_LIN_ROUNDS")); err == nil {
		return v
	}
	return 1000
}

func firstLine(s string) string {
	for i, c := range s {
		if c == '\n' || c == ',' {
			return s[:i]
		}
	}
	return s
}

// TestLinearizabilityCheckerRejects: the specification and checker reject
// hand-made histories that break each rule, and accept a legal one.
func TestLinearizabilityCheckerRejects(t *testing.T) {
	op := func(client int, call, ret int64, in linIn, out linOut) porcupine.Operation {
		return porcupine.Operation{ClientId: client, Call: call, Return: ret, Input: in, Output: out}
	}
	put := func(id uint32) linIn { return linIn{Kind: linPut, ID: id, Frames: 1} }
	take := linIn{Kind: linTake}
	got := func(id uint32) linOut { return linOut{OK: true, ID: id} }
	done := linOut{OK: true}
	cases := []struct {
		name  string
		legal bool
		h     []porcupine.Operation
	}{
		{"concurrent puts taken either way", true, []porcupine.Operation{
			op(0, 0, 10, put(1), done), op(1, 1, 11, put(2), done),
			op(2, 12, 13, take, got(2)), op(2, 14, 15, take, got(1))}},
		{"FIFO broken", false, []porcupine.Operation{
			op(0, 0, 1, put(1), done), op(0, 2, 3, put(2), done),
			op(1, 4, 5, take, got(2)), op(1, 6, 7, take, got(1))}},
		{"taken twice", false, []porcupine.Operation{
			op(0, 0, 1, put(1), done), op(1, 2, 5, take, got(1)), op(2, 3, 6, take, got(1))}},
		{"taken before it was put", false, []porcupine.Operation{
			op(1, 0, 1, take, got(1)), op(0, 2, 3, put(1), done)}},
		{"none left while a claimed message remains", false, []porcupine.Operation{
			op(0, 0, 1, linIn{Kind: linClaim, N: 2}, done), op(0, 2, 3, put(1), done), op(0, 4, 5, put(2), done),
			op(1, 6, 7, take, got(1)), op(1, 8, 9, take, linOut{})}},
		{"put after close", false, []porcupine.Operation{
			op(0, 0, 1, linIn{Kind: linClose}, done), op(0, 2, 3, put(1), done)}},
		{"more frames than the capacity", false, []porcupine.Operation{
			op(0, 0, 1, linIn{Kind: linPut, ID: 1, Frames: 3}, done), op(0, 2, 3, linIn{Kind: linPut, ID: 2, Frames: 2}, done)}},
		{"none left before any claim or close", false, []porcupine.Operation{
			op(0, 0, 1, put(1), done), op(1, 2, 3, linIn{Kind: linTryTake}, linOut{})}},
		{"ErrClosed before the close", false, []porcupine.Operation{
			op(0, 0, 1, put(1), linOut{Err: linErrClosed}), op(1, 2, 3, linIn{Kind: linClose}, done)}},
	}
	for _, c := range cases {
		if ok := porcupine.CheckOperations(linSpec(linCap, linState{}), c.h); ok != c.legal {
			t.Errorf("%s: linearizable = %v, want %v", c.name, ok, c.legal)
		}
	}
}
