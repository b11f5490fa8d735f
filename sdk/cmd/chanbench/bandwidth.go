package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	mpichan "github.com/mpichan/mpichan/sdk"
	mpi "github.com/sbromberger/gompi"
)

// bandwidth measures 1 MiB messages from rank 0 to rank 1 in rounds: raw
// MPI_Put from the same buffer, the channel read in place (Views), the
// channel read with All (a copy out, recycled), and raw MPI_Put round as
// many places as the All channel's ring has slots. Each round prints its
// figures (BANDWIDTH round ...); the last line has the medians and ranges
// of the channel's ratios to the raw figure of the same round.
func bandwidth(world *mpi.Communicator, c config) error {
	const mib = 1 << 20
	ring := variant{}.options(mib).Capacity
	var views, viewsPlaces, all, control []float64
	for round := 1; round <= c.bwRounds; round++ {
		raw, err := rawPut(world, mib, c.bwMsgs, 1, false)
		if err != nil {
			return err
		}
		vw, err := channelBandwidth(world, mib, c.bwMsgs, c.bwCap, true)
		if err != nil {
			return err
		}
		places, err := rawPut(world, mib, c.bwMsgs, c.bwCap, false)
		if err != nil {
			return err
		}
		ch, err := channelBandwidth(world, mib, c.bwMsgs, ring, false)
		if err != nil {
			return err
		}
		spread, err := rawPut(world, mib, c.bwMsgs, ring, true)
		if err != nil {
			return err
		}
		copyTime := localCopy(mib, c.bwCap)
		views, viewsPlaces, all = append(views, vw/raw), append(viewsPlaces, vw/places), append(all, ch/raw)
		control = append(control, float64(copyTime)/float64(time.Microsecond))
		say("BANDWIDTH round %d: raw MPI_Put+flush %.0f MB/s (the same 1 MiB each time), %.0f MB/s (from one buffer round %d places), %.0f MB/s (from %d buffers round %d places); channel Views (capacity %d) %.0f MB/s = %.2fx raw, %.2fx raw round %d places; channel All (capacity %d) %.0f MB/s = %.2fx raw, %.2fx raw from %d buffers; control: copy of 1 MiB round %d places of private memory %v\n",
			round, raw/1e6, places/1e6, c.bwCap, spread/1e6, ring, ring, c.bwCap, vw/1e6, vw/raw, vw/places, c.bwCap, ring, ch/1e6, ch/raw, ch/spread, ring, c.bwCap, copyTime)
	}
	say("BANDWIDTH 1 MiB, rank 0 -> rank 1, %d rounds of %d messages: channel Views %s raw MPI_Put (target >= 0.7x), %s raw round its %d places; channel All %s raw; control copy %s\n",
		c.bwRounds, c.bwMsgs, medianRange(views), medianRange(viewsPlaces), c.bwCap, medianRange(all), microsRange(control))
	return nil
}

// microsRange formats the median and range of xs µs, as "22.3 µs (21.9-25.0)".
func microsRange(xs []float64) string {
	lo, med, hi := spread(xs)
	return fmt.Sprintf("%.1f µs (%.1f-%.1f)", med, lo, hi)
}

// localCopy is how long rank 0 takes, in the median of 200 copies, to
// copy size bytes into one of places rotating places of its private
// memory: the machine's own memory speed at the time of a round, which
// other tenants of a shared host change from minute to minute (22 µs for
// 1 MiB on a quiet test machine, 31-39 µs when it was loaded, session
// 10). It runs after a round's runs, so none of them times it.
func localCopy(size, places int) time.Duration {
	if mpichan.Rank() != 0 {
		return 0
	}
	src, dst := make([]byte, size), make([]byte, size*places)
	for i := range src {
		src[i] = byte(i)
	}
	times := make([]time.Duration, 200)
	for i := range times {
		at := i % places * size
		t := time.Now()
		copy(dst[at:at+size], src)
		times[i] = time.Since(t)
	}
	slices.Sort(times)
	return times[len(times)/2].Round(100 * time.Nanosecond)
}

