package harness

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mpbench/mpbench/harness/cellrun"
	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/models/goroutines"
	"github.com/mpbench/mpbench/models/sequential"
	"github.com/mpbench/mpbench/models/shm"
	"github.com/mpbench/mpbench/runfile"
	"github.com/mpbench/mpbench/worker"
	"github.com/mpbench/mpbench/workloads"
)

// testModel is a model whose compute does what the test needs.
type testModel struct {
	name    string
	compute func(ctx context.Context, cfg models.Config) ([]uint64, error)
	// setupDelay and teardownDelay are slept in those phases.
	setupDelay, teardownDelay time.Duration
}

func (m testModel) Name() string { return m.name }
func (m testModel) Doc() string  { return "test model" }
func (m testModel) Setup(_ context.Context, cfg models.Config) (models.Session, error) {
	time.Sleep(m.setupDelay)
	return &testSession{m: m, cfg: cfg}, nil
}

type testSession struct {
	m   testModel
	cfg models.Config
}

func (s *testSession) Compute(ctx context.Context) (models.Output, error) {
	r, err := s.m.compute(ctx, s.cfg)
	return models.Output{Results: r}, err
}
func (s *testSession) Teardown() error {
	time.Sleep(s.m.teardownDelay)
	return nil
}

var testRegistry = models.Registry{
	sequential.New(),
	goroutines.New(),
	testModel{name: "wrong", compute: func(_ context.Context, cfg models.Config) ([]uint64, error) {
		r := cfg.Workload.Run()
		r[len(r)/2]++
		return r, nil
	}},
	testModel{name: "swapped", compute: func(_ context.Context, cfg models.Config) ([]uint64, error) {
		r := cfg.Workload.Run()
		r[1], r[2] = r[2], r[1]
		return r, nil
	}},
	testModel{name: "block", compute: func(ctx context.Context, cfg models.Config) ([]uint64, error) {
		<-ctx.Done()
		select {} // ignore cancellation: only a kill ends this
	}},
	testModel{name: "crash", compute: func(context.Context, models.Config) ([]uint64, error) {
		os.Stderr.WriteString("crash model: giving up\n")
		os.Exit(7)
		return nil, nil
	}},
	testModel{name: "phases", compute: func(_ context.Context, cfg models.Config) ([]uint64, error) {
		return cfg.Workload.Run(), nil
	}, setupDelay: 40 * time.Millisecond, teardownDelay: 40 * time.Millisecond},
	// stall computes three trials, then blocks until cancelled. Without
	// a warm-up a trial is two passes (cold, and one warm).
	testModel{name: "stall", compute: func(ctx context.Context, cfg models.Config) ([]uint64, error) {
		if stalls.Add(1) > 3*2 {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return cfg.Workload.Run(), nil
	}},
	testModel{name: "slow", compute: func(_ context.Context, cfg models.Config) ([]uint64, error) {
		time.Sleep(20 * time.Millisecond)
		return cfg.Workload.Run(), nil
	}},
	// quickens makes its first two passes (one warm-up of one warm pass)
	// last 10 ms, and every later one 2 ms: a warm-up slower than the
	// measured trials.
	testModel{name: "quickens", compute: func(_ context.Context, cfg models.Config) ([]uint64, error) {
		if quickens.Add(1) <= 2 {
			time.Sleep(10 * time.Millisecond)
		} else {
			time.Sleep(2 * time.Millisecond)
		}
		return cfg.Workload.Run(), nil
	}},
}

// quickens counts the quickens model's passes in its cell runner.
var quickens atomic.Int32

// stalls counts the stall model's trials in its cell runner.
var stalls atomic.Int32

func TestMain(m *testing.M) {
	worker.Register(cellrun.RoleName, cellrun.Role(testRegistry))
	if worker.IsChild() {
		slowOneWorker()
		os.Exit(worker.RunChild())
	}
	// A race-enabled child sleeps a second at exit unless told not to
	// (GORACE atexit_sleep_ms); the cell runners inherit this.
	if _, set := os.LookupEnv("GORACE"); !set {
		os.Setenv("GORACE", "atexit_sleep_ms=0")
	}
	os.Exit(m.Run())
}

func TestParseCores(t *testing.T) {
	good := []struct {
		spec  string
		avail int
		over  bool
		want  []int
	}{
		{"1..4", 4, false, []int{1, 2, 3, 4}},
		{"1,2,4", 4, false, []int{1, 2, 4}},
		{"1,2..4", 4, false, []int{1, 2, 3, 4}},
		{"max", 2, false, []int{2}},
		{"1..max", 2, false, []int{1, 2}},
		{"4,1,2,2", 4, false, []int{1, 2, 4}},
		{"1..8", 2, true, []int{1, 2, 3, 4, 5, 6, 7, 8}},
	}
	for _, g := range good {
		got, err := ParseCores(g.spec, g.avail, g.over)
		if err != nil || !equalInts(got, g.want) {
			t.Errorf("ParseCores(%q, %d, %v) = %v, %v; want %v", g.spec, g.avail, g.over, got, err, g.want)
		}
	}
	bad := []struct{ spec, want string }{
		{"0", `cores spec "0": core counts start at 1`},
		{"3..1", "runs backwards"},
		{"a", `cores spec "a": "a" is not a core count`},
		{"1..999", "999 cores asked for, but only 2 CPUs are available to this process; use at most 2 or allow oversubscription"},
		{"", "cores spec: empty"},
		{"1,,2", `"" is not a core count`},
	}
	for _, b := range bad {
		_, err := ParseCores(b.spec, 2, false)
		checkInputError(t, err, InputCores, b.want)
	}
}

// checkInputError fails t unless err is an *InputError of input, wrapping
// ErrUsage, whose message contains want and spells no flag.
func checkInputError(t *testing.T, err error, input Input, want string) {
	t.Helper()
	var ie *InputError
	if !errors.As(err, &ie) || ie.Input != input || !errors.Is(err, ErrUsage) {
		t.Errorf("err = %#v, want an *InputError of %s", err, input)
		return
	}
	if msg := err.Error(); !strings.Contains(msg, want) || strings.Contains(msg, "--") {
		t.Errorf("err = %q, want it to contain %q and no flag", msg, want)
	}
}

// TestInputErrorMessage checks that a caller can name every input of a
// message its own way, the inputs a reason refers to included.
func TestInputErrorMessage(t *testing.T) {
	p := testPlan("goroutines")
	p.Trials, p.Rounds = 3, 5
	err := p.Check(testRegistry)
	const harnessWords = "trials 3: fewer than rounds 5: every round needs a trial of every cell"
	if err == nil || err.Error() != harnessWords {
		t.Fatalf("Error() = %v, want %q", err, harnessWords)
	}
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Fatalf("%T is not an *InputError", err)
	}
	flag := func(in Input) string { return "--" + strings.ReplaceAll(string(in), " ", "-") }
	if got, want := ie.Message(flag), "--trials 3: fewer than --rounds 5: every round needs a trial of every cell"; got != want {
		t.Errorf("Message(flag) = %q, want %q", got, want)
	}
	if _, err := ParseCores("1..3", 2, false); err == nil || !strings.HasSuffix(err.(*InputError).Message(flag), "use at most 2 or allow --oversubscription") {
		t.Errorf("ParseCores: %v, want the oversubscription input named by the caller", err)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func cellWith(model string, cores, tasks int, ns ...int64) runfile.Cell {
	c := runfile.Cell{Workload: "w", Model: model, Cores: cores, Tasks: tasks}
	for _, x := range ns {
		c.Trials = append(c.Trials, runfile.Trial{ComputeNs: x})
	}
	return c
}

func TestDerivedFigures(t *testing.T) {
	r := &runfile.Run{Cells: []runfile.Cell{
		cellWith("sequential", 1, 1000, 1000_000, 1000_000, 1000_000),
		cellWith("m", 1, 1000, 1100_000, 1100_000, 1100_000),
		cellWith("m", 2, 1000, 550_000, 550_000, 550_000),
		// weak scaling: twice the tasks in 1.1 ms on 2 cores.
		cellWith("weak", 2, 2000, 1100_000, 1100_000, 1100_000),
	}}
	Summarize(r)
	if b := r.Cells[0].Summary; b.Speedup == nil || *b.Speedup != 1 || *b.Efficiency != 1 || *b.OverheadNsPerTask != 0 {
		t.Errorf("the baseline against itself: speedup %v", b.Speedup)
	}
	s := r.Cells[2].Summary
	if *s.Speedup != 1000_000.0/550_000 || *s.Efficiency != *s.Speedup/2 || *s.RelSpeedup != 2 {
		t.Errorf("speedup %v eff %v rel %v", *s.Speedup, *s.Efficiency, *s.RelSpeedup)
	}
	// (2·550 µs − 1000 µs) / 1000 tasks = 100 ns.
	if got := *s.OverheadNsPerTask; math.Abs(got-100) > 1e-9 {
		t.Errorf("overhead = %v ns, want 100", got)
	}
	w := r.Cells[3].Summary
	// Baseline scaled to 2000 tasks: 2 ms; speedup 2/1.1.
	if math.Abs(*w.Speedup-2/1.1) > 1e-12 || math.Abs(*w.OverheadNsPerTask-100) > 1e-9 {
		t.Errorf("weak: speedup %v overhead %v", *w.Speedup, *w.OverheadNsPerTask)
	}
	if w.RelSpeedup != nil {
		t.Errorf("weak has no c=1 cell, relative speedup = %v", *w.RelSpeedup)
	}
}

func TestNoisyCellWarns(t *testing.T) {
	r := &runfile.Run{Cells: []runfile.Cell{cellWith("sequential", 1, 10, 100, 150, 100, 200, 100, 90, 100, 100, 110, 100)}}
	Summarize(r)
	if w := strings.Join(r.Cells[0].Warnings, ";"); !strings.Contains(w, "noisy: CV") {
		t.Fatalf("warnings = %q, want a noisy warning", w)
	}
}

func spec(model, workload string, cores int) cellrun.Spec {
	params := map[string]map[string]int64{"cpu": {"tasks": 8, "n": 20000}, "square": {"tasks": 5000}, "pow": {"tasks": 5000}}
	return cellrun.Spec{Workload: workload, Params: params[workload], Scale: 1, Model: model, Cores: cores, Warmup: 1, Trials: 3}
}

func firstCPUs(t *testing.T, n int) []int {
	cpus, err := worker.AllowedCPUs()
	if err != nil {
		t.Fatal(err)
	}
	if len(cpus) < n {
		t.Skipf("needs %d CPUs, this machine allows %d", n, len(cpus))
	}
	return cpus[:n]
}

func TestRunCellConfinedAndValidated(t *testing.T) {
	for _, c := range []struct {
		model string
		cores int
	}{{"sequential", 1}, {"goroutines", 1}, {"goroutines", 2}} {
		for _, wl := range workloads.Names() {
			cpus := firstCPUs(t, c.cores)
			var seen string
			cell, err := cellrun.Run(context.Background(), spec(c.model, wl, c.cores), cellrun.Options{
				CPUs: cpus, Timeout: time.Minute,
				OnStart: func(pid int) {
					// The runner is born confined: its /proc entry says so
					// from the moment Start returns.
					seen, _ = worker.StatusField(pid, "Cpus_allowed_list")
				},
			})
			if err != nil || cell.Failed() {
				t.Fatalf("%s %s c=%d: %v %s", wl, c.model, c.cores, err, cell.Error)
			}
			want := worker.FormatCPUList(cpus)
			if seen != want || cell.CPUs != want {
				t.Errorf("%s c=%d: runner Cpus_allowed_list %q (self-reported %q), want %q", c.model, c.cores, seen, cell.CPUs, want)
			}
			if len(cell.Trials) != 3 {
				t.Errorf("%d trials, want 3 (warm-ups are not recorded)", len(cell.Trials))
			}
			if cell.WallNs <= 0 {
				t.Errorf("wall_ns %d: want the cell's wall time", cell.WallNs)
			}
			for _, tr := range cell.Trials {
				if tr.ComputeNs <= 0 || tr.UserNs+tr.SysNs <= 0 || tr.PeakRSSBytes <= 0 {
					t.Errorf("trial lacks figures: %+v", tr)
				}
				// The workers' accounts cross from the runner into the
				// record: one per worker, every task accounted for, each
				// worker on one of the cell's CPUs.
				tasks := 0
				for _, a := range tr.Accounts {
					tasks += a.Tasks
					if a.Tasks > 0 && (a.BusyNs <= 0 || a.Chunks <= 0 || !slices.Contains(cpus, a.CPU)) {
						t.Errorf("%s %s c=%d: account %+v (cell CPUs %v)", wl, c.model, c.cores, a, cpus)
					}
				}
				if len(tr.Accounts) != c.cores || tasks != cell.Tasks {
					t.Errorf("%s %s c=%d: accounts %+v, want %d summing to %d tasks", wl, c.model, c.cores, tr.Accounts, c.cores, cell.Tasks)
				}
			}
		}
	}
}

func TestRunCellChecksumMismatch(t *testing.T) {
	cell, err := cellrun.Run(context.Background(), spec("wrong", "square", 1), cellrun.Options{CPUs: firstCPUs(t, 1), Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	in, _ := workloads.Square.New(map[string]int64{"tasks": 5000}, 1)
	for _, want := range []string{"workload square", "model wrong", "cores 1", "expected", "got"} {
		if !strings.Contains(cell.Error, want) {
			t.Errorf("error %q does not name %q", cell.Error, want)
		}
	}
	// The result in the middle is one too big; the checksum weighs it by
	// its position.
	if !strings.Contains(cell.Error, "expected "+itoa(in.Reference)) || !strings.Contains(cell.Error, "got "+itoa(in.Reference+uint64(len(in.Tasks)/2+1))) {
		t.Errorf("error %q lacks the figures", cell.Error)
	}
}

// TestRunCellSwappedResultsFail checks that a model whose results are all
// right but two of them in each other's place fails its cell.
func TestRunCellSwappedResultsFail(t *testing.T) {
	for _, wl := range []string{"cpu", "square", "pow"} {
		cell, err := cellrun.Run(context.Background(), spec("swapped", wl, 1), cellrun.Options{CPUs: firstCPUs(t, 1), Timeout: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(cell.Error, "results do not match the workload's reference") {
			t.Errorf("%s: cell error %q, want a checksum mismatch", wl, cell.Error)
		}
	}
}

func itoa(u uint64) string { return strconv.FormatUint(u, 10) }

func TestRunCellTimeoutKillsRunner(t *testing.T) {
	var pid int
	start := time.Now()
	cell, err := cellrun.Run(context.Background(), spec("block", "square", 1), cellrun.Options{
		CPUs: firstCPUs(t, 1), Timeout: 300 * time.Millisecond, OnStart: func(p int) { pid = p },
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cell.Error, "timed out after 300ms") {
		t.Fatalf("error = %q, want a timeout", cell.Error)
	}
	if d := time.Since(start); d > 300*time.Millisecond+worker.WaitDelay+time.Second {
		t.Fatalf("timeout took %v", d)
	}
	if syscall.Kill(pid, 0) == nil {
		t.Fatalf("cell runner %d still exists", pid)
	}
}

// TestTimeoutKeepsFinishedTrials checks that a cell whose time limit comes
// after 3 trials keeps them, is not failed, and is summarised with a
// warning that says so.
func TestTimeoutKeepsFinishedTrials(t *testing.T) {
	s := spec("stall", "square", 1)
	s.Warmup, s.Trials = 0, 10
	cell, err := cellrun.Run(context.Background(), s, cellrun.Options{CPUs: firstCPUs(t, 1), Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if cell.Failed() || len(cell.Trials) != 3 || cell.Stopped != cellrun.StoppedTimeout {
		t.Fatalf("error %q, %d trials, stopped %q; want no error, 3 trials, stopped %q", cell.Error, len(cell.Trials), cell.Stopped, cellrun.StoppedTimeout)
	}
	seq, err := cellrun.Run(context.Background(), spec("sequential", "square", 1), cellrun.Options{CPUs: firstCPUs(t, 1), Timeout: time.Minute})
	if err != nil || seq.Failed() {
		t.Fatal(err, seq.Error)
	}
	// As the baseline it was timed out, sequential still gives speedups.
	seq.Stopped, seq.TrialsPlanned, seq.Trials = cellrun.StoppedTimeout, 10, seq.Trials[:3]
	run := &runfile.Run{Cells: []runfile.Cell{seq, cell}}
	Summarize(run)
	c := run.Cells[1]
	if c.Summary == nil || c.Summary.Speedup == nil {
		t.Fatalf("timed-out cells: summary %+v, want one with a speedup", c.Summary)
	}
	for _, c := range run.Cells {
		if !slices.ContainsFunc(c.Warnings, func(w string) bool { return strings.HasPrefix(w, "timed out: 3 of 10 trials ran") }) {
			t.Errorf("%s: warnings %q, want the timeout said", c.Key(), c.Warnings)
		}
	}
}

func TestRunCellCrashKeepsStderr(t *testing.T) {
	cell, err := cellrun.Run(context.Background(), spec("crash", "square", 1), cellrun.Options{CPUs: firstCPUs(t, 1), Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"exit status 7", "crash model: giving up", "model crash"} {
		if !strings.Contains(cell.Error, want) {
			t.Errorf("error %q lacks %q", cell.Error, want)
		}
	}
}

func TestCellBudgetKeepsThreeTrials(t *testing.T) {
	s := spec("slow", "square", 1)
	s.Trials, s.BudgetNs = 10, 1
	cell, err := cellrun.Run(context.Background(), s, cellrun.Options{CPUs: firstCPUs(t, 1), Timeout: time.Minute})
	if err != nil || cell.Failed() {
		t.Fatal(err, cell.Error)
	}
	if len(cell.Trials) != cellrun.MinTrials || cell.Stopped != "budget" || cell.TrialsPlanned != 10 {
		t.Fatalf("%d trials, stopped %q, planned %d", len(cell.Trials), cell.Stopped, cell.TrialsPlanned)
	}
}

func testPlan(modelNames ...string) *Plan {
	return &Plan{
		Cores: []int{1}, Models: modelNames, Workloads: []string{"cpu", "square"},
		Params:  map[string]map[string]int64{"cpu": {"tasks": 4, "n": 10000}, "square": {"tasks": 2000}},
		Scaling: "strong", Warmup: 0, Trials: 3, Timeout: time.Minute, Rounds: 1,
	}
}

func TestExecuteGoesOnAfterAFailedCell(t *testing.T) {
	dir := t.TempDir()
	// The table has a model the run lacks and lacks one it has (wrong).
	table := []runfile.ModelInfo{
		{Name: "goroutines", Family: "go", Color: "#0072b2", Marker: "square"},
		{Name: "absent", Family: "go", Color: "#000000", Marker: "circle"},
		{Name: "sequential", Family: "go", Twin: "py-sequential", Color: "#222222", Marker: "circle"},
	}
	run, err := Execute(context.Background(), testPlan("wrong", "goroutines"), Options{Registry: testRegistry, Dir: dir, Table: table})
	if !errors.Is(err, ErrCellsFailed) {
		t.Fatalf("err = %v, want ErrCellsFailed", err)
	}
	saved, lerr := runfile.Load(dir)
	if lerr != nil {
		t.Fatal(lerr)
	}
	if want := []runfile.ModelInfo{table[0], table[2]}; !slices.Equal(saved.Models, want) {
		t.Errorf("run file records models %+v, want the table's entries of the models that ran, in table order: %+v", saved.Models, want)
	}
	// Per workload: sequential (added), wrong, goroutines.
	if len(saved.Cells) != 6 || saved.Status != "failed" {
		t.Fatalf("saved %d cells, status %q", len(saved.Cells), saved.Status)
	}
	var failed, ok int
	for _, c := range run.Cells {
		if c.Failed() {
			failed++
		} else if c.Summary != nil {
			ok++
		}
	}
	if failed != 2 || ok != 4 {
		t.Fatalf("%d failed, %d ok; want 2 and 4", failed, ok)
	}
	if run.Cells[2].Summary.Speedup == nil {
		t.Error("goroutines cell has no speedup against its run's sequential cell")
	}
}

func TestExecuteInterrupted(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var pids []int
	plan := testPlan("block")
	plan.Workloads = []string{"square"}
	plan.Params = map[string]map[string]int64{"square": {"tasks": 1000}}
	run, err := Execute(ctx, plan, Options{Registry: testRegistry, Dir: dir, OnCellStart: func(pid int) {
		pids = append(pids, pid)
		if len(pids) == 2 { // the block cell: cancel while it runs
			time.AfterFunc(200*time.Millisecond, cancel)
		}
	}})
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("err = %v, want ErrInterrupted", err)
	}
	saved, lerr := runfile.Load(dir)
	if lerr != nil {
		t.Fatal(lerr)
	}
	if saved.Status != "interrupted" || len(saved.Cells) != 1 || saved.Cells[0].Model != "sequential" || len(run.Cells) != 1 {
		t.Fatalf("status %q, %d cells saved", saved.Status, len(saved.Cells))
	}
	for _, pid := range pids {
		if syscall.Kill(pid, 0) == nil {
			t.Errorf("cell runner %d outlived the interrupt", pid)
		}
	}
}

func TestPlanCheck(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(p *Plan)
		input Input
		want  string
	}{
		{"trials", func(p *Plan) { p.Trials = 0 }, InputTrials, "trials 0: at least 1 trial per cell"},
		{"warmup", func(p *Plan) { p.Warmup = -1 }, InputWarmup, "warm-ups -1: cannot be negative"},
		{"model", func(p *Plan) { p.Models = []string{"nope"} }, InputModels, `models: unknown model "nope" (valid: sequential, goroutines`},
		{"scaling", func(p *Plan) { p.Scaling = "wide" }, InputScaling, `scaling "wide": accepted: strong, weak`},
		{"param for absent workload", func(p *Plan) { p.Params["pow"] = map[string]int64{"tasks": 3} }, InputParams, "sets pow.*, but workload pow is not in this run (workloads "},
		{"timeout", func(p *Plan) { p.Timeout = 0 }, InputTimeout, "timeout 0s: must be positive"},
		{"target CI", func(p *Plan) { p.TargetCI = 2 }, InputTargetCI, "target CI 2: a fraction between 0 and 1"},
		{"memory", func(p *Plan) { p.Params["square"]["tasks"] = 50_000_000; p.MemoryLimit = 1 << 30 }, InputParams,
			"the sequential cell of square[tasks=50000000] at c=1 needs about 1.5 GiB of memory (50000000 tasks), more than the 1.0 GiB free here (the memory limit)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := testPlan("goroutines")
			c.edit(p)
			checkInputError(t, p.Check(testRegistry), c.input, c.want)
		})
	}
}

// TestPlanCheckMemory checks the case that swapped a 8 GiB machine,
// square.tasks=50000000 under shm on 2 cores, against a 4 GiB limit, and
// that a limit below 0 lets it through.
func TestPlanCheckMemory(t *testing.T) {
	reg := models.Registry{sequential.New(), shm.New()}
	p := &Plan{
		Cores: []int{2}, Models: []string{"shm"}, Workloads: []string{"square"},
		Params:  map[string]map[string]int64{"square": {"tasks": 50_000_000}},
		Scaling: "strong", Trials: 1, Timeout: time.Minute, Rounds: 1, MemoryLimit: 4 << 30,
	}
	checkInputError(t, p.Check(reg), InputParams, "the shm cell of square[tasks=50000000] at c=2 needs about 6.7 GiB of memory")
	p.MemoryLimit = -1
	if err := p.Check(reg); err != nil {
		t.Errorf("no limit: %v", err)
	}
	p.MemoryLimit = 4 << 30
	p.Params["square"]["tasks"] = 1_000_000
	if err := p.Check(reg); err != nil {
		t.Errorf("1,000,000 tasks: %v", err)
	}
}

func TestParseMemAvailable(t *testing.T) {
	in := "MemTotal:       32768000 kB\nMemFree:         1000 kB\nMemAvailable:   24275540 kB\n"
	if got, err := parseMemAvailable(strings.NewReader(in)); err != nil || got != 24275540*1024 {
		t.Errorf("got %d, %v; want %d", got, err, 24275540*1024)
	}
	if _, err := parseMemAvailable(strings.NewReader("MemTotal: 1 kB\n")); err == nil {
		t.Error("no MemAvailable line: no error")
	}
	if _, err := MemAvailable(); err != nil {
		t.Errorf("this machine: %v", err)
	}
}

func TestParseParams(t *testing.T) {
	got, _, err := ParseParams([]string{"cpu.n=1_000", "cpu.tasks=2e3", "square.tasks=10"})
	if err != nil || got["cpu"]["n"] != 1000 || got["cpu"]["tasks"] != 2000 || got["square"]["tasks"] != 10 {
		t.Fatalf("got %v, %v", got, err)
	}
	for _, bad := range []struct{ spec, want string }{
		{"cpu.n=-5", "cpu.n=-5 is out of range"},
		{"cpu.x=1", "cpu.x is not a parameter (valid: cpu.tasks, cpu.n)"},
		{"cpu.n", "want workload.key=value"},
		{"gpu.n=1", `unknown workload "gpu"`},
		{"cpu.n=abc", "is not an integer"},
	} {
		_, _, err := ParseParams([]string{bad.spec})
		checkInputError(t, err, InputParams, "parameter "+strconv.Quote(bad.spec)+": ")
		checkInputError(t, err, InputParams, bad.want)
	}
}

func TestPrepareDir(t *testing.T) {
	root := t.TempDir()
	dir, err := PrepareDir("", root, time.Date(2026, 11, 26, 1, 2, 3, 0, time.UTC), "host/x", false)
	if err != nil || dir != filepath.Join(root, "20261126T010203Z-host_x") {
		t.Fatalf("PrepareDir = %q, %v", dir, err)
	}
	file := filepath.Join(root, "afile")
	os.WriteFile(file, nil, 0o644)
	_, err = PrepareDir(filepath.Join(file, "sub", "run"), root, time.Now(), "h", false)
	checkInputError(t, err, InputOut, "run folder "+filepath.Join(file, "sub", "run")+": cannot write there")
	// Without a folder given, the folder of run folders is to blame.
	_, err = PrepareDir("", file, time.Now(), "h", false)
	checkInputError(t, err, InputResults, "cannot write there")
}

func TestPrepareDirRefusesAnOldRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	os.Mkdir(dir, 0o755)
	// An empty folder, or one with files that are not mpbench's, is fine.
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644)
	if _, err := PrepareDir(dir, "", time.Now(), "h", false); err != nil {
		t.Fatalf("folder without a run: %v", err)
	}
	old := []string{"run.json", "cpu-speedup.png", "index.html", "index.md"}
	for _, n := range old {
		os.WriteFile(filepath.Join(dir, n), []byte("old"), 0o644)
	}
	_, err := PrepareDir(dir, "", time.Now(), "h", false)
	checkInputError(t, err, InputOut, "run folder "+dir+": already holds a run (cpu-speedup.png, index.html, index.md and 1 more); give replace to replace it")
	if got := RunFiles(dir); len(got) != len(old) {
		t.Fatalf("refused, yet files went: %v", got)
	}
	if _, err := PrepareDir(dir, "", time.Now(), "h", true); err != nil {
		t.Fatalf("replace: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "notes.txt" {
		t.Fatalf("after replace the folder holds %v, want only notes.txt", entries)
	}
}

// TestPhasesAreAttributed checks that time spent in setup and teardown, and
// the harness's own validation of a large result set, stay out of the
// compute phase.
func TestPhasesAreAttributed(t *testing.T) {
	s := spec("phases", "square", 1)
	s.Params = map[string]int64{"tasks": 10}
	cell, err := cellrun.Run(context.Background(), s, cellrun.Options{CPUs: firstCPUs(t, 1), Timeout: time.Minute})
	if err != nil || cell.Failed() {
		t.Fatal(err, cell.Error)
	}
	for _, tr := range cell.Trials {
		if tr.SetupNs < int64(40*time.Millisecond) || tr.TeardownNs < int64(40*time.Millisecond) {
			t.Errorf("setup %v, teardown %v: the model slept 40ms in each", time.Duration(tr.SetupNs), time.Duration(tr.TeardownNs))
		}
		if tr.ComputeNs >= int64(40*time.Millisecond) {
			t.Errorf("compute %v holds time of another phase", time.Duration(tr.ComputeNs))
		}
	}
}

// TestRunFileSaysWhatRanUnderWeakScaling checks that a cell's params stay
// what the run asked for while tasks and scale say what ran.
func TestRunFileSaysWhatRanUnderWeakScaling(t *testing.T) {
	cases := []struct {
		name      string
		scale     int
		wantTasks int
	}{
		{"strong", 1, 8},
		{"weak at c=2", 2, 16},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := spec("goroutines", "cpu", 1)
			s.Scale = c.scale
			cell, err := cellrun.Run(context.Background(), s, cellrun.Options{CPUs: firstCPUs(t, 1), Timeout: time.Minute})
			if err != nil || cell.Failed() {
				t.Fatalf("%v %s", err, cell.Error)
			}
			if cell.Tasks != c.wantTasks || cell.Scale != c.scale || cell.Params["tasks"] != 8 {
				t.Errorf("got tasks %d, scale %d, params.tasks %d; want %d, %d, 8", cell.Tasks, cell.Scale, cell.Params["tasks"], c.wantTasks, c.scale)
			}
		})
	}
}

// TestExecuteRecordsOtherLoad: a cell long enough to measure (the phases
// model spends 80 ms a trial in setup and teardown) records how much of
// its CPU other processes took.
func TestExecuteRecordsOtherLoad(t *testing.T) {
	plan := testPlan("phases")
	plan.Workloads, plan.Trials = []string{"square"}, 5
	delete(plan.Params, "cpu")
	run, err := Execute(context.Background(), plan, Options{Registry: testRegistry, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range run.Cells {
		if c.Model != "phases" {
			continue
		}
		if c.OtherLoad == nil || *c.OtherLoad < 0 || *c.OtherLoad > 1.5 {
			t.Fatalf("phases cell: other_load %v, want a share of its CPU", c.OtherLoad)
		}
		busy := slices.ContainsFunc(c.Warnings, func(w string) bool { return strings.HasPrefix(w, "machine busy") })
		if busy != (*c.OtherLoad > cellrun.BusyLoad) {
			t.Errorf("other_load %.3f, warnings %q", *c.OtherLoad, c.Warnings)
		}
		t.Logf("other_load %.3f", *c.OtherLoad)
		return
	}
	t.Fatal("no phases cell")
}

func TestSummarizeWarnsOfABusyMachine(t *testing.T) {
	load := func(x float64) *float64 { return &x }
	r := &runfile.Run{Cells: []runfile.Cell{
		{Workload: "square", Model: "sequential", Cores: 1, Tasks: 10, Trials: []runfile.Trial{{ComputeNs: 3e8}, {ComputeNs: 3e8}}, OtherLoad: load(0.3)},
		{Workload: "square", Model: "goroutines", Cores: 1, Tasks: 10, Trials: []runfile.Trial{{ComputeNs: 3e8}, {ComputeNs: 3e8}}, OtherLoad: load(0.05)},
		// Too short a window for /proc/stat's ticks: recorded, not warned of.
		{Workload: "pow", Model: "sequential", Cores: 1, Tasks: 10, Trials: []runfile.Trial{{ComputeNs: 1e6}, {ComputeNs: 1e6}}, OtherLoad: load(0.3)},
	}}
	Summarize(r)
	if w := r.Cells[0].Warnings; !slices.Contains(w, "machine busy: other processes took 30% of the cell's CPUs") {
		t.Errorf("busy cell: warnings %q", w)
	}
	busy := func(s string) bool { return strings.Contains(s, "busy") }
	if w := r.Cells[1].Warnings; slices.ContainsFunc(w, busy) {
		t.Errorf("quiet cell: warnings %q", w)
	}
	if w := r.Cells[2].Warnings; slices.ContainsFunc(w, busy) {
		t.Errorf("a 1 ms window: warnings %q, want no busy warning from ticks of 10 ms", w)
	}
}

// TestPassesPickedInWarmup checks that a cell's warm-up picks K from
// --min-time and that every measured trial then records its cold pass and
// K warm passes, whose mean is its compute time (a pass of the slow model
// takes 20 ms or more, so K is 2 or 3 for 50 ms);
// with --min-time 0, K is 1.
func TestPassesPickedInWarmup(t *testing.T) {
	for _, c := range []struct {
		min      time.Duration
		atLeast  int
		exactly1 bool
	}{{50 * time.Millisecond, 2, false}, {0, 1, true}} {
		s := spec("slow", "square", 1) // a pass sleeps 20 ms: K = 3 for 50 ms
		s.Warmup, s.Trials, s.MinTimeNs = 1, 3, c.min.Nanoseconds()
		cell, err := cellrun.Run(context.Background(), s, cellrun.Options{CPUs: firstCPUs(t, 1), Timeout: time.Minute})
		if err != nil || cell.Failed() {
			t.Fatal(err, cell.Error)
		}
		if cell.Passes < c.atLeast || (c.exactly1 && cell.Passes != 1) {
			t.Fatalf("min time %v: K = %d", time.Duration(s.MinTimeNs), cell.Passes)
		}
		for i, tr := range cell.Trials {
			// K is picked again after each trial (TestPassesRepickedAfterSlowWarmup):
			// a slow warm-up pass on a busy machine may start the trials at 2.
			if tr.Passes < c.atLeast || tr.Passes > cell.Passes || (i == len(cell.Trials)-1 && tr.Passes != cell.Passes) || tr.ColdNs < (20*time.Millisecond).Nanoseconds() || tr.ComputeNs < (20*time.Millisecond).Nanoseconds() {
				t.Errorf("trial %d: passes %d (cell %d), cold %v, compute %v", i, tr.Passes, cell.Passes, time.Duration(tr.ColdNs), time.Duration(tr.ComputeNs))
			}
		}
	}
}

// TestPassesRepickedAfterSlowWarmup checks that K is picked again after
// each trial from the fastest pass seen: the quickens model's warm-up
// passes take 10 ms and its measured ones 2 ms, so the warm-up's K (4 for
// 40 ms) makes the first measured trial 8 ms long; every trial after it
// must run K passes that, at the pace of any earlier trial, last
// --min-time; K must never fall, and the cell records the last K.
func TestPassesRepickedAfterSlowWarmup(t *testing.T) {
	const minTime = 40 * time.Millisecond
	s := spec("quickens", "square", 1)
	s.Warmup, s.Trials, s.MinTimeNs = 1, 4, minTime.Nanoseconds()
	cell, err := cellrun.Run(context.Background(), s, cellrun.Options{CPUs: firstCPUs(t, 1), Timeout: time.Minute})
	if err != nil || cell.Failed() {
		t.Fatal(err, cell.Error)
	}
	if len(cell.Trials) != 4 {
		t.Fatalf("%d trials, want 4", len(cell.Trials))
	}
	if k := cell.Trials[0].Passes; k < 2 || k > 4 {
		t.Errorf("first measured trial: K = %d, want the warm-up's (4 for 10 ms passes, fewer on a slow machine)", k)
	}
	// K is picked from the fastest warm pass before the trial, which is
	// at most every earlier trial's mean pass: K times each earlier mean
	// must reach --min-time (with the warm-up's K alone, 4 × 2 ms does not).
	fastestMean := time.Duration(math.MaxInt64)
	for i, tr := range cell.Trials {
		if i > 0 && tr.Passes < cell.Trials[i-1].Passes {
			t.Errorf("trial %d: K fell from %d to %d", i, cell.Trials[i-1].Passes, tr.Passes)
		}
		if got := time.Duration(tr.Passes) * fastestMean; i > 0 && got < minTime {
			t.Errorf("trial %d: K %d × fastest earlier mean pass %v = %v, short of --min-time %v", i, tr.Passes, fastestMean, got, minTime)
		}
		fastestMean = min(fastestMean, time.Duration(tr.ComputeNs))
	}
	if last := cell.Trials[3].Passes; cell.Passes != last {
		t.Errorf("cell K = %d, want the last trial's %d", cell.Passes, last)
	}
}
