package cellrun

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/runfile"
	"github.com/mpbench/mpbench/stats"
	"github.com/mpbench/mpbench/worker"
	"github.com/mpbench/mpbench/workloads"
)

// RoleName is the proc role of the cell runner.
const RoleName = "cell"

// Spec is what the parent sends a cell runner.
type Spec struct {
	Workload string           `json:"workload"`
	Params   map[string]int64 `json:"params"`
	Scale    int              `json:"scale"`
	Model    string           `json:"model"`
	Cores    int              `json:"cores"`
	Chunk    int              `json:"chunk"`
	Warmup   int              `json:"warmup"`
	Trials   int              `json:"trials"`
	// BudgetNs, when positive, stops measuring once the measured trials
	// have taken this long, but never before 3 trials.
	BudgetNs int64 `json:"budget_ns,omitempty"`
	// TargetCI, when positive, replaces the fixed trial count: trials go on
	// until the 95 % CI half-width of the median is within TargetCI of the
	// median (at least 6 trials, the fewest with a 95 % CI), or MaxTimeNs of
	// measured time is spent.
	TargetCI  float64 `json:"target_ci,omitempty"`
	MaxTimeNs int64   `json:"max_time_ns,omitempty"`
	// MinTimeNs is --min-time: K, the warm passes of a trial, is picked
	// so that K warm passes last at least this long (PickPasses), from
	// the fastest warm pass seen in the cell's earlier trials, warm-ups
	// and measured ones (passPicker). 0 means one warm pass; without a
	// warm-up the first measured trial runs one.
	MinTimeNs int64 `json:"min_time_ns,omitempty"`
}

// MaxPasses bounds K, the warm passes of one trial, however short a pass.
const MaxPasses = 1000

// PickPasses returns K, the warm passes that last at least minTime when one
// lasts pass: at least 1, at most MaxPasses.
func PickPasses(pass, minTime time.Duration) int {
	if minTime <= 0 || pass >= minTime {
		return 1
	}
	if pass <= 0 {
		return MaxPasses
	}
	k := (minTime + pass - 1) / pass
	return int(min(k, MaxPasses))
}

// passPicker picks K for the next trial from the fastest warm pass seen
// in the cell so far, warm-ups and measured trials alike. A warm-up's
// passes can be slower than the measured ones (sequential square: 240 µs
// in the last warm-up, 132 µs measured, so K = 42 gave 5.5 ms trials
// against a 10 ms --min-time). The fastest pass is at most the mean pass
// of every trial it was seen in, and rarely much above a later trial's, so
// once it is seen K·pass ≥ minTime holds for nearly every trial after (a
// later trial whose passes all beat it falls short by that margin, and
// raises K for the next). K never falls, as the fastest pass never rises.
type passPicker struct {
	minTime time.Duration
	fastest time.Duration // 0 until a warm pass is seen
}

// see records a trial's fastest warm pass and returns K for the next trial.
func (p *passPicker) see(fastest time.Duration) int {
	if fastest > 0 && (p.fastest == 0 || fastest < p.fastest) {
		p.fastest = fastest
	}
	if p.fastest == 0 {
		return 1
	}
	return PickPasses(p.fastest, p.minTime)
}

// RunnerGrace is how long a cancelled cell runner has to tear down before
// it is killed.
const RunnerGrace = time.Second

// MinTrials is the fewest measured trials a time budget may leave, and
// the fewest a timed-out cell needs to keep them.
const MinTrials = 3

// StoppedTimeout is Cell.Stopped of a cell whose time limit (Options.Timeout)
// ended its trials after MinTrials or more had finished: the cell keeps
// them and does not fail. With fewer, the cell fails.
const StoppedTimeout = "timeout"

// cellMsg is one line the cell runner writes back.
type cellMsg struct {
	Type   string         `json:"type"` // "start", "trial", "done", "error"
	Warmup bool           `json:"warmup,omitempty"`
	Trial  *runfile.Trial `json:"trial,omitempty"`
	// start
	CPUs       string `json:"cpus,omitempty"`
	GOMAXPROCS int    `json:"gomaxprocs,omitempty"`
	Tasks      int    `json:"tasks,omitempty"`
	Chunk      int    `json:"chunk,omitempty"`
	// done
	Stopped string `json:"stopped,omitempty"`
	Warmups int    `json:"warmups,omitempty"`
	Passes  int    `json:"passes,omitempty"`
	// error
	Err string `json:"error,omitempty"`
}

