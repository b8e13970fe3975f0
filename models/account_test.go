package models

import (
	"testing"

	"github.com/mpbench/mpbench/workloads"
)

// TestApplyKeepsFirstAndLast checks that an account holds the first
// chunk's start and the last chunk's end, read from the clock the cell
// runner reads (Nanotime), and that they bound its busy time.
func TestApplyKeepsFirstAndLast(t *testing.T) {
	a := NewAccount()
	if a.First != 0 || a.Last != 0 {
		t.Fatalf("new account: first %d, last %d, want 0 (unknown)", a.First, a.Last)
	}
	var calls []int64
	apply := func(_ []workloads.Task, _ []uint64) {
		calls = append(calls, Nanotime())
		for Nanotime() == calls[len(calls)-1] { // let the clock move
		}
	}
	before := Nanotime()
	for range 3 {
		a.Apply(apply, make([]workloads.Task, 2), make([]uint64, 2))
	}
	after := Nanotime()
	if a.Chunks != 3 || a.Tasks != 6 {
		t.Fatalf("chunks %d, tasks %d, want 3, 6", a.Chunks, a.Tasks)
	}
	if !(before <= a.First && a.First <= calls[0] && calls[2] < a.Last && a.Last <= after) {
		t.Fatalf("first %d, last %d: want within [%d, %d], first before the first call (%d), last after the last (%d)",
			a.First, a.Last, before, after, calls[0], calls[2])
	}
	if span := a.Last - a.First; int64(a.Busy) > span {
		t.Fatalf("busy %v above the span first..last %d ns", a.Busy, span)
	}
}

// TestApplySamplesShortChunks: chunks far under a microsecond are timed
// one in sampleEvery once sampleAfter of them averaged under shortChunk,
// each untimed one charged the mean; chunks that take longer are all
// timed. Counted by the clock reads the account makes (apply reads the
// clock too, so a timed chunk's reads fall around its call).
func TestApplySamplesShortChunks(t *testing.T) {
	const n = 64 * 100
	short := NewAccount()
	for range n {
		short.Apply(func([]workloads.Task, []uint64) {}, make([]workloads.Task, 1), make([]uint64, 1))
	}
	if short.Chunks != n || short.Tasks != n {
		t.Fatalf("chunks %d, tasks %d, want %d each", short.Chunks, short.Tasks, n)
	}
	if short.every != sampleEvery {
		t.Fatalf("short chunks: every %d, want %d (sampled)", short.every, sampleEvery)
	}
	if short.Busy <= 0 || short.Busy > n*shortChunk {
		t.Errorf("short chunks: busy %v, want an estimate in (0, %v]", short.Busy, n*shortChunk)
	}

	long := NewAccount()
	var ends []int64
	for range 2 * sampleAfter {
		long.Apply(func([]workloads.Task, []uint64) {
			t0 := Nanotime()
			for Nanotime()-t0 < int64(2*shortChunk) { // 2 µs of work
			}
			ends = append(ends, Nanotime())
		}, make([]workloads.Task, 1), make([]uint64, 1))
	}
	if long.every != 0 {
		t.Fatalf("2 µs chunks sampled (every %d): every one must be timed", long.every)
	}
	// Every chunk timed: the last one's end is read after its call.
	if last := ends[len(ends)-1]; long.Last < last {
		t.Errorf("last %d before the last chunk's end %d: not every chunk was timed", long.Last, last)
	}
	if long.Busy < 2*sampleAfter*2*shortChunk {
		t.Errorf("busy %v under the %v the chunks took", long.Busy, 2*sampleAfter*2*shortChunk)
	}
}
