package harness

import (
	"math"
	"strings"
	"testing"

	"github.com/mpbench/mpbench/runfile"
)

// attribRun is a crafted run: sequential at c = 1 ran 100 tasks in 1 ms
// (10 µs a task) with 100 minor faults and 10 + 10 context switches a
// trial; a process model at c = 2 ran them in t ns a trial, with the
// counters and the two workers' accounts given, and probes that put a
// minor fault at 1 µs (start) and 3 µs (end) and a same-CPU pipe round
// trip at 4 µs.
func attribRun(t int64, minflt, nvcsw, nivcsw int64, accts []runfile.Account) *runfile.Run {
	seqTrial := runfile.Trial{ComputeNs: 1_000_000, MinFlt: 100, Nvcsw: 10, Nivcsw: 10, Accounts: []runfile.Account{{BusyNs: 1_000_000, Tasks: 100, Chunks: 10, CPU: 0}}}
	trial := runfile.Trial{SetupNs: 5_000_000, ComputeNs: t, MinFlt: minflt, Nvcsw: nvcsw, Nivcsw: nivcsw, Accounts: accts,
		Metrics: map[string]float64{"worker_start_ms": 2}}
	probe := func(fault float64) *runfile.Probe {
		return &runfile.Probe{Items: []runfile.ProbeItem{
			{Name: ProbeFault, Unit: "µs", Median: fault},
			{Name: ProbeWakeup, Unit: "µs", Median: 4},
			{Name: "pipe round trip, two CPUs", Unit: "µs", Median: 100}, // not used
		}}
	}
	r := &runfile.Run{Env: runfile.Env{ProbeStart: probe(1), ProbeEnd: probe(3)}}
	for _, c := range []struct {
		model string
		cores int
		tr    runfile.Trial
	}{{"sequential", 1, seqTrial}, {"procpool", 2, trial}} {
		r.Cells = append(r.Cells, runfile.Cell{Workload: "cpu", Model: c.model, Cores: c.cores, Tasks: 100,
			Params: map[string]int64{}, Trials: []runfile.Trial{c.tr, c.tr, c.tr}})
	}
	Summarize(r)
	return r
}

// TestAttributionOfASyntheticTrial checks every part and their sum on a
// crafted trial, by hand: c·T = 1.6 ms, lost (1.6 − 1.0) ms / 100 = 6 µs
// a task; 300 faults against sequential's 100, 2 µs each: 4 µs a task;
// 40 switches against 20, 2 µs each (half of 4 µs): 0.4 µs a task; busy
// 0.6 + 0.55 ms for 1 ms of sequential work: 1.5 µs a task withheld;
// worker start 0 (in setup); remainder 6 − 4 − 0.4 − 1.5 = 0.1 µs.
func TestAttributionOfASyntheticTrial(t *testing.T) {
	r := attribRun(800_000, 300, 30, 10, []runfile.Account{
		{BusyNs: 600_000, Tasks: 50, Chunks: 5, CPU: 0}, {BusyNs: 550_000, Tasks: 50, Chunks: 5, CPU: 1},
	})
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	a := r.Cells[1].Summary.Attribution
	if a == nil {
		t.Fatal("no attribution")
	}
	want := map[string]float64{
		runfile.PartWorkerStart: 0, runfile.PartPageFaults: 4000, runfile.PartWakeups: 400,
		runfile.PartWithheld: 1500, runfile.PartRemainder: 100,
	}
	near := func(x, y float64) bool { return math.Abs(x-y) < 1e-6 }
	if !near(a.LostNsPerTask, 6000) {
		t.Errorf("lost %v ns a task, want 6000", a.LostNsPerTask)
	}
	sum := 0.0
	for _, name := range runfile.AttributionParts {
		p := a.Part(name)
		if name == runfile.PartIdleEdges { // no chunk times in these trials
			if p == nil || p.NsPerTask != nil || p.Reason == "" {
				t.Errorf("part %s: %+v, want absent with a reason", name, p)
			}
			continue
		}
		if p == nil || p.NsPerTask == nil {
			t.Fatalf("part %s absent (%+v)", name, p)
		}
		if !near(*p.NsPerTask, want[name]) {
			t.Errorf("part %s: %v ns a task, want %v", name, *p.NsPerTask, want[name])
		}
		sum += *p.NsPerTask
	}
	if !near(sum, a.LostNsPerTask) {
		t.Errorf("parts and remainder add up to %v, want the lost %v", sum, a.LostNsPerTask)
	}
	if a.Exceeds {
		t.Error("exceeds set on parts under the lost time")
	}
	for _, w := range r.Cells[1].Warnings {
		if strings.Contains(w, "attribution") {
			t.Errorf("unexpected warning %q", w)
		}
	}
}

