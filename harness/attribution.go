package harness

import (
	"fmt"
	"strings"

	"github.com/mpbench/mpbench/runfile"
	"github.com/mpbench/mpbench/stats"
)

// Probe items whose medians are the unit costs of the attribution.
const (
	// ProbeFault is the core time of one minor page fault.
	ProbeFault = "minor page fault"
	// ProbeWakeup is a pipe round trip with both ends on one CPU: two
	// blocking context switches, one per side, and their writes and reads,
	// all on one CPU, so that its wall time is core time. Half of it is
	// the cost of one switch. The round trip across two CPUs is not used:
	// its extra time is each side's CPU idling while the other wakes,
	// which the attribution already sees as time outside task functions.
	ProbeWakeup = "pipe round trip, same CPU"
)

// UnitCosts are the core-time costs, in ns, the attribution multiplies
// counters by; a cost of 0 means the probe did not measure it.
type UnitCosts struct {
	FaultNs  float64 // one minor page fault
	SwitchNs float64 // one context switch (voluntary or not)
	// Source says which probes they came from.
	Source string
}

// ProbeUnitCosts returns the unit costs from a run's probes: the mean of
// the start and end probes' medians of ProbeFault and half of ProbeWakeup,
// where present.
func ProbeUnitCosts(env runfile.Env) UnitCosts {
	var u UnitCosts
	var srcs []string
	avg := func(name string) float64 {
		sum, n := 0.0, 0
		for _, p := range []*runfile.Probe{env.ProbeStart, env.ProbeEnd} {
			if p == nil {
				continue
			}
			for _, it := range p.Items {
				if it.Name == name && it.Median > 0 {
					f := 1.0
					switch it.Unit {
					case "µs":
						f = 1e3
					case "ms":
						f = 1e6
					}
					sum, n = sum+it.Median*f, n+1
				}
			}
		}
		if n == 0 {
			return 0
		}
		return sum / float64(n)
	}
	if u.FaultNs = avg(ProbeFault); u.FaultNs > 0 {
		srcs = append(srcs, fmt.Sprintf("%s %s", ProbeFault, signedDuration(u.FaultNs)))
	}
	if rt := avg(ProbeWakeup); rt > 0 {
		u.SwitchNs = rt / 2
		srcs = append(srcs, fmt.Sprintf("context switch %s (half a %s)", signedDuration(u.SwitchNs), ProbeWakeup))
	}
	u.Source = strings.Join(srcs, ", ")
	return u
}

// TrialTasks is how many task runs a trial's counters cover: its cell's
// tasks once per pass, the cold pass and its K warm passes (Trial.Passes),
// or once in a file without passes. The one place that knows what one
// trial ran, so that a trial's counters are set against a task's compute.
//
// Note: the counters cover the whole trial, setup and teardown too, so a
// worker's start is spread over every pass of the trial: the more warm
// passes, the smaller its share (see docs/measurements.md). Worker accounts
// need no such count: they hold the tasks they cover.
func TrialTasks(c *runfile.Cell, t runfile.Trial) int {
	if t.ColdNs > 0 && t.Passes > 0 {
		return c.Tasks * (1 + t.Passes)
	}
	return c.Tasks
}

// attribute fills the attribution of every cell of r that has a summary
// with an overhead, from the run's probes (ProbeUnitCosts), the cell's
// trials and its baseline.
func attribute(r *runfile.Run) {
	u := ProbeUnitCosts(r.Env)
	for i := range r.Cells {
		c := &r.Cells[i]
		if c.Summary == nil || c.Summary.OverheadNsPerTask == nil {
			continue
		}
		seq := r.Baseline(c)
		if seq == nil || seq == c || seq.Tasks <= 0 {
			continue
		}
		c.Summary.Attribution = Attribute(c, seq, u)
		if a := c.Summary.Attribution; a != nil && a.Exceeds {
			c.Warnings = append(c.Warnings, fmt.Sprintf("attribution: the parts add up to %s per task more than the %s lost (not clipped: a unit cost or a counter overstates)",
				signedDuration(-a.RemainderNsPerTask), signedDuration(a.LostNsPerTask)))
		}
	}
}

