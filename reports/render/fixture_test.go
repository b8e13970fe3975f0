package render

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/mpbench/mpbench/harness"
	"github.com/mpbench/mpbench/runfile"
)

var update = flag.Bool("update", false, "rewrite the golden files and fixtures in testdata/")

// Fixtures in testdata/ (not named run.json, which git ignores):
//   - sample.json: a real run of this machine (sequential, goroutines on
//     1..2 cores, three workloads, noisy cells);
//   - synthetic.json: made by syntheticRun: ten models on 1, 2, 4, 8
//     cores, times that differ by orders of magnitude, a model that failed
//     at 8 cores, one not measured at 4, a noisy cell;
//   - oversub.json: made by oversubRun: more workers than CPUs at c = 4;
//   - passes.json: made by passesRun: cold and warm passes (coldwarm_test.go).

func loadFixture(t testing.TB, name string) *runfile.Run {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := runfile.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// golden compares got with testdata/name; -update rewrites it and a
// mismatch writes testdata/name.got.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./reports -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		os.WriteFile(path+".got", got, 0o644)
		t.Errorf("%s differs from the golden file; got is in %s.got (go test ./reports -update accepts it)", path, path)
	}
}

// TestFixtures checks that the generated fixtures are what their builders
// make (-update rewrites them).
func TestFixtures(t *testing.T) {
	for name, r := range map[string]*runfile.Run{"synthetic.json": syntheticRun(), "oversub.json": oversubRun(), "passes.json": passesRun()} {
		var buf bytes.Buffer
		if err := r.Encode(&buf); err != nil {
			t.Fatal(err)
		}
		golden(t, name, buf.Bytes())
	}
}

// spread is a fixed sample of standardised noise (mean 0, sd ≈ 1); trial i
// of a cell is median · (1 + cv · spread[i]).
var spread = []float64{-1.3, 0.2, -0.6, 1.1, 0.0, -0.2, 0.7, -1.0, 0.4, 1.6}

// profile is how a synthetic model's time grows with cores:
// T(c) = k·Tseq/c + perTask·tasks/c + perWorker·c.
type profile struct {
	k, perTask, perWorker, setupPerWorker float64
}

var profiles = map[string]profile{
	"goroutines":     {1.01, 2, 2e3, 1e3},
	"procpool":       {1.02, 40, 300e3, 2.5e6},
	"procpool-async": {1.02, 900, 300e3, 2.5e6},
	"pipe":           {1.01, 60, 150e3, 2.2e6},
	"queue":          {1.02, 700, 200e3, 2.4e6},
	"shm":            {1.00, 25, 80e3, 2.8e6},
	"shm-lock":       {1.05, 120, 80e3, 2.8e6},
	"manager":        {1.00, 25e3, 500e3, 9e6},
	"manager-batch":  {1.00, 1.5e3, 500e3, 9e6},
}

func syntheticRun() *runfile.Run {
	r := &runfile.Run{
		Schema: runfile.Schema, Version: runfile.SchemaVersion,
		Env: runfile.Env{
			Host: "bench-8", CPUModel: "AMD EPYC 7B13 (synthetic)", LogicalCPUs: 8, AllowedCPUs: "0-7",
			Kernel: "Linux 6.1.0", OS: "linux", Arch: "amd64", GoVersion: "go1.26.8", Version: "v0.1.0",
			Revision: "abc1234", CommandLine: []string{"mpbench", "run", "--cores", "1,2,4,8", "--workloads", "cpu,square"},
			ProbeStart: synthProbe(0.9, 3.0), ProbeEnd: synthProbe(1.1, 3.4),
		},
		Config: runfile.Config{
			Cores: []int{1, 2, 4, 8}, Workloads: []string{"cpu", "square"}, Scaling: "strong", Warmup: 2, Trials: 10,
			Models: []string{"sequential", "goroutines", "procpool", "procpool-async", "pipe", "queue", "shm", "shm-lock", "manager", "manager-batch"},
		},
		Status: "failed", Started: "2026-01-02T03:04:05Z", Finished: "2026-01-02T03:09:05Z",
	}
	for _, wl := range []struct {
		name  string
		tasks int
		tseq  float64
	}{{"cpu", 48, 13.1e6}, {"square", 100000, 104e3}} {
		r.Cells = append(r.Cells, synthCell(wl.name, "sequential", 1, wl.tasks, wl.tseq, 0.01, 3e3))
		for _, m := range r.Config.Models[1:] {
			p := profiles[m]
			for _, c := range r.Config.Cores {
				if m == "manager" && c == 4 {
					continue // not measured: a model with only some core counts
				}
				t := p.k*wl.tseq/float64(c) + p.perTask*float64(wl.tasks)/float64(c) + p.perWorker*float64(c)
				cv := 0.02
				if m == "queue" && c == 8 {
					cv = 0.18 // noisy
				}
				cell := synthCell(wl.name, m, c, wl.tasks, math.Round(t), cv, p.setupPerWorker*float64(c))
				if m == "shm-lock" && c == 8 {
					cell.Trials, cell.Error = nil, "shm-lock: cell timed out after 5m0s"
				}
				r.Cells = append(r.Cells, cell)
			}
		}
	}
	for i := range r.Cells {
		synthCounters(&r.Cells[i], profiles[r.Cells[i].Model].k)
	}
	harness.Summarize(r)
	return r
}

