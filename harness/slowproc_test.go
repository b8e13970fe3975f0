package harness

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/models/procpool"
	"github.com/mpbench/mpbench/models/sequential"
	"github.com/mpbench/mpbench/runfile"
	"github.com/mpbench/mpbench/workloads"
)

// envSlowSlot names a file that the first worker process to start
// creates: that process, and no other, runs every chunk of the cpu
// workload envSlowFactor times, inside its busy window, as a CPU of
// 1/factor the speed would (slowOneWorker). Set only by
// TestSlowProcessWorkerLowersTheCeilingNotTheShare.
const (
	envSlowSlot   = "MPBENCH_TEST_SLOW_SLOT"
	envSlowFactor = "MPBENCH_TEST_SLOW_FACTOR"
)

// slowOneWorker is called by a child of this test binary before it serves
// its role: see envSlowSlot.
func slowOneWorker() {
	path := os.Getenv(envSlowSlot)
	factor, _ := strconv.Atoi(os.Getenv(envSlowFactor))
	if path == "" || factor < 2 {
		return
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return // another worker of the trial is the slow one
	}
	f.Close()
	inner := workloads.CPU.Apply
	var scratch []uint64
	workloads.CPU.Apply = func(tasks []workloads.Task, results []uint64) {
		inner(tasks, results)
		if len(scratch) < len(tasks) {
			scratch = make([]uint64, len(tasks))
		}
		for range factor - 1 {
			inner(tasks, scratch[:len(tasks)])
		}
	}
}

// TestSlowProcessWorkerLowersTheCeilingNotTheShare runs procpool at c = 2
// in real worker processes (this test binary), plain and with one worker
// process made 3× slower (slowOneWorker), trial by trial in turns,
// against the sequential loop: the slowed cell must have fewer effective
// cores (about 1 + 1/3 of 2: at most 85 % of the plain cell's, and at
// least 0.3 fewer), while its share of the ceiling stays within 0.2 of the
// plain cell's: procpool hands out chunks as workers ask, so the slow
// worker takes fewer and the model does no worse with what it got.
func TestSlowProcessWorkerLowersTheCeilingNotTheShare(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("needs 2 CPUs")
	}
	in, err := workloads.CPU.New(map[string]int64{"tasks": 400, "n": 20000}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, set := os.LookupEnv("GORACE"); !set {
		t.Setenv("GORACE", "atexit_sleep_ms=0") // a race-enabled worker sleeps a second at exit otherwise
	}
	dir := t.TempDir()
	slot := 0
	trial := func(m models.Model, cores, factor int) runfile.Trial {
		if factor > 1 {
			slot++
			t.Setenv(envSlowSlot, filepath.Join(dir, fmt.Sprintf("slot-%d", slot)))
			t.Setenv(envSlowFactor, strconv.Itoa(factor))
		} else {
			t.Setenv(envSlowSlot, "")
		}
		cfg := models.Config{Workload: in, Cores: cores, Chunk: 5}
		s, err := m.Setup(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Teardown()
		t0 := time.Now()
		out, err := s.Compute(context.Background())
		d := time.Since(t0)
		if err == nil {
			err = models.Validate(out, in, m.Name())
		}
		if err != nil {
			t.Fatal(err)
		}
		tr := runfile.Trial{ComputeNs: d.Nanoseconds()}
		for _, a := range out.Accounts {
			tr.Accounts = append(tr.Accounts, runfile.Account{BusyNs: a.Busy.Nanoseconds(), Tasks: a.Tasks, Chunks: a.Chunks, CPU: a.CPU})
		}
		return tr
	}
	// The baseline is the fastest sequential trial seen in any attempt: a
	// CPU's undisturbed speed. A median taken while other packages' tests
	// load the machine (make test runs them side by side) made every
	// worker look faster than the baseline, up to the cap at c, where a
	// slowed worker no longer lowers the effective cores (seen: 1.80 and
	// 1.77 against 2.00, with sequential 40 % slower than alone).
	var fastest runfile.Trial
	attempt := func() []string {
		seq := runfile.Cell{Workload: "cpu", Model: "sequential", Cores: 1, Tasks: len(in.Tasks)}
		plain := runfile.Cell{Workload: "cpu", Model: "procpool", Cores: 2, Tasks: len(in.Tasks)}
		slowed := runfile.Cell{Workload: "cpu", Model: "procpool-slow-worker", Cores: 2, Tasks: len(in.Tasks)}
		trial(procpool.New(), 2, 1) // warm-up
		for range 5 {
			if tr := trial(sequential.New(), 1, 1); fastest.ComputeNs == 0 || tr.ComputeNs < fastest.ComputeNs {
				fastest = tr
			}
			plain.Trials = append(plain.Trials, trial(procpool.New(), 2, 1))
			slowed.Trials = append(slowed.Trials, trial(procpool.New(), 2, 3))
		}
		for range 5 {
			seq.Trials = append(seq.Trials, fastest)
		}
		r := &runfile.Run{Cells: []runfile.Cell{seq, plain, slowed}}
		Summarize(r)
		p, s := r.Cells[1].Summary, r.Cells[2].Summary
		if p.EffectiveCores == nil || s.EffectiveCores == nil {
			t.Fatal("no effective cores")
		}
		t.Logf("sequential %v; plain: speedup %.2f, effective cores %.2f, of ceiling %.2f; one worker 3× slower: %.2f, %.2f, %.2f",
			time.Duration(r.Cells[0].Summary.MedianNs), *p.Speedup, *p.EffectiveCores, *p.OfCeiling, *s.Speedup, *s.EffectiveCores, *s.OfCeiling)
		var msgs []string
		if *s.EffectiveCores > 0.85**p.EffectiveCores || *p.EffectiveCores-*s.EffectiveCores < 0.3 {
			msgs = append(msgs, fmt.Sprintf("effective cores %.2f with a slowed worker process, %.2f without: want a drop of at least 15 %% and 0.3", *s.EffectiveCores, *p.EffectiveCores))
		}
		if math.Abs(*s.OfCeiling-*p.OfCeiling) > 0.2 {
			msgs = append(msgs, fmt.Sprintf("of ceiling %.2f with a slowed worker process, %.2f without: want about the same", *s.OfCeiling, *p.OfCeiling))
		}
		return msgs
	}
	// As TestSlowCPULowersTheCeilingNotTheShare: a shared VM's second vCPU
	// drifts, so a verdict gets five attempts (0.2 s each).
	var msgs []string
	for i := range 5 {
		if msgs = attempt(); len(msgs) == 0 {
			return
		}
		t.Logf("attempt %d: %s", i+1, strings.Join(msgs, "; "))
	}
	t.Error(strings.Join(msgs, "; "))
}