// Attribute splits the lost core time per task of cell c, its summary's
// OverheadNsPerTask L = (c·T − T(seq))/tasks, into parts; every part is
// the median over c's trials of the part computed per trial:
//
//   - worker_start: 0 where the trials report worker start figures
//     (worker_start_ms): the workers start in setup, outside compute.
//     Absent otherwise (goroutines start inside compute, unmeasured).
//   - page_faults: (minor faults per task − seq's) × u.FaultNs.
//   - wakeups: (context switches per task − seq's) × u.SwitchNs.
//     Both from the warm-pass counters (Trial.Warm over tasks × Passes)
//     where c and seq have them (CountersScope "warm passes"), else from
//     the whole trial's (over TrialTasks; scope "trial").
//   - withheld: (Σ busy − Σ tasks · T(seq)/task) / tasks over the
//     workers' accounts: what running slower than the baseline's CPU cost
//     (EffectiveCores below c).
//   - idle_edges: Trial.EdgeIdleNs / (tasks × Passes): the workers' idle
//     time at the ends of the warm passes (start latency and tail), per
//     task. Absent without accounts or their chunk times.
//   - remainder: L less the parts with a value.
//
// Without a probe (u zero) or counters, page_faults and wakeups are
// absent; without accounts, withheld is. seq is c's baseline cell.
func Attribute(c, seq *runfile.Cell, u UnitCosts) *runfile.Attribution {
	s := c.Summary
	if s == nil || s.OverheadNsPerTask == nil || seq.Summary == nil || c.Tasks <= 0 || seq.Tasks <= 0 {
		return nil
	}
	a := &runfile.Attribution{LostNsPerTask: *s.OverheadNsPerTask}
	nsPerTask := seq.Summary.MedianNs / float64(seq.Tasks)

	// The counters' scope: the warm passes where both c and its baseline
	// have warm counters (Trial.Warm), else the whole trial (older files).
	warmScope := hasWarm(c) && hasWarm(seq)
	// counters returns a trial's counters in that scope and the task runs
	// they cover; ok is false for a trial without them.
	counters := func(cell *runfile.Cell, t runfile.Trial) (minflt, switches int64, tasks int, ok bool) {
		if warmScope {
			if t.Warm == nil || t.Passes <= 0 {
				return 0, 0, 0, false
			}
			return t.Warm.MinFlt, t.Warm.Nvcsw + t.Warm.Nivcsw, cell.Tasks * t.Passes, true
		}
		if !t.HasCounters() {
			return 0, 0, 0, false
		}
		return t.MinFlt, t.Nvcsw + t.Nivcsw, TrialTasks(cell, t), true
	}
	// Sequential's counters per task: the median over its trials, each
	// trial's counters over the task runs they cover.
	seqPer := func(count func(minflt, switches int64) int64) (float64, bool) {
		var xs []float64
		for _, t := range seq.Trials {
			if mf, sw, n, ok := counters(seq, t); ok && n > 0 {
				xs = append(xs, float64(count(mf, sw))/float64(n))
			}
		}
		if len(xs) == 0 {
			return 0, false
		}
		return stats.Summarize(xs).Median, true
	}
	perTrial := func(f func(t runfile.Trial, tasks float64) (float64, bool)) ([]float64, bool) {
		var xs []float64
		for _, t := range c.Trials {
			n := TrialTasks(c, t)
			if n <= 0 {
				continue
			}
			if v, ok := f(t, float64(n)); ok {
				xs = append(xs, v)
			}
		}
		return xs, len(xs) > 0
	}
	part := func(name string, xs []float64, ok bool, reason string) {
		p := runfile.AttributionPart{Name: name, Reason: reason}
		if ok {
			m := stats.Summarize(xs).Median
			p.NsPerTask = &m
		}
		a.Parts = append(a.Parts, p)
	}

	// Worker start.
	if _, ok := s.Metrics["worker_start_ms"]; ok {
		part(runfile.PartWorkerStart, []float64{0}, true, fmt.Sprintf("the workers start in setup (%s a trial), outside compute", signedDuration(s.SetupNs)))
	} else {
		part(runfile.PartWorkerStart, nil, false, "no worker processes: goroutines start inside compute, their cost is not measured apart (in the remainder)")
	}

	// Counters.
	counted := false
	for _, t := range c.Trials {
		_, _, _, ok := counters(c, t)
		counted = counted || ok
	}
	for _, k := range []struct {
		name  string
		unit  float64
		what  string
		count func(minflt, switches int64) int64
	}{
		{runfile.PartPageFaults, u.FaultNs, ProbeFault, func(mf, _ int64) int64 { return mf }},
		{runfile.PartWakeups, u.SwitchNs, ProbeWakeup, func(_, sw int64) int64 { return sw }},
	} {
		base, okSeq := seqPer(k.count)
		switch {
		case k.unit <= 0:
			part(k.name, nil, false, fmt.Sprintf("no probe measured the %s (mpbench run --probe off?)", k.what))
		case !counted || !okSeq:
			part(k.name, nil, false, "no counters in this cell's or its baseline's trials")
		default:
			var xs []float64
			for _, t := range c.Trials {
				if mf, sw, n, ok := counters(c, t); ok && n > 0 {
					xs = append(xs, (float64(k.count(mf, sw))/float64(n)-base)*k.unit)
				}
			}
			part(k.name, xs, len(xs) > 0, "")
		}
	}

	// CPU capacity withheld.
	accounted, shortChunkNs := false, 0.0
	xs, ok := perTrial(func(t runfile.Trial, tasks float64) (float64, bool) {
		if len(t.Accounts) == 0 {
			return 0, false
		}
		accounted = true
		var busy, n, chunks float64
		for _, ac := range t.Accounts {
			busy, n, chunks = busy+float64(ac.BusyNs), n+float64(ac.Tasks), chunks+float64(ac.Chunks)
		}
		// Accounts hold the tasks of the passes they cover (the warm
		// ones), so their own count is the divisor.
		if n <= 0 {
			return 0, false
		}
		// Chunks too short to time (as for the ceiling): their busy time
		// is the clock reads' and, sampled, an estimate (models.Account).
		if chunks > 0 && n/chunks*nsPerTask < MinChunkNs {
			shortChunkNs = n / chunks * nsPerTask
			return 0, false
		}
		return (busy - n*nsPerTask) / n, true
	})
	reason := ""
	switch {
	case !ok && shortChunkNs > 0:
		reason = fmt.Sprintf("chunks of %s of sequential work are too short to time (under %s): capacity withheld is in the remainder", signedDuration(shortChunkNs), signedDuration(MinChunkNs))
	case !ok && accounted:
		reason = "no trial's accounts hold a task"
	case !ok:
		reason = "the model keeps no worker accounts: capacity withheld and time outside task functions cannot be told apart (both in the remainder)"
	}
	part(runfile.PartWithheld, xs, ok, reason)

	// Workers idle at the ends of the warm passes.
	neg := 0
	xs, ok = perTrial(func(t runfile.Trial, _ float64) (float64, bool) {
		if t.EdgeIdleNs == nil || t.Passes <= 0 {
			return 0, false
		}
		neg += t.EdgeNegative
		return float64(*t.EdgeIdleNs) / float64(c.Tasks*t.Passes), true
	})
	reason = ""
	if !ok {
		reason = "no chunk times in the accounts (no accounts, or an older file)"
	}
	part(runfile.PartIdleEdges, xs, ok, reason)
	if neg > 0 {
		a.Notes = append(a.Notes, fmt.Sprintf("idle at the ends: %d worker-pass(es) had a chunk timed outside its pass (a bug in the model's or the runner's clock reads); their edges are summed as they are, not clipped", neg))
	}

	sum := 0.0
	for _, p := range a.Parts {
		if p.NsPerTask != nil {
			sum += *p.NsPerTask
		}
	}
	a.RemainderNsPerTask = a.LostNsPerTask - sum
	a.Exceeds = a.RemainderNsPerTask < 0
	switch {
	case counted && warmScope:
		a.CountersScope = "warm passes"
		procs, unread := 0, 0
		for _, t := range c.Trials {
			if t.Warm != nil {
				procs, unread = max(procs, t.Warm.Procs), max(unread, t.Warm.Unread)
			}
		}
		note := fmt.Sprintf("page faults and wake-ups are counted over the warm passes of %d process(es) per trial, the cell runner and the listed workers read at both ends", procs)
		if unread > 0 {
			note += fmt.Sprintf("; up to %d listed worker(s) could not be read (gone or unreadable) and are not in them", unread)
		}
		a.Notes = append(a.Notes, note+"; processes not listed as workers (a manager's server, a py-* cell's interpreter) are not counted")
	case counted:
		a.CountersScope = "trial"
		if _, ok := s.Metrics["worker_start_ms"]; ok {
			a.Notes = append(a.Notes, "page faults and wake-ups are counted over the whole trial, the workers' start in setup included: they overstate compute's share, and the remainder is understated by as much")
		}
	}
	if u.Source != "" {
		a.Notes = append(a.Notes, "unit costs: "+u.Source)
	}
	return a
}

// hasWarm reports whether any trial of c has warm-pass counters.
func hasWarm(c *runfile.Cell) bool {
	for _, t := range c.Trials {
		if t.Warm != nil {
			return true
		}
	}
	return false
}