// Role returns the body of the cell runner for the models in reg.
// cmd/mpbench and test binaries register it with worker.Register.
func Role(reg models.Registry) worker.RoleFunc {
	return func(ctx context.Context, c *worker.Child) error {
		var spec Spec
		if err := json.NewDecoder(c.Data).Decode(&spec); err != nil {
			return fmt.Errorf("read cell spec: %w", err)
		}
		enc := json.NewEncoder(c.Data)
		err := serve(ctx, reg, spec, enc)
		if err != nil {
			_ = enc.Encode(cellMsg{Type: "error", Err: err.Error()})
		}
		return err
	}
}

func serve(ctx context.Context, reg models.Registry, spec Spec, enc *json.Encoder) error {
	m, err := reg.Lookup(spec.Model)
	if err != nil {
		return err
	}
	in, err := workloads.NewInstance(spec.Workload, spec.Params, spec.Scale)
	if err != nil {
		return err
	}
	if got := runtime.GOMAXPROCS(0); got != spec.Cores {
		return fmt.Errorf("cell runner has GOMAXPROCS %d, want %d", got, spec.Cores)
	}
	cpus, _ := worker.StatusField(os.Getpid(), "Cpus_allowed_list")
	cfg := models.Config{Workload: in, Cores: spec.Cores, Chunk: spec.Chunk}
	chunk := 0
	if !models.IsSingleCore(m) {
		chunk = cfg.ChunkSize()
	}
	if err := enc.Encode(cellMsg{Type: "start", CPUs: cpus, GOMAXPROCS: runtime.GOMAXPROCS(0), Tasks: len(in.Tasks), Chunk: chunk}); err != nil {
		return err
	}
	budget := time.Duration(spec.BudgetNs)
	warmups := 0
	// K, the warm passes of a trial: the first warm-up runs one, and
	// after every trial, warm-up or measured, K is picked again from the
	// fastest warm pass seen so far (passPicker), for the next trial.
	pick := passPicker{minTime: time.Duration(spec.MinTimeNs)}
	passes := 1
	for range spec.Warmup {
		t0 := time.Now()
		tr, fastest, err := trial(ctx, m, cfg, passes)
		if err != nil {
			return err
		}
		warmups++
		passes = pick.see(fastest)
		if err := enc.Encode(cellMsg{Type: "trial", Warmup: true, Trial: tr}); err != nil {
			return err
		}
		// A slow cell under a budget makes do with fewer warm-ups.
		if budget > 0 && time.Since(t0) > budget/4 {
			break
		}
	}
	var spent time.Duration
	var computes []float64
	stopped := ""
	lastK := 0 // the K of the last measured trial, the largest
	for n := 0; ; n++ {
		if spec.TargetCI > 0 {
			if n >= MinTargetTrials {
				d := stats.Summarize(computes)
				if (d.CIHigh-d.CILow)/2 <= spec.TargetCI*d.Median {
					stopped = "target-ci"
					break
				}
			}
			if n >= MinTrials && spec.MaxTimeNs > 0 && spent >= time.Duration(spec.MaxTimeNs) {
				stopped = "max-time"
				break
			}
			if n >= maxTargetTrials {
				stopped = "trial-cap"
				break
			}
		} else {
			if n >= spec.Trials {
				break
			}
			if budget > 0 && n >= MinTrials && spent >= budget {
				stopped = "budget"
				break
			}
		}
		t0 := time.Now()
		tr, fastest, err := trial(ctx, m, cfg, passes)
		if err != nil {
			return err
		}
		lastK = passes
		passes = pick.see(fastest)
		spent += time.Since(t0)
		computes = append(computes, float64(tr.ComputeNs))
		if err := enc.Encode(cellMsg{Type: "trial", Trial: tr}); err != nil {
			return err
		}
	}
	return enc.Encode(cellMsg{Type: "done", Stopped: stopped, Warmups: warmups, Passes: lastK})
}

const (
	// MinTargetTrials is the fewest trials with a 95 % CI of the median.
	MinTargetTrials = 6
	// maxTargetTrials bounds a CI target without a time limit (MaxTimeNs).
	maxTargetTrials = 10000
)

// Poison is what a pass's results are overwritten with once validated, so
// that a later pass that hands back stale results fails validation.
const Poison = 0x5eed5eed5eed5eed