// TestAttributionPartsAboveTheLostTimeAreFlagged crafts 1000 faults a
// trial (18 µs a task beyond sequential's at 2 µs) against 6 µs lost: the
// remainder must be negative, as measured, with the flag and a warning.
func TestAttributionPartsAboveTheLostTimeAreFlagged(t *testing.T) {
	r := attribRun(800_000, 1000, 30, 10, []runfile.Account{
		{BusyNs: 600_000, Tasks: 50, Chunks: 5, CPU: 0}, {BusyNs: 550_000, Tasks: 50, Chunks: 5, CPU: 1},
	})
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	a := r.Cells[1].Summary.Attribution
	if !a.Exceeds {
		t.Error("parts over the lost time not flagged")
	}
	if want := 6000 - 18000 - 400 - 1500.0; math.Abs(a.RemainderNsPerTask-want) > 1e-6 {
		t.Errorf("remainder %v, want %v (not clipped)", a.RemainderNsPerTask, want)
	}
	found := false
	for _, w := range r.Cells[1].Warnings {
		found = found || strings.Contains(w, "attribution: the parts add up to")
	}
	if !found {
		t.Errorf("no warning among %q", r.Cells[1].Warnings)
	}
	// A remainder below 0 without the flag is not a valid run file.
	a.Exceeds = false
	if err := r.Validate(); err == nil || !strings.Contains(err.Error(), "exceeds not set") {
		t.Errorf("Validate: %v, want the missing flag named", err)
	}
}

