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