// trial runs one trial: setup, one cold pass (the first of a fresh
// session), warm more passes with the same workers, each validated on its
// own and its results poisoned before the next, and teardown.
//
// The trial's ComputeNs is the mean warm pass (their sum over warm), ColdNs
// the cold pass; fastest, also returned, is the fastest warm pass (for
// passPicker). Worker accounts are summed per worker over the warm
// passes (busy time and tasks alike, so their ratios are per-pass
// figures, and effective cores cover the same passes as ComputeNs);
// metrics are the mean of each over the warm passes. The getrusage
// figures cover the whole trial, setup and teardown included, as before;
// Warm holds the counters of the warm passes alone (proccount.go), read
// outside the timed region.
func trial(ctx context.Context, m models.Model, cfg models.Config, warm int) (*runfile.Trial, time.Duration, error) {
	warm = max(warm, 1)
	// Start every trial from a collected heap, outside the timed phases
	// (testing.B does the same before each benchmark).
	runtime.GC()
	u0, k0, r0 := rusage(syscall.RUSAGE_SELF), rusage(syscall.RUSAGE_CHILDREN), worker.ReapedUsage()

	t0 := time.Now()
	sess, err := m.Setup(ctx, cfg)
	t1 := time.Now()
	if err != nil {
		return nil, 0, fmt.Errorf("%s: setup: %w", m.Name(), err)
	}
	setup := t1.Sub(t0)
	var (
		cold, warmSum time.Duration
		fastest       time.Duration
		first         models.Output
		acc           []runfile.Account
		metrics       map[string]float64
		w0            warmReading
		wc            *runfile.WarmCounters
		edge          int64 // idle at the passes' ends (edgeIdle)
		edgeNeg       int
		edgeOK        = true
	)
	for k := 0; k <= warm && err == nil; k++ {
		var out models.Output
		if k == 1 {
			// Outside the timed region, as is the reading after the
			// last pass.
			w0 = readWarm(first.Workers)
		}
		// The pass's ends on the clock the workers' accounts read
		// (models.Nanotime, the monotonic clock time.Since reads).
		n0 := models.Nanotime()
		out, err = sess.Compute(ctx)
		n1 := models.Nanotime()
		d := time.Duration(n1 - n0)
		if k == warm && k > 0 {
			wc = warmCounters(w0, readWarm(first.Workers))
		}
		if err != nil {
			err = fmt.Errorf("%s: compute (pass %d): %w", m.Name(), k+1, err)
			break
		}
		if err = models.Validate(out, cfg.Workload, m.Name()); err != nil {
			if k > 0 {
				err = fmt.Errorf("pass %d: %w", k+1, err)
			}
			break
		}
		if out.Phases != nil {
			d = out.Phases.Compute
		}
		for i := range out.Results {
			out.Results[i] = Poison
		}
		if k == 0 {
			first, cold = out, d
			if out.Phases != nil {
				setup = out.Phases.Setup
			}
			continue
		}
		warmSum += d
		if fastest == 0 || d < fastest {
			fastest = d
		}
		acc = addAccounts(acc, out.Accounts)
		if e, neg, ok := edgeIdle(out.Accounts, n0, n1); ok && edgeOK {
			edge, edgeNeg = edge+e, edgeNeg+neg
		} else {
			edgeOK = false
		}
		metrics = addMetrics(metrics, out.Metrics, warm)
	}
	t3 := time.Now()
	terr := sess.Teardown()
	teardown := time.Since(t3)
	if err != nil {
		return nil, 0, err
	}
	if terr != nil {
		return nil, 0, fmt.Errorf("%s: teardown: %w", m.Name(), terr)
	}
	if tt, ok := sess.(models.TeardownTimer); ok {
		if d, ok := tt.TeardownTime(); ok {
			teardown = d
		}
	}
	u1, k1, r1 := rusage(syscall.RUSAGE_SELF), rusage(syscall.RUSAGE_CHILDREN), worker.ReapedUsage()
	// CPU time: the runner plus every descendant reaped in this trial,
	// whoever reaped it (a Python interpreter reaps its own workers).
	// Memory: the runner's peak plus the sum of the peaks of the children
	// proc reaped, or the largest child's peak when that is larger (a
	// child started outside proc).
	childRSS := max(r1.MaxRSSSum-r0.MaxRSSSum, k1.maxRSS)
	var edgeNs *int64
	if edgeOK && acc != nil {
		edgeNs = &edge
	}
	return &runfile.Trial{
		SetupNs:      setup.Nanoseconds(),
		ComputeNs:    (warmSum / time.Duration(warm)).Nanoseconds(),
		ColdNs:       cold.Nanoseconds(),
		Passes:       warm,
		TeardownNs:   teardown.Nanoseconds(),
		Info:         first.Info,
		UserNs:       u1.user - u0.user + k1.user - k0.user,
		SysNs:        u1.sys - u0.sys + k1.sys - k0.sys,
		PeakRSSBytes: u1.maxRSS + childRSS,
		Workers:      first.Workers,
		Metrics:      metrics,
		MinFlt:       u1.minflt - u0.minflt + k1.minflt - k0.minflt,
		MajFlt:       u1.majflt - u0.majflt + k1.majflt - k0.majflt,
		Nvcsw:        u1.nvcsw - u0.nvcsw + k1.nvcsw - k0.nvcsw,
		Nivcsw:       u1.nivcsw - u0.nivcsw + k1.nivcsw - k0.nivcsw,
		Warm:         wc,
		Accounts:     acc,
		EdgeIdleNs:   edgeNs,
		EdgeNegative: edgeNeg,
	}, fastest, nil
}

