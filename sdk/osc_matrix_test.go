package mpichan_test

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	mpichan "github.com/mpichan/mpichan/sdk"
	"github.com/mpichan/mpichan/sdk/mpitest"
	mpi "github.com/sbromberger/gompi"
)

// envOSCResult names the file where rank 0 of a matrix cell writes what the
// cell did: "refused <error>" or "rate <messages per second>".
const envOSCResult = "MPICHAN_OSC_RESULT"

// oscCellBudget bounds one cell's workload: a cell that cannot move its
// messages within it is too slow.
const oscCellBudget = 30 * time.Second

// oscAttempts is how many times a cell below oscMinShare is measured
// before it fails: the machine is shared, and one run's rate can be off
// several times over; a slow configuration stays slow.
const oscAttempts = 3

// oscMinShare is the share of the default configuration's throughput that
// every other configuration must reach, unless New refuses it.
const oscMinShare = 0.10

// TestOneSidedMatrix: under each one-sided configuration on one node (the
// default; under Open MPI also OMPI_MCA_osc=rdma, =pt2pt, =ucx and =^sm),
// a 7-rank mixed workload either reaches oscMinShare of the default's
// throughput, or New refuses the configuration with an error that names
// the setting and the fix. A cell that is neither (in oscAttempts runs)
// fails. (Where MPI cannot make a shared window, the channel maps the
// host's memory itself: osc.go.)
func TestOneSidedMatrix(t *testing.T) {
	if mpitest.AcrossHosts() {
		t.Skip("the one-node matrix")
	}
	cells := []string{""} // the default configuration
	if openMPI() {
		cells = append(cells, "rdma", "pt2pt", "ucx", "^sm")
	}
	var base float64
	for _, osc := range cells {
		t.Run(cmp.Or(osc, "default"), func(t *testing.T) {
			for attempt := 1; ; attempt++ {
				result := oscCell(t, osc)
				if mpitest.Worker() {
					return
				}
				rate, refusal := parseCell(t, result)
				switch {
				case refusal != "":
					checkRefusal(t, osc, refusal)
					return
				case osc == "":
					base = rate
					t.Logf("default: %.0f messages/s", rate)
					return
				}
				t.Logf("OMPI_MCA_osc=%s: %.0f messages/s, %.0f%% of the default's %.0f", osc, rate, 100*rate/base, base)
				if rate >= oscMinShare*base {
					return
				}
				if attempt == oscAttempts {
					t.Fatalf("OMPI_MCA_osc=%s: below %.0f%% of the default's throughput in %d runs, and New did not refuse it",
						osc, 100*oscMinShare, oscAttempts)
				}
			}
		})
	}
}

// oscCell runs the workload of one cell under OMPI_MCA_osc=osc (unset for
// "") and returns what rank 0 recorded.
func oscCell(t *testing.T, osc string) string {
	var path string
	if !mpitest.Worker() {
		path = filepath.Join(t.TempDir(), "result")
		t.Setenv(envOSCResult, path)
		t.Setenv("MPICHAN_TEST_TIMEOUT", (oscCellBudget + time.Minute).String())
		t.Setenv("OMPI_MCA_osc", osc)
		if osc == "" {
			os.Unsetenv("OMPI_MCA_osc") // t.Setenv restores it afterwards
		}
	}
	mpitest.Run(t, 7, mixedWorkload)
	if mpitest.Worker() {
		return ""
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the cell recorded no result: %v", err)
	}
	return string(b)
}

// parseCell reads a cell's result: its rate, or New's refusal.
func parseCell(t *testing.T, result string) (rate float64, refusal string) {
	what, detail, _ := strings.Cut(result, " ")
	if what == "refused" {
		return 0, detail
	}
	rate, err := strconv.ParseFloat(detail, 64)
	if what != "rate" || err != nil {
		t.Fatalf("bad result %q", result)
	}
	return rate, ""
}

