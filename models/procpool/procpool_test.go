package procpool

import (
	"testing"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/models/modeltest"
)

func TestMain(m *testing.M) { modeltest.Main(m, New(), NewAsync()) }

func TestConformance(t *testing.T) {
	modeltest.Conformance(t, func(pids []int) int { return pids[0] }, New(), NewAsync())
}

func BenchmarkCompute(b *testing.B) {
	modeltest.Compute(b, modeltest.DefaultBench, []int{1, 2}, New(), NewAsync())
}

// The ledger takes each chunk's results once, whole, and nothing else.
func TestLedger(t *testing.T) {
	l := newLedger(10, 4) // chunks [0,4) [4,8) [8,10)
	if l.len() != 3 {
		t.Fatalf("%d chunks, want 3", l.len())
	}
	for _, c := range []struct {
		lo, count int
		ok        bool
	}{
		{4, 4, true},
		{4, 4, false},  // answered twice
		{0, 3, false},  // part of a chunk
		{2, 4, false},  // not a chunk's start
		{10, 1, false}, // past the end
		{-4, 4, false},
		{8, 2, true}, // the short last chunk
		{0, 4, true},
	} {
		if want := l.claim(c.lo, c.count); (want == "") != c.ok {
			t.Errorf("claim(%d, %d) = %q, want ok = %v", c.lo, c.count, want, c.ok)
		}
	}
	if l.claimed() != 10 {
		t.Fatalf("claimed %d, want 10", l.claimed())
	}
}

// A task queue message must fit the send buffer, less the 32 bytes a unix
// datagram leaves free, and a task may take 16 bytes.
func TestMaxQueueTasks(t *testing.T) {
	if got := maxQueueTasks(212992); got != (212992-32-16)/16 {
		t.Fatalf("maxQueueTasks(212992) = %d", got)
	}
	if got := maxQueueTasks(10); got != 1 {
		t.Fatalf("maxQueueTasks(10) = %d, want at least 1", got)
	}
}

// TestAccounts wants every worker's account back with its done frame, on
// the map path and the apply_async path.
func TestAccounts(t *testing.T) {
	for _, m := range []models.Model{New(), NewAsync()} {
		t.Run(m.Name(), func(t *testing.T) { modeltest.Accounted(t, m) })
	}
}
