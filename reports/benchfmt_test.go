package reports

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/mpbench/mpbench/compare"
	"github.com/mpbench/mpbench/harness"
	"github.com/mpbench/mpbench/runfile"
	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchproc"
)

func cell(wl, model string, cores, tasks int, ns ...int64) runfile.Cell {
	c := runfile.Cell{Workload: wl, Model: model, Cores: cores, Tasks: tasks}
	for _, x := range ns {
		c.Trials = append(c.Trials, runfile.Trial{ComputeNs: x})
	}
	return c
}

func testRun(cells ...runfile.Cell) *runfile.Run {
	r := &runfile.Run{
		Schema: runfile.Schema, Version: runfile.SchemaVersion, Config: runfile.Config{Scaling: "strong"},
		Env:   runfile.Env{Host: "h", CPUModel: "Test CPU @ 3.00GHz", OS: "linux", Arch: "amd64"},
		Cells: cells,
	}
	harness.Summarize(r)
	return r
}

// readBench parses benchfmt text and returns its results.
func readBench(t *testing.T, text string) []*benchfmt.Result {
	t.Helper()
	var out []*benchfmt.Result
	r := benchfmt.NewReader(strings.NewReader(text), "test")
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.Result:
			out = append(out, rec.Clone())
		case *benchfmt.SyntaxError:
			t.Errorf("benchfmt syntax error: %v", rec)
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBenchfmtParses(t *testing.T) {
	failed := cell("cpu", "goroutines", 4, 48)
	failed.Error = "workload cpu, model goroutines, cores 4: boom"
	sq := cell("square", "goroutines", 2, 1000, 600_000)
	sq.Params = map[string]int64{"tasks": 1000}
	run := testRun(
		cell("cpu", "sequential", 1, 48, 48_000_000, 49_000_000, 50_000_000),
		cell("cpu", "goroutines", 2, 48, 25_000_000, 26_000_000),
		failed,
		cell("square", "sequential", 1, 1000, 1_000_000),
		sq,
	)
	var buf bytes.Buffer
	if err := WriteSummary(&buf, run, "benchfmt"); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	for _, want := range []string{"goos: linux\n", "goarch: amd64\n", "cpu: Test CPU @ 3.00GHz\n", "pkg: github.com/mpbench/mpbench\n",
		"--- FAIL: BenchmarkCPU/model=goroutines/cores=4-4\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	res := readBench(t, text)
	if len(res) != 7 {
		t.Fatalf("%d results, want one per trial (7):\n%s", len(res), text)
	}
	g := res[3] // the first goroutines trial
	if got := string(g.Name.Full()); got != "CPU/model=goroutines/cores=2-2" {
		t.Errorf("name %q", got)
	}
	base, parts := g.Name.Parts()
	if string(base) != "CPU" || len(parts) != 3 || string(parts[0]) != "/model=goroutines" || string(parts[2]) != "-2" {
		t.Errorf("name parts %q %q", base, parts)
	}
	if g.Iters != 1 || g.GetConfig("goos") != "linux" || g.GetConfig("cpu") != "Test CPU @ 3.00GHz" || g.GetConfig("pkg") != BenchPkg {
		t.Errorf("iters %d, config %v", g.Iters, g.Config)
	}
	check := func(unit string, want float64) {
		t.Helper()
		got, ok := g.Value(unit)
		if !ok || math.Abs(got-want) > 1e-3*math.Abs(want) {
			t.Errorf("%s = %v (%v), want %v", unit, got, ok, want)
		}
	}
	check("sec/op", 0.025) // benchfmt tidies ns/op into sec/op
	check("speedup", 49.0/25)
	check("sec/task", 25e-3/48)
	check("sec/task-overhead", (2*25e-3-49e-3)/48)
	if seq := res[0]; string(seq.Name.Full()) != "CPU/model=sequential/cores=1" {
		t.Errorf("c = 1 has no GOMAXPROCS suffix, as go test writes it: %q", seq.Name.Full())
	}
	if got := string(res[6].Name.Full()); got != "Square/model=goroutines/cores=2/tasks=1000-2" {
		t.Errorf("parameter overrides are name keys: %q", got)
	}
}

// benchstatDeltas runs benchstat's pipeline on two benchfmt texts: read
// with benchfmt, group by full name with benchproc, summarize and compare
// with benchmath.AssumeNothing, and format the delta as benchstat does
// ("~" for no significant change, else the signed percentage).
func benchstatDeltas(t *testing.T, old, new string, alpha float64) map[string]string {
	t.Helper()
	var pp benchproc.ProjectionParser
	byName, err := pp.Parse(".fullname", nil)
	if err != nil {
		t.Fatal(err)
	}
	samples := [2]map[benchproc.Key][]float64{{}, {}}
	var keys []benchproc.Key
	for i, text := range []string{old, new} {
		for _, res := range readBench(t, text) {
			k := byName.Project(res)
			v, ok := res.Value("sec/op")
			if !ok {
				continue
			}
			if _, seen := samples[0][k]; !seen && i == 0 {
				keys = append(keys, k)
			}
			samples[i][k] = append(samples[i][k], v)
		}
	}
	th := &benchmath.Thresholds{CompareAlpha: alpha}
	out := map[string]string{}
	for _, k := range keys {
		s1 := benchmath.NewSample(samples[0][k], th)
		s2 := benchmath.NewSample(samples[1][k], th)
		c1 := benchmath.AssumeNothing.Summary(s1, 0.95).Center
		c2 := benchmath.AssumeNothing.Summary(s2, 0.95).Center
		cmp := benchmath.AssumeNothing.Compare(s1, s2)
		out[k.Get(byName.Fields()[0])] = cmp.FormatDelta(c1, c2)
	}
	return out
}

// TestCompareAgreesWithBenchstat feeds the same samples to mpbench compare
// and to benchstat's logic, and checks that the verdicts agree: benchstat
// writes "~" exactly where compare says "no significant change" or, where
// the trials could not have shown a change of the threshold, "inconclusive";
// and a delta of the same sign and size where it says faster or slower.
func TestCompareAgreesWithBenchstat(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 6))
	shifts := []float64{0, 0, 0.005, -0.01, 0.02, -0.03, 0.05, 0.1, -0.2, 0.5}
	spreads := []float64{0.002, 0.01, 0.05, 0.2}
	agree, significant, inconclusive := 0, 0, 0
	const scenarios = 300
	for i := range scenarios {
		m, n := 3+rng.IntN(18), 3+rng.IntN(18)
		shift, spread := shifts[rng.IntN(len(shifts))], spreads[rng.IntN(len(spreads))]
		draw := func(k int, scale float64) []int64 {
			out := make([]int64, k)
			for j := range out {
				x := 1e7 * scale * math.Exp(spread*rng.NormFloat64())
				if rng.IntN(15) == 0 { // an occasional outlier
					x *= 1.5
				}
				out[j] = int64(x)
			}
			return out
		}
		// One cell per comparison, so that Holm–Bonferroni (a family of
		// one) leaves the p-value as benchstat has it.
		old := testRun(cell("cpu", "goroutines", 2, 48, draw(m, 1)...))
		new := testRun(cell("cpu", "goroutines", 2, 48, draw(n, 1+shift)...))
		cmp, err := compare.Runs(old, new, compare.Options{Alpha: 0.05, Threshold: 0.05})
		if err != nil {
			t.Fatal(err)
		}
		var ob, nb bytes.Buffer
		WriteBenchfmt(&ob, old)
		WriteBenchfmt(&nb, new)
		deltas := benchstatDeltas(t, ob.String(), nb.String(), 0.05)
		row := cmp.Rows[0]
		delta := deltas["CPU/model=goroutines/cores=2-2"]
		var want string
		switch {
		case delta == "~":
			want = compare.VerdictSame
		case strings.HasPrefix(delta, "+"):
			want = compare.VerdictSlower
		case strings.HasPrefix(delta, "-"):
			want = compare.VerdictFaster
		default:
			t.Fatalf("scenario %d: benchstat delta %q", i, delta)
		}
		if want == compare.VerdictSame && row.Verdict == compare.VerdictInconclusive {
			if row.MinDetectable != nil && *row.MinDetectable <= 0.05 {
				t.Errorf("scenario %d: inconclusive, but detects %.3f within the 5%% threshold", i, *row.MinDetectable)
			}
			inconclusive++
			want = row.Verdict
		}
		if row.Verdict != want {
			t.Errorf("scenario %d (m=%d n=%d shift %v spread %v): compare says %q (p %.4f), benchstat %q", i, m, n, shift, spread, row.Verdict, row.P, delta)
			continue
		}
		agree++
		if delta != "~" {
			significant++
			if got := fmt.Sprintf("%+.2f%%", 100*row.Change); got != delta {
				t.Errorf("scenario %d: change %s, benchstat %s", i, got, delta)
			}
		}
	}
	t.Logf("%d of %d verdicts agree (%d significant, %d of the others inconclusive)", agree, scenarios, significant, inconclusive)
	if significant < scenarios/4 || significant > scenarios*3/4 {
		t.Errorf("%d significant scenarios: the test data do not exercise both verdicts", significant)
	}
}

