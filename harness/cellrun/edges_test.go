package cellrun

import (
	"context"
	"testing"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/models/goroutines"
	"github.com/mpbench/mpbench/workloads"
)

// A real model's accounts carry chunk times inside the pass, and the
// trial's edge idle sees a worker left without work. goroutines at c = 2
// with the whole pass in one chunk: one worker runs it, the other idles
// the whole pass, so the edges sum to at least one pass per warm pass, and
// to less than two (the busy worker's chunk lies inside the pass).
func TestEdgeIdleUnbalanced(t *testing.T) {
	in, err := workloads.NewInstance("cpu", map[string]int64{"tasks": 8, "n": 200_000}, 1)
	if err != nil {
		t.Fatal(err)
	}
	cfg := models.Config{Workload: in, Cores: 2, Chunk: len(in.Tasks)}
	ctx := context.Background()

	sess, err := goroutines.Model{}.Setup(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	n0 := models.Nanotime()
	out, err := sess.Compute(ctx)
	n1 := models.Nanotime()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Teardown(); err != nil {
		t.Fatal(err)
	}
	ran := 0
	for w, a := range out.Accounts {
		if a.Chunks == 0 {
			if a.First != 0 || a.Last != 0 {
				t.Errorf("worker %d ran no chunk but has first %d, last %d", w, a.First, a.Last)
			}
			continue
		}
		ran++
		if !(n0 <= a.First && a.First <= a.Last && a.Last <= n1) {
			t.Errorf("worker %d: first %d, last %d, want n0 %d ≤ first ≤ last ≤ n1 %d", w, a.First, a.Last, n0, n1)
		}
	}
	if ran != 1 {
		t.Fatalf("%d workers ran chunks, want 1 (one chunk)", ran)
	}

	const passes = 3
	tr, _, err := trial(ctx, goroutines.Model{}, cfg, passes)
	if err != nil {
		t.Fatal(err)
	}
	if tr.EdgeIdleNs == nil {
		t.Fatal("no edge_idle_ns from a model that keeps accounts")
	}
	if tr.EdgeNegative != 0 {
		t.Errorf("%d negative edges", tr.EdgeNegative)
	}
	passNs := tr.ComputeNs * passes // the warm passes' total
	if e := *tr.EdgeIdleNs; e < passNs || e >= 2*passNs {
		t.Errorf("edge idle %d ns over %d warm passes of %d ns in all: want at least one idle worker's passes, below two", e, passes, passNs)
	}
}

// edgeIdle sums both edges of every worker, counts a worker with no chunk
// as idle the whole pass, flags (without clipping) a chunk outside the
// pass, and knows nothing without chunk times.
func TestEdgeIdleSums(t *testing.T) {
	accts := []models.Account{
		{Chunks: 2, First: 110, Last: 180}, // 10 + 20
		{Chunks: 0},                        // 100
		{Chunks: 1, First: 95, Last: 150},  // −5 + 50: a chunk before the pass
	}
	idle, neg, ok := edgeIdle(accts, 100, 200)
	if !ok || idle != 30+100+45 || neg != 1 {
		t.Errorf("got %d, %d negative, ok %v; want 175, 1, true", idle, neg, ok)
	}
	if _, _, ok := edgeIdle([]models.Account{{Chunks: 1}}, 100, 200); ok {
		t.Error("an account with chunks but no times gave an edge")
	}
	if _, _, ok := edgeIdle(nil, 100, 200); ok {
		t.Error("no accounts gave an edge")
	}
}