// TestAttributionWithoutInputsSaysWhy drops the probes and the accounts:
// page faults, wake-ups and withheld must be absent with a reason, not 0,
// and the remainder is the whole lost time less worker start.
func TestAttributionWithoutInputsSaysWhy(t *testing.T) {
	r := attribRun(800_000, 300, 30, 10, nil)
	r.Env = runfile.Env{}
	Summarize(r)
	a := r.Cells[1].Summary.Attribution
	for _, name := range []string{runfile.PartPageFaults, runfile.PartWakeups, runfile.PartWithheld} {
		p := a.Part(name)
		if p == nil || p.NsPerTask != nil || p.Reason == "" {
			t.Errorf("part %s: %+v, want absent with a reason", name, p)
		}
	}
	if math.Abs(a.RemainderNsPerTask-6000) > 1e-6 {
		t.Errorf("remainder %v, want 6000", a.RemainderNsPerTask)
	}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestAttributionCountsEveryPass crafts the run of
// TestAttributionOfASyntheticTrial with a cold pass and 4 warm passes in
// every trial: counters that cover five passes and accounts that cover
// the four warm ones must give the same parts per task as one pass did.
// Dividing the counters by the cell's tasks alone would make the faults
// five times dearer.
func TestAttributionCountsEveryPass(t *testing.T) {
	const k = 4
	r := attribRun(800_000, 300*(k+1), 30*(k+1), 10*(k+1), []runfile.Account{
		{BusyNs: 600_000 * k, Tasks: 50 * k, Chunks: 5 * k, CPU: 0}, {BusyNs: 550_000 * k, Tasks: 50 * k, Chunks: 5 * k, CPU: 1},
	})
	for i := range r.Cells {
		c := &r.Cells[i]
		c.Passes = k
		for j := range c.Trials {
			tr := &c.Trials[j]
			tr.ColdNs, tr.Passes = 2*tr.ComputeNs, k
			if c.Model == "sequential" {
				tr.MinFlt, tr.Nvcsw, tr.Nivcsw = 100*(k+1), 10*(k+1), 10*(k+1)
				tr.Accounts = []runfile.Account{{BusyNs: 1_000_000 * k, Tasks: 100 * k, Chunks: 10 * k, CPU: 0}}
			}
		}
	}
	Summarize(r)
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	a := r.Cells[1].Summary.Attribution
	if a == nil {
		t.Fatal("no attribution")
	}
	want := map[string]float64{
		runfile.PartWorkerStart: 0, runfile.PartPageFaults: 4000, runfile.PartWakeups: 400,
		runfile.PartWithheld: 1500, runfile.PartRemainder: 100,
	}
	for _, name := range runfile.AttributionParts {
		p := a.Part(name)
		if name == runfile.PartIdleEdges { // no chunk times in these trials
			if p == nil || p.NsPerTask != nil {
				t.Errorf("part %s: %+v, want absent", name, p)
			}
			continue
		}
		if p == nil || p.NsPerTask == nil {
			t.Fatalf("part %s absent (%+v)", name, p)
		}
		if math.Abs(*p.NsPerTask-want[name]) > 1e-6 {
			t.Errorf("part %s: %v ns a task, want %v", name, *p.NsPerTask, want[name])
		}
	}
}

// TestAttributionPricesWarmPassCounters: where the cell and its baseline
// have warm-pass counters, the parts come from them alone, over tasks × K,
// and the whole-trial counters (here absurd: a million faults) are
// ignored. By hand, K = 4, 100 tasks: 800 faults over 400 task runs (2 a
// task) against sequential's 200 (0.5): 1.5 × 2 µs = 3 µs; 240 + 80
// switches (0.8 a task) against 40 + 40 (0.2): 0.6 × 2 µs = 1.2 µs;
// withheld 1.5 µs as before; remainder 6 − 3 − 1.2 − 1.5 = 0.3 µs.
func TestAttributionPricesWarmPassCounters(t *testing.T) {
	const k = 4
	r := attribRun(800_000, 1_000_000, 100_000, 100_000, []runfile.Account{
		{BusyNs: 600_000 * k, Tasks: 50 * k, Chunks: 5 * k, CPU: 0}, {BusyNs: 550_000 * k, Tasks: 50 * k, Chunks: 5 * k, CPU: 1},
	})
	for i := range r.Cells {
		c := &r.Cells[i]
		c.Passes = k
		for j := range c.Trials {
			tr := &c.Trials[j]
			tr.ColdNs, tr.Passes = 2*tr.ComputeNs, k
			if c.Model == "sequential" {
				tr.MinFlt, tr.Nvcsw, tr.Nivcsw = 900_000, 90_000, 90_000
				tr.Accounts = []runfile.Account{{BusyNs: 1_000_000 * k, Tasks: 100 * k, Chunks: 10 * k, CPU: 0}}
				tr.Warm = &runfile.WarmCounters{MinFlt: 50 * k, Nvcsw: 10 * k, Nivcsw: 10 * k, Procs: 1}
			} else {
				tr.Warm = &runfile.WarmCounters{MinFlt: 200 * k, MajFlt: 7, Nvcsw: 60 * k, Nivcsw: 20 * k, Procs: 3, Unread: 1}
				// 200 ns a task idle at the passes' ends: 100 tasks, k passes.
				edge := int64(200 * 100 * k)
				tr.EdgeIdleNs = &edge
			}
		}
	}
	Summarize(r)
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	a := r.Cells[1].Summary.Attribution
	if a == nil {
		t.Fatal("no attribution")
	}
	want := map[string]float64{
		runfile.PartWorkerStart: 0, runfile.PartPageFaults: 3000, runfile.PartWakeups: 1200,
		runfile.PartWithheld: 1500, runfile.PartIdleEdges: 200, runfile.PartRemainder: 100,
	}
	for _, name := range runfile.AttributionParts {
		p := a.Part(name)
		if p == nil || p.NsPerTask == nil {
			t.Fatalf("part %s absent (%+v)", name, p)
		}
		if math.Abs(*p.NsPerTask-want[name]) > 1e-6 {
			t.Errorf("part %s: %v ns a task, want %v", name, *p.NsPerTask, want[name])
		}
	}
	if a.CountersScope != "warm passes" || a.Exceeds {
		t.Errorf("counters scope %q, exceeds %v; want \"warm passes\", false", a.CountersScope, a.Exceeds)
	}
	notes := strings.Join(a.Notes, "\n")
	if !strings.Contains(notes, "warm passes of 3 process(es)") || !strings.Contains(notes, "1 listed worker(s) could not be read") {
		t.Errorf("notes do not say which processes were counted: %q", notes)
	}
	if strings.Contains(notes, "whole trial") {
		t.Errorf("notes still speak of the whole trial: %q", notes)
	}
	if strings.Contains(notes, "outside its pass") {
		t.Errorf("notes flag negative edges where there are none: %q", notes)
	}

	// A negative edge is flagged, not clipped; without the times the part
	// is absent and says why.
	r.Cells[1].Trials[0].EdgeNegative = 1
	Summarize(r)
	if notes := strings.Join(r.Cells[1].Summary.Attribution.Notes, "\n"); !strings.Contains(notes, "1 worker-pass(es) had a chunk timed outside its pass") {
		t.Errorf("a negative edge is not flagged: %q", notes)
	}
	r.Cells[1].Trials[0].EdgeNegative = 0
	for j := range r.Cells[1].Trials {
		r.Cells[1].Trials[j].EdgeIdleNs = nil
	}
	Summarize(r)
	if p := r.Cells[1].Summary.Attribution.Part(runfile.PartIdleEdges); p == nil || p.NsPerTask != nil || p.Reason == "" {
		t.Errorf("without edge times: %+v, want absent with a reason", p)
	} else if rem := r.Cells[1].Summary.Attribution.RemainderNsPerTask; math.Abs(rem-300) > 1e-6 {
		t.Errorf("without edge times the remainder is %v, want 300 (the edges back in it)", rem)
	}
	for j := range r.Cells[1].Trials {
		edge := int64(200 * 100 * k)
		r.Cells[1].Trials[j].EdgeIdleNs = &edge
	}

	// A baseline without warm counters (an older file's) is not mixed
	// with them: both fall back to the whole trial's.
	for j := range r.Cells[0].Trials {
		r.Cells[0].Trials[j].Warm = nil
	}
	Summarize(r)
	if a := r.Cells[1].Summary.Attribution; a == nil || a.CountersScope != "trial" {
		t.Fatalf("without the baseline's warm counters: %+v, want scope \"trial\"", a)
	}
}

// TestAttributionWithheldNeedsTimeableChunks: chunks of one 1 µs task are
// under MinChunkNs, where a busy time is the clock reads' (and, sampled,
// an estimate): withheld must be absent with the reason, as the ceiling is.
func TestAttributionWithheldNeedsTimeableChunks(t *testing.T) {
	r := attribRun(160_000, 300, 30, 10, []runfile.Account{
		{BusyNs: 60_000, Tasks: 50, Chunks: 50, CPU: 0}, {BusyNs: 55_000, Tasks: 50, Chunks: 50, CPU: 1},
	})
	for j := range r.Cells[0].Trials {
		tr := &r.Cells[0].Trials[j]
		tr.ComputeNs = 100_000 // 1 µs a task
		tr.Accounts = []runfile.Account{{BusyNs: 100_000, Tasks: 100, Chunks: 1, CPU: 0}}
	}
	Summarize(r)
	p := r.Cells[1].Summary.Attribution.Part(runfile.PartWithheld)
	if p == nil || p.NsPerTask != nil || !strings.Contains(p.Reason, "too short to time") {
		t.Fatalf("withheld %+v: want absent, chunks too short to time", p)
	}
}