// addAccounts adds a pass's worker accounts to sum, worker by worker (a
// model lists its workers in the same order each pass). The CPU is the
// last pass's. A nil in (a model that keeps none) leaves sum nil.
func addAccounts(sum []runfile.Account, in []models.Account) []runfile.Account {
	if in == nil {
		return sum
	}
	if sum == nil {
		sum = make([]runfile.Account, len(in))
	}
	for i, a := range in {
		if i >= len(sum) {
			sum = append(sum, runfile.Account{})
		}
		s := &sum[i]
		s.BusyNs += a.Busy.Nanoseconds()
		s.Tasks += a.Tasks
		s.Chunks += a.Chunks
		s.CPU = a.CPU
	}
	return sum
}

// edgeIdle returns the workers' idle time at the ends of one pass that ran
// from n0 to n1 (models.Nanotime): for each account, from n0 to its first
// chunk's start and from its last chunk's end to n1; a worker that ran no
// chunk idled from n0 to n1. neg counts the workers whose edge is negative
// (a chunk timed outside the pass: a bug, summed as it is, not clipped,
// and flagged by the attribution). ok is false without accounts, or when
// an account with chunks lacks their times.
//
// Note: n0 and n1 bound the model's whole Compute, so the edges hold what
// the model does there before its first chunk and after its last (hand
// out the pass, collect the results) as seen from each worker: idle to
// the worker whoever pays for it.
func edgeIdle(accts []models.Account, n0, n1 int64) (idle int64, neg int, ok bool) {
	if len(accts) == 0 {
		return 0, 0, false
	}
	for _, a := range accts {
		if a.Chunks == 0 {
			idle += n1 - n0
			continue
		}
		if a.First == 0 || a.Last == 0 {
			return 0, 0, false
		}
		e := (a.First - n0) + (n1 - a.Last)
		if a.First < n0 || a.Last > n1 {
			neg++
		}
		idle += e
	}
	return idle, neg, true
}

// addMetrics adds each of a pass's metrics over n to sum: after n passes,
// sum holds their means.
func addMetrics(sum, in map[string]float64, n int) map[string]float64 {
	if in == nil {
		return sum
	}
	if sum == nil {
		sum = make(map[string]float64, len(in))
	}
	for k, v := range in {
		sum[k] += v / float64(n)
	}
	return sum
}

// ErrChecksum is wrapped by every validation failure (models.ErrChecksum).
var ErrChecksum = models.ErrChecksum

// usage is one getrusage reading. The counters (faults, context
// switches) are taken as CPU time is: RUSAGE_SELF plus RUSAGE_CHILDREN,
// which already holds every child reaped in the trial, worker.Wait's
// included, so adding worker.ReapedUsage would count those twice.
type usage struct{ user, sys, maxRSS, minflt, majflt, nvcsw, nivcsw int64 }

func rusage(who int) usage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return usage{}
	}
	return usage{user: ru.Utime.Nano(), sys: ru.Stime.Nano(), maxRSS: ru.Maxrss * 1024,
		minflt: ru.Minflt, majflt: ru.Majflt, nvcsw: ru.Nvcsw, nivcsw: ru.Nivcsw}
}

