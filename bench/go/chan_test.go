// Go's channels on the workloads of bench/README.md ("Channel workloads"), for bench/compare --go.
// Names: BenchmarkChan/WORKLOAD/go; run with GOMAXPROCS=2 so the names end in -2.
// Items are 1..N; stop (all ones) ends a consumer in buffered_2p2c and the partner in the ping-pong.
// Every run counts and sums what was received and fails the benchmark if anything is wrong.
package gocxxbench

import (
	"math"
	"sync"
	"testing"
)

const (
	capacity = 1024
	stop     = uint64(math.MaxUint64)
)

type tally struct{ count, sum uint64 }

func verify(b *testing.B, got tally, n uint64) {
	var want uint64
	if n%2 == 0 {
		want = (n / 2) * (n + 1)
	} else {
		want = n * ((n + 1) / 2)
	}
	if got.count != n || got.sum != want {
		b.Fatalf("lost or duplicated items: received %d of %d, sum %d want %d", got.count, n, got.sum, want)
	}
}

// runBuffered: producers send 1..N between them (interleaved by stride). One consumer receives
// exactly N items; with several, each producer ends with one stop and each consumer stops at its
// first (producers == consumers). The goroutines are started before the timer and wait on a gate.
func runBuffered(b *testing.B, producers, consumers int) {
	n := uint64(b.N)
	ch := make(chan uint64, capacity)
	gate := make(chan struct{})
	tallies := make([]tally, consumers)
	var wg sync.WaitGroup
	for p := 0; p < producers; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			<-gate
			for v := uint64(p) + 1; v <= n; v += uint64(producers) {
				ch <- v
			}
			if consumers > 1 {
				ch <- stop
			}
		}(p)
	}
	for c := 0; c < consumers; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			<-gate
			var t tally
			if consumers == 1 {
				for i := uint64(0); i < n; i++ {
					v := <-ch
					t.count++
					t.sum += v
				}
			} else {
				for {
					v := <-ch
					if v == stop {
						break
					}
					t.count++
					t.sum += v
				}
			}
			tallies[c] = t
		}(c)
	}
	b.ResetTimer()
	close(gate)
	wg.Wait()
	b.StopTimer()
	var total tally
	for _, t := range tallies {
		total.count += t.count
		total.sum += t.sum
	}
	verify(b, total, n)
}

// unbufferedPingpong: one round trip of a value over two unbuffered channels per iteration.
func unbufferedPingpong(b *testing.B) {
	ping, pong := make(chan uint64), make(chan uint64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			v := <-ping
			if v == stop {
				return
			}
			pong <- v
		}
	}()
	var t tally
	b.ResetTimer()
	for i := 1; i <= b.N; i++ {
		ping <- uint64(i)
		if v := <-pong; v == uint64(i) {
			t.count++
			t.sum += v
		}
	}
	b.StopTimer()
	ping <- stop
	<-done
	verify(b, t, uint64(b.N))
}

// select2Ready: two buffered channels (capacity 1024) that always hold items. One iteration is a
// select receiving from either, then a plain (uncontended, never blocking) send of the value back
// to the channel it came from, which keeps both ready. Both cases must be chosen.
func select2Ready(b *testing.B) {
	a, c := make(chan uint64, capacity), make(chan uint64, capacity)
	for i := 0; i < capacity/2; i++ {
		a <- 1
		c <- 1
	}
	var fromA, fromC uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		select {
		case v := <-a:
			fromA += v
			a <- v
		case v := <-c:
			fromC += v
			c <- v
		}
	}
	b.StopTimer()
	if fromA+fromC != uint64(b.N) || (b.N >= 100 && (fromA == 0 || fromC == 0)) {
		b.Fatalf("select: %d from a + %d from c, want %d with both cases chosen", fromA, fromC, b.N)
	}
}

// tryUncontended: try_send immediately followed by try_recv (select with default) on one goroutine.
func tryUncontended(b *testing.B) {
	ch := make(chan uint64, capacity)
	var t tally
	b.ResetTimer()
	for i := 1; i <= b.N; i++ {
		sent := false
		select {
		case ch <- uint64(i):
			sent = true
		default:
		}
		if sent {
			select {
			case v := <-ch:
				if v == uint64(i) {
					t.count++
					t.sum += v
				}
			default:
			}
		}
	}
	b.StopTimer()
	verify(b, t, uint64(b.N))
}

func BenchmarkChan(b *testing.B) {
	b.Run("buffered_spsc/go", func(b *testing.B) { runBuffered(b, 1, 1) })
	b.Run("buffered_2p2c/go", func(b *testing.B) { runBuffered(b, 2, 2) })
	b.Run("unbuffered_pingpong/go", unbufferedPingpong)
	b.Run("select2_ready/go", select2Ready)
	b.Run("try_uncontended/go", tryUncontended)
}