// TestCompareHolmOnlyRemovesFindings checks the multi-cell case: with
// Holm–Bonferroni compare may call fewer cells significant than benchstat
// (which does not correct), never more, and never with another sign.
func TestCompareHolmOnlyRemovesFindings(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	var oc, nc []runfile.Cell
	for i := range 30 {
		shift := []float64{0, 0.01, 0.05, 0.2}[i%4]
		o, n := make([]int64, 10), make([]int64, 10)
		for j := range o {
			o[j] = int64(1e6 * math.Exp(0.03*rng.NormFloat64()))
			n[j] = int64(1e6 * (1 + shift) * math.Exp(0.03*rng.NormFloat64()))
		}
		oc = append(oc, cell("cpu", "goroutines", i+1, 48, o...))
		nc = append(nc, cell("cpu", "goroutines", i+1, 48, n...))
	}
	old, new := testRun(oc...), testRun(nc...)
	cmp, _ := compare.Runs(old, new, compare.Options{})
	var ob, nb bytes.Buffer
	WriteBenchfmt(&ob, old)
	WriteBenchfmt(&nb, new)
	deltas := benchstatDeltas(t, ob.String(), nb.String(), 0.05)
	fewer := 0
	for _, r := range cmp.Rows {
		d := deltas[strings.TrimPrefix(BenchName(&runfile.Cell{Workload: r.Workload, Model: r.Model, Cores: r.Cores}), "Benchmark")]
		switch {
		case (r.Verdict == compare.VerdictSame || r.Verdict == compare.VerdictInconclusive) && d != "~":
			fewer++
		case r.Verdict == compare.VerdictSlower && !strings.HasPrefix(d, "+"),
			r.Verdict == compare.VerdictFaster && !strings.HasPrefix(d, "-"):
			t.Errorf("%s: compare %q, benchstat %q", r.Key, r.Verdict, d)
		}
	}
	t.Logf("Holm–Bonferroni withdrew %d of benchstat's uncorrected findings", fewer)
}