// Options configure how the parent runs one cell.
type Options struct {
	// Executable is the executable the cell runner is started from, and
	// so every worker it starts; empty means this process's own (a test
	// binary that serves the roles).
	Executable     string
	CPUs           []int
	Oversubscribed bool
	Timeout        time.Duration
	// OnStart, when set, is called with the cell runner's PID once it has
	// started (tests read its /proc entry).
	OnStart func(pid int)
	// OnTrial, when set, is called after each measured trial.
	OnTrial func(done, planned int)
}

// Run runs spec in a fresh cell runner confined to opt.CPUs and returns
// the cell record. A failure of the cell is recorded in Cell.Error, not
// returned; the error return is for cancellation (ctx done) only.
func Run(ctx context.Context, spec Spec, opt Options) (runfile.Cell, error) {
	start := time.Now()
	cell, err := run(ctx, spec, opt)
	cell.WallNs = time.Since(start).Nanoseconds()
	return cell, err
}

func run(ctx context.Context, spec Spec, opt Options) (runfile.Cell, error) {
	cell := runfile.Cell{
		Workload: spec.Workload, Model: spec.Model, Cores: spec.Cores, Params: spec.Params, Scale: spec.Scale,
		Oversubscribed: opt.Oversubscribed, TrialsPlanned: spec.Trials, Trials: []runfile.Trial{},
	}

	cctx, cancel := context.WithTimeout(ctx, opt.Timeout)
	defer cancel()
	p, err := worker.Start(cctx, worker.Spec{
		Role: RoleName,
		Path: opt.Executable,
		CPUs: opt.CPUs,
		Env:  []string{"GOMAXPROCS=" + strconv.Itoa(spec.Cores)},
	})
	if err != nil {
		cell.Error = err.Error()
		return cell, nil
	}
	// On Ctrl-C or the timeout the runner gets SIGTERM first, so the
	// model's teardown reaps its workers and removes its files; a runner
	// that does not exit in time is killed with its group.
	stop := context.AfterFunc(cctx, func() { p.Stop(RunnerGrace) })
	defer stop()
	if opt.OnStart != nil {
		opt.OnStart(p.Pid)
	}
	if err := json.NewEncoder(p.Data).Encode(spec); err != nil {
		p.Kill()
	}
	var runnerErr string
	done := false
	var load loadWindow
	sc := bufio.NewScanner(p.Data)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var msg cellMsg
		if err := json.Unmarshal(sc.Bytes(), &msg); err != nil {
			runnerErr = fmt.Sprintf("cell runner sent a bad message: %v", err)
			p.Kill()
			break
		}
		switch msg.Type {
		case "start":
			cell.CPUs, cell.Tasks, cell.Chunk = msg.CPUs, msg.Tasks, msg.Chunk
		case "trial":
			if !msg.Warmup && msg.Trial != nil {
				cell.Trials = append(cell.Trials, *msg.Trial)
				// K never falls within a cell: the last trial's is the
				// largest, kept also when no "done" comes (a timeout).
				cell.Passes = max(cell.Passes, msg.Trial.Passes)
				if len(cell.Trials) == 1 {
					load.mark()
				}
				if opt.OnTrial != nil {
					opt.OnTrial(len(cell.Trials), spec.Trials)
				}
			}
		case "done":
			cell.Stopped, cell.Warmups, done = msg.Stopped, msg.Warmups, true
			cell.Passes = max(cell.Passes, msg.Passes)
			load.mark()
		case "error":
			runnerErr = msg.Err
		}
	}
	werr := p.Wait()
	switch {
	case ctx.Err() != nil:
		return cell, ctx.Err()
	case cctx.Err() != nil && len(cell.Trials) >= MinTrials:
		// The trials that finished are as good as any: keep them, and say
		// why there are not more (the summary warns).
		cell.Stopped = StoppedTimeout
	case cctx.Err() != nil:
		cell.Error = fmt.Sprintf("timed out after %v (the cell's time limit) in trial %d of %d, with fewer than %d trials done", opt.Timeout, len(cell.Trials)+1, spec.Trials, MinTrials)
	case runnerErr != "":
		cell.Error = runnerErr
	case werr != nil:
		cell.Error = "cell runner failed: " + werr.Error()
	case !done:
		cell.Error = "cell runner exited before finishing its trials"
	}
	cell.OtherLoad = load.of(&cell)
	if cell.Error != "" {
		cell.Error = fmt.Sprintf("workload %s, model %s, cores %d: %s", spec.Workload, spec.Model, spec.Cores, cell.Error)
	}
	return cell, nil
}