// checkRefusal checks that New's refusal of OMPI_MCA_osc=osc names the
// setting and the fix; the default must not be refused.
func checkRefusal(t *testing.T, osc, refusal string) {
	if osc == "" {
		t.Fatalf("the default configuration was refused: %s", refusal)
	}
	if !strings.Contains(refusal, "OMPI_MCA_osc="+osc) {
		t.Errorf("refusal does not name OMPI_MCA_osc=%s: %s", osc, refusal)
	}
	if !strings.Contains(refusal, "unset OMPI_MCA_osc") && !strings.Contains(refusal, "OMPI_MCA_osc=sm") {
		t.Errorf("refusal names no fix: %s", refusal)
	}
	t.Logf("refused at New: %s", refusal)
}

// mixedWorkload: rank 0 hosts a channel of capacity 12 and ranges over it
// with All; ranks 1-3 put, rank 4 takes with Take, rank 5 with TakeF and
// rank 6 with All, all at once. Every message is taken exactly once. Rank
// 0 records the rate, or New's refusal, in envOSCResult's file.
func mixedWorkload(t *testing.T) {
	const producers = 3
	total := mpitest.Scaled(50000)
	rank := mpichan.Rank()
	ctx := deadline(t, oscCellBudget)
	ch, err := mpichan.New[[]float64](mpichan.World(), mpichan.Options{Capacity: 12, FrameSize: 32})
	if err != nil { // judgeCell checks that it names the setting and the fix
		recordCell(t, "refused "+err.Error())
		return
	}
	defer free(t, ch)
	if rank == 0 {
		if err := ch.Claim(total); err != nil {
			t.Fatal(err)
		}
	}
	world := mpichan.World()
	world.Barrier()
	start := time.Now()
	counts := make([]int32, total)
	var mu sync.Mutex
	took := func(v []float64) {
		id := int(v[0])
		if len(v) != 4 || id < 0 || id >= total || v[3] != -v[0] {
			t.Errorf("rank %d: bad message %v", rank, v)
			return
		}
		mu.Lock()
		counts[id]++
		mu.Unlock()
	}
	if err := mixedRole(ctx, ch, rank, producers, total, took); err != nil {
		t.Fatalf("rank %d: %v (a cell that cannot move %d messages in %v is too slow)", rank, err, total, oscCellBudget)
	}
	elapsed := []float64{time.Since(start).Seconds()}
	slowest := make([]float64, 1)
	if err := world.AllreduceFloat64s(slowest, elapsed, mpi.OpMax, 0); err != nil {
		t.Fatal(err)
	}
	takenOnce(t, counts)
	recordCell(t, fmt.Sprintf("rate %f", float64(total)/slowest[0]))
}

// mixedRole runs rank's part of mixedWorkload, passing each message taken
// to took.
func mixedRole(ctx context.Context, ch *mpichan.Channel[[]float64], rank, producers, total int, took func([]float64)) error {
	switch {
	case rank >= 1 && rank <= producers:
		for id := rank - 1; id < total; id += producers {
			f := float64(id)
			if err := ch.Put(ctx, []float64{f, 1, 2, -f}); err != nil {
				return fmt.Errorf("put %d: %w", id, err)
			}
		}
	case rank == producers+1:
		for {
			v, ok, err := ch.Take(ctx)
			if err != nil || !ok {
				return err
			}
			took(v)
		}
	case rank == producers+2:
		for {
			v, ok, err := ch.TakeF(ctx).Wait()
			if err != nil || !ok {
				return err
			}
			took(v)
		}
	default: // the host and the last rank
		for v, err := range ch.All(ctx) {
			if err != nil {
				return err
			}
			took(v)
		}
	}
	return nil
}

// recordCell writes a cell's result on rank 0.
func recordCell(t *testing.T, result string) {
	if mpichan.Rank() != 0 {
		return
	}
	if err := os.WriteFile(os.Getenv(envOSCResult), []byte(result), 0o644); err != nil {
		t.Fatal(err)
	}
}