// synthProbe is a probe with the unit costs the attribution uses: a minor
// page fault and a same-CPU pipe round trip (µs).
func synthProbe(fault, pipe float64) *runfile.Probe {
	return &runfile.Probe{CPUs: "0-7", WallNs: 2.4e9, Items: []runfile.ProbeItem{
		{Name: harness.ProbeFault, Unit: "µs", Median: fault, CILow: fault * 0.9, CIHigh: fault * 1.1, CILevel: 0.95, N: 6},
		{Name: harness.ProbeWakeup, Unit: "µs", Median: pipe, CILow: pipe * 0.9, CIHigh: pipe * 1.1, CILevel: 0.95, N: 6},
	}}
}

// synthCounters gives a synthetic cell's trials counters, and worker
// accounts to the models that keep them: each process model's worker
// faults 300 pages and switches 100 times a trial (its start included),
// and every worker's busy time is k times the sequential cost of its
// tasks (sequential's own k is 1), in the first three trials.
func synthCounters(c *runfile.Cell, k float64) {
	proc := c.Model != "sequential" && c.Model != "goroutines"
	accounts := c.Model != "queue" && c.Model != "shm-lock"
	tseq := 13.1e6
	if c.Workload == "square" {
		tseq = 104e3
	}
	if k == 0 {
		k = 1
	}
	for j := range c.Trials {
		t := &c.Trials[j]
		t.MinFlt, t.Nvcsw, t.Nivcsw = 5, 2, 2
		if proc {
			t.MinFlt, t.Nvcsw, t.Nivcsw = 300*int64(c.Cores), 80*int64(c.Cores), 20*int64(c.Cores)
			t.Metrics = map[string]float64{"worker_start_ms": 1.5}
		}
		// Accounts in three trials of each cell, enough for the medians:
		// sixteen copies of this file are drawn at once (TestDrawInterrupted),
		// and accounts in every trial would triple its size.
		if !accounts || j >= 3 {
			continue
		}
		for w := range c.Cores {
			n := c.Tasks / c.Cores
			if w < c.Tasks%c.Cores {
				n++
			}
			busy := k * tseq * float64(n) / float64(c.Tasks)
			t.Accounts = append(t.Accounts, runfile.Account{BusyNs: int64(math.Round(busy)), Tasks: n, Chunks: max(n/4, 1), CPU: w})
		}
	}
}

func synthCell(wl, model string, cores, tasks int, median, cv, setup float64) runfile.Cell {
	c := runfile.Cell{
		Workload: wl, Model: model, Cores: cores, Tasks: tasks, TrialsPlanned: len(spread),
		CPUs: fmt.Sprintf("0-%d", cores-1),
	}
	if cores == 1 {
		c.CPUs = "0"
	}
	for i, z := range spread {
		ct := int64(math.Round(median * (1 + cv*z)))
		c.Trials = append(c.Trials, runfile.Trial{
			SetupNs: int64(setup) + int64(i*37), ComputeNs: ct, TeardownNs: int64(setup/4) + 60,
			UserNs: ct * int64(cores), PeakRSSBytes: 8 << 20 * int64(cores),
		})
		c.WallNs += ct + int64(setup)
	}
	return c
}

func oversubRun() *runfile.Run {
	r := &runfile.Run{
		Schema: runfile.Schema, Version: runfile.SchemaVersion,
		Env: runfile.Env{
			Host: "small", CPUModel: "Intel(R) Xeon(R) Processor", LogicalCPUs: 2, AllowedCPUs: "0-1",
			Kernel: "Linux 6.18.44", OS: "linux", Arch: "amd64", GoVersion: "go1.26.8", Version: "dev",
			CommandLine: []string{"mpbench", "run", "--cores", "1,2,4", "--oversubscribe", "--workloads", "pow"},
		},
		Config: runfile.Config{
			Cores: []int{1, 2, 4}, Models: []string{"sequential", "goroutines"}, Workloads: []string{"pow"},
			Scaling: "strong", Warmup: 2, Trials: 10, Oversubscribe: true,
		},
		Status: "complete", Started: "2026-01-02T03:04:05Z", Finished: "2026-01-02T03:04:09Z",
	}
	r.Cells = append(r.Cells, synthCell("pow", "sequential", 1, 100000, 388e3, 0.03, 4e3))
	for _, c := range []int{1, 2, 4} {
		cell := synthCell("pow", "goroutines", c, 100000, 400e3/float64(min(c, 2))+5e3*float64(c), 0.03, 2e3*float64(c))
		if c == 4 {
			cell.Oversubscribed, cell.CPUs = true, "0-1"
		}
		r.Cells = append(r.Cells, cell)
	}
	harness.Summarize(r)
	return r
}