// TestBenchfmtSweepSpeedupAgainstItsOwnValue checks that in a sweep each
// value's speedup is taken against the sequential cell of that value.
func TestBenchfmtSweepSpeedupAgainstItsOwnValue(t *testing.T) {
	at := func(c runfile.Cell, n int64) runfile.Cell {
		c.Params = map[string]int64{"tasks": 48, "n": n}
		return c
	}
	r := testRun(
		at(cell("cpu", "sequential", 1, 48, 1_000_000), 1000),
		at(cell("cpu", "goroutines", 2, 48, 500_000), 1000),
		at(cell("cpu", "sequential", 1, 48, 9_000_000), 1_000_000),
		at(cell("cpu", "goroutines", 2, 48, 3_000_000), 1_000_000),
	)
	r.Config.Sweeps = map[string]map[string][]int64{"cpu": {"n": {1000, 1_000_000}}}
	var buf bytes.Buffer
	if err := WriteBenchfmt(&buf, r); err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		"BenchmarkCPU/model=goroutines/cores=2/n=1000/tasks=48-2":    2,
		"BenchmarkCPU/model=goroutines/cores=2/n=1000000/tasks=48-2": 3,
	}
	got := map[string]float64{}
	for _, res := range readBench(t, buf.String()) {
		if v, ok := res.Value("speedup"); ok {
			got["Benchmark"+string(res.Name.Full())] = v
		}
	}
	for name, w := range want {
		t.Run(name, func(t *testing.T) {
			if g, ok := got[name]; !ok || g != w {
				t.Errorf("got speedup %v (present %v), want %v; all %v", g, ok, w, got)
			}
		})
	}
	for _, c := range r.Cells {
		if c.Model == "goroutines" {
			if sp := c.Summary.Speedup; sp == nil || *sp != want[BenchName(&c)] {
				t.Errorf("%s: summary speedup %v, want %v", BenchName(&c), sp, want[BenchName(&c)])
			}
		}
	}
}

