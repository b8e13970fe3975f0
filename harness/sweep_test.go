package harness

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mpbench/mpbench/harness/cellrun"
	"github.com/mpbench/mpbench/runfile"
	"github.com/mpbench/mpbench/workloads"
)

func TestParseParamRanges(t *testing.T) {
	fixed, sweeps, err := ParseParams([]string{"cpu.n=100..10000000/x10", "square.tasks=1000..5000/+2000", "cpu.tasks=8"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{100, 1000, 10_000, 100_000, 1_000_000, 10_000_000}; !slices.Equal(sweeps["cpu"]["n"], want) {
		t.Errorf("cpu.n = %v, want %v", sweeps["cpu"]["n"], want)
	}
	if want := []int64{1000, 3000, 5000}; !slices.Equal(sweeps["square"]["tasks"], want) {
		t.Errorf("square.tasks = %v, want %v", sweeps["square"]["tasks"], want)
	}
	if fixed["cpu"]["tasks"] != 8 {
		t.Errorf("fixed = %v", fixed)
	}
	for _, bad := range []struct{ spec, want string }{
		{"cpu.n=10..1/x2", "runs backwards"},
		{"cpu.n=1..100", "needs a step /xK or /+K"},
		{"cpu.n=1..100/x1", `bad step "x1"`},
		{"cpu.n=0..100/x2", "starts at 1 or more"},
		{"cpu.n=1..1000000/+1", "more than 64 values"},
		{"cpu.n=5/x2", "a step needs a range"},
		{"cpu.n=a..b/x2", "range ends must be integers"},
	} {
		_, _, err := ParseParams([]string{bad.spec})
		checkInputError(t, err, InputParams, bad.want)
	}
}

func TestSweepCellsHaveTheirOwnBaseline(t *testing.T) {
	p := testPlan("goroutines")
	p.Workloads = []string{"cpu"}
	p.Params = map[string]map[string]int64{"cpu": {"tasks": 4}}
	p.Sweeps = map[string]map[string][]int64{"cpu": {"n": {10, 100, 1000}}}
	p.Cores = []int{1, 2}
	specs := p.CellSpecs(testRegistry)
	// Per n: sequential, goroutines c=1, goroutines c=2.
	if len(specs) != 9 {
		t.Fatalf("%d specs, want 9", len(specs))
	}
	for i, s := range specs {
		wantN := []int64{10, 100, 1000}[i/3]
		if s.Params["n"] != wantN || s.Params["tasks"] != 4 {
			t.Errorf("spec %d params %v, want n=%d tasks=4", i, s.Params, wantN)
		}
	}
	if specs[3].Model != "sequential" {
		t.Errorf("second variant does not start with its baseline: %v", specs[3].Model)
	}
}

func TestBreakEven(t *testing.T) {
	r := &runfile.Run{Config: runfile.Config{Workloads: []string{"w"}, Models: []string{"sequential", "fast", "slow", "late"},
		Sweeps: map[string]map[string][]int64{"w": {"n": {10, 100, 1000}}}}}
	add := func(model string, cores int, n int64, ns int64) {
		c := cellWith(model, cores, 10, ns, ns, ns)
		c.Params = map[string]int64{"n": n}
		r.Cells = append(r.Cells, c)
	}
	for _, n := range []int64{10, 100, 1000} {
		add("sequential", 1, n, n*1000)
		add("fast", 2, n, n*500)          // always 2×
		add("slow", 2, n, n*2000)         // never
		add("late", 2, n, n*1000+200_000) // beats from n = 1000 on? 1e6 vs 1.2e6: no; see below
	}
	// Make "late" win at n = 100 and 1000 only.
	r.Cells[7].Trials = []runfile.Trial{{ComputeNs: 90_000}, {ComputeNs: 90_000}, {ComputeNs: 90_000}}
	r.Cells[11].Trials = []runfile.Trial{{ComputeNs: 900_000}, {ComputeNs: 900_000}, {ComputeNs: 900_000}}
	Summarize(r)
	got := map[string]runfile.BreakEven{}
	for _, b := range r.BreakEven {
		got[b.Model] = b
	}
	if b := got["fast"]; b.Value == nil || *b.Value != 10 || !strings.Contains(b.Note, "already") {
		t.Errorf("fast: %+v", b)
	}
	if b := got["slow"]; b.Value != nil || !strings.Contains(b.Note, "never beats sequential up to n=1000") {
		t.Errorf("slow: %+v", b)
	}
	if b := got["late"]; b.Value == nil || *b.Value != 100 || b.Cores != 2 {
		t.Errorf("late: %+v", b)
	}
}

func TestPlanVisitsSplitTrialsOverShuffledRounds(t *testing.T) {
	specs := []cellrun.Spec{{Model: "a", Trials: 10}, {Model: "b", Trials: 10}, {Model: "c", Trials: 10}, {Model: "d", Trials: 10}}
	visits := planVisits(specs, 3, 1, rand.New(rand.NewPCG(1, 0)))
	total := map[string]int{}
	var orders [3][]string
	for _, v := range visits {
		total[v.spec.Model] += v.spec.Trials
		orders[v.round] = append(orders[v.round], v.spec.Model)
		if v.total != 10 {
			t.Errorf("visit planned total %d", v.total)
		}
	}
	for m, n := range total {
		if n != 10 {
			t.Errorf("%s: %d trials over the rounds, want 10", m, n)
		}
	}
	if slices.Equal(orders[0], orders[1]) && slices.Equal(orders[1], orders[2]) {
		t.Errorf("every round visits in the same order: %v", orders)
	}
	one := planVisits(specs, 1, 1, rand.New(rand.NewPCG(1, 0)))
	for i, v := range one {
		if v.index != i || v.spec.Trials != 10 {
			t.Fatalf("one round must keep plan order and all trials: %+v", v)
		}
	}
}

func TestExecuteRoundsMergeTrials(t *testing.T) {
	p := testPlan("goroutines")
	p.Rounds, p.Trials = 2, 5
	run, err := Execute(context.Background(), p, Options{Registry: testRegistry, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Cells) != 4 {
		t.Fatalf("%d cells, want 4", len(run.Cells))
	}
	for _, c := range run.Cells {
		if len(c.Trials) != 5 || c.TrialsPlanned != 5 || c.Summary == nil {
			t.Errorf("%s: %d trials (planned %d)", c.Key(), len(c.Trials), c.TrialsPlanned)
		}
	}
	if run.Cells[0].Model != "sequential" {
		t.Errorf("cells are not in plan order: first is %s", run.Cells[0].Model)
	}
}

func TestTargetCIStops(t *testing.T) {
	s := spec("sequential", "cpu", 1)
	s.TargetCI, s.MaxTimeNs = 1e6, int64(30*time.Second) // any CI meets this target at 6 trials
	cell, err := cellrun.Run(context.Background(), s, cellrun.Options{CPUs: firstCPUs(t, 1), Timeout: time.Minute})
	if err != nil || cell.Failed() {
		t.Fatal(err, cell.Error)
	}
	if cell.Stopped != "target-ci" || len(cell.Trials) != cellrun.MinTargetTrials {
		t.Fatalf("stopped %q after %d trials", cell.Stopped, len(cell.Trials))
	}
	s.TargetCI, s.MaxTimeNs = 1e-9, 1 // unreachable: max-time stops it at cellrun.MinTrials
	cell, _ = cellrun.Run(context.Background(), s, cellrun.Options{CPUs: firstCPUs(t, 1), Timeout: time.Minute})
	if cell.Stopped != "max-time" || len(cell.Trials) != cellrun.MinTrials {
		t.Fatalf("stopped %q after %d trials", cell.Stopped, len(cell.Trials))
	}
}

func TestPlanVisitsPairSidesAndTakeTurns(t *testing.T) {
	specs := []cellrun.Spec{{Model: "a", Trials: 4}, {Model: "b", Trials: 4}, {Model: "c", Trials: 4}}
	visits := planVisits(specs, 4, 2, rand.New(rand.NewPCG(1, 0)))
	if len(visits) != 2*4*len(specs) {
		t.Fatalf("%d visits, want %d", len(visits), 2*4*len(specs))
	}
	first := [2]int{}
	firstOf := map[string][2]int{} // per cell: how often each side went first
	for i := 0; i < len(visits); i += 2 {
		a, b := visits[i], visits[i+1]
		if a.index != b.index || a.round != b.round || a.side == b.side {
			t.Fatalf("visits %d and %d are not one cell's two sides: %+v, %+v", i, i+1, a, b)
		}
		first[a.side]++
		f := firstOf[a.spec.Model]
		f[a.side]++
		firstOf[a.spec.Model] = f
	}
	if first[0] == 0 || first[1] == 0 {
		t.Errorf("one side always goes first: %v", first)
	}
	for m, f := range firstOf {
		if f[0] != f[1] {
			t.Errorf("cell %s: side 0 first %d times, side 1 %d times over 4 rounds, want 2 and 2", m, f[0], f[1])
		}
	}
}

func TestExecuteSidesWritesARunPerSide(t *testing.T) {
	p := testPlan("goroutines")
	p.Rounds, p.Trials = 2, 4
	var names []string
	sides := []Side{
		{Name: "old", Dir: t.TempDir(), Env: runfile.Env{Side: "old"}},
		{Name: "new", Dir: t.TempDir(), Env: runfile.Env{Side: "new"}},
	}
	runs, err := ExecuteSides(context.Background(), p, Options{
		Registry: testRegistry, Progress: func(pr Progress) {
			if pr.Done {
				names = append(names, pr.Cell)
			}
		},
	}, sides)
	if err != nil {
		t.Fatal(err)
	}
	for s, side := range sides {
		saved, err := runfile.Load(side.Dir)
		if err != nil {
			t.Fatal(err)
		}
		if saved.Env.Side != side.Name || runs[s].Env.Side != side.Name || saved.Status != "complete" {
			t.Errorf("side %s: saved side %q, status %q", side.Name, saved.Env.Side, saved.Status)
		}
		if len(saved.Cells) != 4 {
			t.Fatalf("side %s: %d cells, want 4", side.Name, len(saved.Cells))
		}
		for _, c := range saved.Cells {
			if len(c.Trials) != 4 || c.Summary == nil {
				t.Errorf("side %s, %s: %d trials, want 4", side.Name, c.Key(), len(c.Trials))
			}
		}
	}
	if len(names) != 16 || !strings.Contains(names[0], "[") || strings.Contains(names[0], "[old]") == strings.Contains(names[1], "[old]") {
		t.Errorf("visits %q: want 16, a cell's two sides back to back", names)
	}
}

// TestStrongScalingKeepsTaskCount checks that under strong scaling, with
// the default parameters, every cell of a workload (each model, each core
// count, the baseline at c = 1) runs the same tasks, square's and pow's
// workloads.DefaultTinyTasks; under weak scaling the count grows with c.
func TestStrongScalingKeepsTaskCount(t *testing.T) {
	for _, scaling := range []string{"strong", "weak"} {
		p := testPlan("sequential", "goroutines")
		p.Workloads, p.Params, p.Cores, p.Scaling = []string{"cpu", "square", "pow"}, nil, []int{1, 2}, scaling
		tasks := map[string]map[int]int{} // workload → cores → tasks
		for _, s := range p.CellSpecs(testRegistry) {
			in, err := workloads.NewInstance(s.Workload, s.Params, s.Scale)
			if err != nil {
				t.Fatal(err)
			}
			if tasks[s.Workload] == nil {
				tasks[s.Workload] = map[int]int{}
			}
			if n, ok := tasks[s.Workload][s.Cores]; ok && n != len(in.Tasks) {
				t.Errorf("%s: %s/%d runs %d tasks, another model at c = %d %d", scaling, s.Workload, s.Cores, len(in.Tasks), s.Cores, n)
			}
			tasks[s.Workload][s.Cores] = len(in.Tasks)
		}
		for wl, byCores := range tasks {
			one, two := byCores[1], byCores[2]
			if want := map[string]int{"strong": one, "weak": 2 * one}[scaling]; two != want {
				t.Errorf("%s: %s runs %d tasks at c = 1, %d at c = 2; want %d at c = 2", scaling, wl, one, two, want)
			}
			if (wl == "square" || wl == "pow") && one != workloads.DefaultTinyTasks {
				t.Errorf("%s at c = 1: %d tasks, want the default %d", wl, one, workloads.DefaultTinyTasks)
			}
		}
	}
}