// medianRange formats the median and range of xs, as "0.75x (0.60-0.90)".
func medianRange(xs []float64) string {
	lo, med, hi := spread(xs)
	return fmt.Sprintf("%.2fx (%.2f-%.2f)", med, lo, hi)
}

// warmups is how many untimed messages go before the timed ones, in the
// raw runs and the channel's alike: enough to write each of places once
// (the window's pages are then mapped), and at least 3.
func warmups(places int) int { return max(3, places) }

// rawPut is rank 1's bandwidth, in bytes/s, putting size bytes m times
// into a window on rank 0 with MPI_Put + MPI_Win_flush.
//
// With places > 1 the puts go round that many distinct places of the
// window, as a channel's messages go through the slots of its ring; from
// one buffer (as a producer puts each message from its own), or with
// spread from as many distinct buffers: then neither side stays in the
// cache.
func rawPut(world *mpi.Communicator, size, m, places int, spread bool) (float64, error) {
	win, err := rawWindow(world, size*places)
	if err != nil {
		return 0, err
	}
	var bw float64
	err = idle(world, false, func() error {
		sources := 1
		if spread {
			sources = places
		}
		buf := make([]byte, size*sources)
		for i := range buf {
			buf[i] = byte(i)
		}
		put := func(i int) error {
			at, from := i%places*size, i%sources*size
			return win.Put(0, at, buf[from:from+size])
		}
		for i := range warmups(places) {
			if err := put(i); err != nil {
				return err
			}
		}
		t := time.Now()
		for i := range m {
			if err := put(i); err != nil {
				return err
			}
		}
		bw = float64(size*m) / time.Since(t).Seconds()
		return nil
	}, nil)
	return allMax(world, bw), errors.Join(err, win.UnlockAll(), win.Free())
}

// channelBandwidth is the bytes/s of m messages of size bytes through a
// channel of capacity slots hosted by rank 0 from rank 0 to rank 1, the
// other ranks idle, timed on rank 1 from the end of the warm-up messages
// (warmups); each message's length and first and last elements are
// checked. Rank 1 ranges over Views (read in place) or, without views,
// over All, recycling each message's memory.
func channelBandwidth(world *mpi.Communicator, size, m, capacity int, views bool) (float64, error) {
	ctx := context.Background()
	o := variant{noShared: noShared}.options(size)
	o.Capacity = capacity
	ch, err := mpichan.New[[]float64](world, o)
	if err != nil {
		return 0, err
	}
	var bw float64
	warm := warmups(capacity)
	err = idle(world, true, func() error {
		elems := size / 8
		if world.Rank() == 0 {
			if err := ch.Claim(warm + m); err != nil {
				return err
			}
			v := make([]float64, elems)
			for i := range warm + m {
				v[0], v[elems-1] = float64(i), float64(i)
				if err := ch.Put(ctx, v); err != nil {
					return err
				}
			}
			return nil
		}
		msgs := ch.All(ctx)
		if views {
			msgs = ch.Views(ctx)
		}
		i, t := 0, time.Now()
		for v, err := range msgs {
			if err != nil {
				return err
			}
			if len(v) != elems || v[0] != float64(i) || v[elems-1] != float64(i) {
				return fmt.Errorf("bandwidth: message %d arrived wrong", i)
			}
			if !views {
				ch.Recycle(v) // done with it: the next take reads into its memory
			}
			if i++; i == warm {
				t = time.Now() // every slot has been written once: the clock starts
			}
		}
		if i != warm+m {
			return fmt.Errorf("bandwidth: %d of %d messages", i, warm+m)
		}
		bw = float64(size*m) / time.Since(t).Seconds()
		return nil
	}, nil)
	return allMax(world, bw), errors.Join(err, ch.Free(context.Background()))
}
