package mpichan_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	mpichan "github.com/mpichan/mpichan/sdk"
	"github.com/mpichan/mpichan/sdk/mpitest"
)

func openMPI() bool { return strings.Contains(mpichan.Library(), "Open MPI") }

// TestOneSidedComponents: under each of Open MPI's one-sided components
// that works where the test runs, 3 ranks with 4 goroutines each put and
// take through a channel whose host computes without calling MPI; every
// message arrives exactly once and nothing hangs. (osc ucx deadlocked
// with several goroutines per rank, and osc rdma stalled while the host
// computed, before the SDK serialized osc ucx's calls and ran the progress
// goroutine for osc rdma.)
func TestOneSidedComponents(t *testing.T) {
	if !openMPI() {
		t.Skip("Open MPI's one-sided components")
	}
	oscs := []string{"ucx", "rdma", "sm"}
	if mpitest.AcrossHosts() {
		oscs = []string{"ucx"} // sm and rdma cannot span TCP hosts (TestRefusedAcrossHosts)
	}
	for _, osc := range oscs {
		t.Run(osc, func(t *testing.T) {
			if !mpitest.Worker() {
				t.Setenv("OMPI_MCA_osc", osc)
			}
			mpitest.Run(t, 3, func(t *testing.T) { busyHostManyGoroutines(t, 4) })
		})
	}
}

// busyHostManyGoroutines: rank 0 hosts and computes for a second; every
// other rank runs g goroutines that each put and take mpitest.Scaled(50)
// messages. Each message is taken exactly once.
func busyHostManyGoroutines(t *testing.T, g int) {
	ctx := deadline(t, 3*time.Minute)
	ch := newChan[[]int64](t, mpichan.Options{Capacity: 16, FrameSize: 16})
	defer free(t, ch)
	rank, size := mpichan.Rank(), mpichan.Size()
	each := mpitest.Scaled(50)
	total := (size - 1) * g * each
	world := mpichan.World()
	world.Barrier()
	counts := make([]int32, total)
	if rank == 0 {
		start, x := time.Now(), 0.0
		for time.Since(start) < time.Second {
			for i := range 1000 {
				x += float64(i) * 1e-9
			}
		}
		_ = x
	} else {
		var mu sync.Mutex
		var wg sync.WaitGroup
		for j := range g {
			wg.Go(func() {
				for i := range each {
					id := int64(((rank-1)*g+j)*each + i)
					if err := ch.Put(ctx, []int64{id, -id}); err != nil {
						t.Errorf("rank %d: put %d: %v", rank, id, err)
						return
					}
					v, ok, err := ch.Take(ctx)
					if err != nil || !ok || len(v) != 2 || v[1] != -v[0] || v[0] < 0 || v[0] >= int64(total) {
						t.Errorf("rank %d: take: %v %v %v", rank, v, ok, err)
						return
					}
					mu.Lock()
					counts[v[0]]++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
	}
	takenOnce(t, counts)
}

// TestRefusedAcrossHosts: Open MPI asked for osc rdma over TCP hosts (it
// cannot create windows there) fails in New, within seconds, with an error
// that names the component and the fix, when the window must span the
// hosts (RemoteRMA; the relayed path needs no osc: its window over the
// host's node is shared memory, osc.go).
func TestRefusedAcrossHosts(t *testing.T) {
	if !mpitest.AcrossHosts() || !openMPI() {
		t.Skip("needs Open MPI across the test hosts (MPICHAN_HOSTS)")
	}
	if !mpitest.Worker() {
		t.Setenv("OMPI_MCA_osc", "rdma")
		t.Setenv("OMPI_MCA_pml", "ob1")
	}
	start := time.Now()
	mpitest.Run(t, 2, func(t *testing.T) {
		ch, err := mpichan.New[int](mpichan.World(), mpichan.Options{RemoteRMA: true})
		if err == nil {
			free(t, ch)
			t.Fatal("New with osc rdma across TCP hosts succeeded")
		}
		for _, want := range []string{"MPI_Win_allocate", "OMPI_MCA_osc=rdma", "osc rdma needs an RDMA network", "Fix: unset OMPI_MCA_osc"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q: %v", want, err)
			}
		}
	})
	if d := time.Since(start); d > 2*time.Minute {
		t.Errorf("the refusal took %v", d)
	}
}