// TestBenchfmtRoundTrip writes every result through benchfmt's Writer and
// reads it back with its Reader: what benchstat reads is what mpbench meant.
func TestBenchfmtRoundTrip(t *testing.T) {
	sweep := func(c runfile.Cell, n int64) runfile.Cell {
		c.Params = map[string]int64{"n": n, "tasks": 48}
		return c
	}
	cases := []struct {
		name string
		run  *runfile.Run
	}{
		{"with a baseline", testRun(cell("cpu", "sequential", 1, 48, 48_000_000, 49_000_001), cell("cpu", "goroutines", 2, 48, 25_000_000, 26_000_000))},
		{"without a baseline", testRun(cell("cpu", "goroutines", 2, 48, 7, 1_234_567_891))},
		{"a sweep", testRun(sweep(cell("cpu", "sequential", 1, 48, 1_000), 10), sweep(cell("cpu", "procpool", 2, 48, 30_000), 10))},
		{"no CPU model", func() *runfile.Run {
			r := testRun(cell("square", "sequential", 1, 1000, 123_456))
			r.Env.CPUModel = ""
			return r
		}()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var want []*benchfmt.Result
			config := benchConfig(c.run)
			for i := range c.run.Cells {
				want = append(want, benchResults(c.run, &c.run.Cells[i], config)...)
			}
			var buf bytes.Buffer
			if err := WriteBenchfmt(&buf, c.run); err != nil {
				t.Fatal(err)
			}
			got := readBench(t, buf.String())
			if len(got) != len(want) {
				t.Fatalf("got %d results, want %d:\n%s", len(got), len(want), buf.String())
			}
			for i := range got {
				g, w := got[i], want[i]
				if !bytes.Equal(g.Name, w.Name) || g.Iters != w.Iters || !slices.Equal(g.Values, w.Values) {
					t.Errorf("result %d: got %s %d %v, want %s %d %v", i, g.Name, g.Iters, g.Values, w.Name, w.Iters, w.Values)
				}
				for _, cfg := range w.Config {
					if got := g.GetConfig(cfg.Key); got != string(cfg.Value) {
						t.Errorf("result %d: got config %s %q, want %q", i, cfg.Key, got, cfg.Value)
					}
				}
			}
		})
	}
}
