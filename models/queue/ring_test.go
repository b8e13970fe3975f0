package queue

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func testRing(t testing.TB, capacity int) (*ring, *atomic.Uint32) {
	t.Helper()
	mem, err := unix.Mmap(-1, 0, 64+ringSize(capacity), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Munmap(mem) })
	abort := (*atomic.Uint32)(unsafePointer(&mem[0]))
	r, err := mapRing(mem, 64, capacity, abort, true)
	if err != nil {
		t.Fatal(err)
	}
	return r, abort
}

func TestRingRejectsBadShape(t *testing.T) {
	mem := make([]byte, 4096)
	var abort atomic.Uint32
	for _, c := range []struct{ off, capacity int }{{0, 3}, {0, 1}, {8, 4}, {0, 1024}} {
		if _, err := mapRing(mem, c.off, c.capacity, &abort, false); err == nil {
			t.Errorf("ring at %d of %d slots in 4096 bytes accepted", c.off, c.capacity)
		}
	}
}

func TestRingFIFOAndFull(t *testing.T) {
	r, _ := testRing(t, 4)
	for i := range uint64(4) {
		if !r.tryPut(i, i*10, i*100) {
			t.Fatalf("put %d into a ring of 4 failed", i)
		}
	}
	if r.tryPut(9, 9, 9) {
		t.Fatal("put into a full ring succeeded")
	}
	for i := range uint64(4) {
		x, y, z, ok := r.tryGet()
		if !ok || x != i || y != i*10 || z != i*100 {
			t.Fatalf("get %d = %d %d %d %v", i, x, y, z, ok)
		}
	}
	if _, _, _, ok := r.tryGet(); ok {
		t.Fatal("get from an empty ring succeeded")
	}
}

// TestRingMPMC moves items from several putters to several takers through
// a small ring, so that both sides block on futexes often, and checks that
// every item arrives exactly once.
func TestRingMPMC(t *testing.T) {
	for _, c := range []struct{ capacity, putters, takers, wake int }{
		{2, 1, 1, 1}, {16, 2, 3, 1}, {64, 3, 2, 32},
	} {
		t.Run(fmt.Sprintf("cap=%d/%dx%d/wake=%d", c.capacity, c.putters, c.takers, c.wake), func(t *testing.T) {
			r, _ := testRing(t, c.capacity)
			r.readWake, r.writeWake = uint64(c.wake), uint64(c.wake)
			const per = 20000
			seen := make([]atomic.Int32, c.putters*per)
			var putters, takers sync.WaitGroup
			for p := range c.putters {
				putters.Add(1)
				go func() {
					defer putters.Done()
					for i := range per {
						if err := r.put(uint64(p*per+i), uint64(p), 0); err != nil {
							t.Error(err)
							return
						}
					}
				}()
			}
			for range c.takers {
				takers.Add(1)
				go func() {
					defer takers.Done()
					for {
						x, _, _, err := r.get()
						if err != nil {
							t.Error(err)
							return
						}
						if x == sentinel {
							return
						}
						seen[x].Add(1)
					}
				}()
			}
			// One sentinel per taker after every item, as the producer
			// does.
			putters.Wait()
			for range c.takers {
				r.put(sentinel, 0, 0)
			}
			r.flush()
			takers.Wait()
			for i := range seen {
				if n := seen[i].Load(); n != 1 {
					t.Fatalf("item %d arrived %d times", i, n)
				}
			}
		})
	}
}

func TestRingAbortWakesSleepers(t *testing.T) {
	r, abort := testRing(t, 2)
	errc := make(chan error, 2)
	go func() { _, _, _, err := r.get(); errc <- err }()
	r2, abort2 := testRing(t, 2)
	r2.tryPut(1, 1, 1)
	r2.tryPut(2, 2, 2)
	go func() { errc <- r2.put(3, 3, 3) }()
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	abort.Store(1)
	r.wakeAll()
	abort2.Store(1)
	r2.wakeAll()
	for range 2 {
		if err := <-errc; err != errAborted {
			t.Fatalf("blocked call returned %v, want errAborted", err)
		}
	}
	if d := time.Since(start); d > sleepMax+50*time.Millisecond {
		t.Fatalf("abort took %v", d)
	}
}

func BenchmarkRing(b *testing.B) {
	b.Run("uncontended", func(b *testing.B) {
		r, _ := testRing(b, 1024)
		for b.Loop() {
			r.tryPut(1, 2, 3)
			r.tryGet()
		}
	})
	b.Run("pingpong-2-goroutines", func(b *testing.B) {
		r, _ := testRing(b, 1024)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range b.N {
				r.get()
			}
		}()
		for i := range b.N {
			r.put(uint64(i), 0, 0)
		}
		<-done
	})
}
