package runfile

import (
	"errors"
	"fmt"
	"math"
)

// MaxBytes caps the size of a run file that Decode and Load read. A sweep
// of every model and workload on 64 cores with 10,000 trials a cell is a
// few MiB; a file over the cap is not a run file mpbench wrote.
const MaxBytes = 64 << 20

// ErrTooLarge is wrapped when a run file is larger than MaxBytes.
var ErrTooLarge = errors.New("run file too large")

// ErrInvalid is wrapped when a run file holds a number no run can have
// (a negative time, a zero baseline): readers would draw and print
// nonsense from it.
var ErrInvalid = errors.New("invalid run file")

// Validate checks the numbers of r that the reports divide by or draw:
// every trial's phase times, CPU time and memory, every summary's medians
// and speedups. Its error names the cell (its Key) and the field.
//
// Note: the compute time of a trial must be above 0, not only at least 0:
// it is the denominator of every speedup, and a 0 ns compute phase cannot
// be measured. Overhead per task may be negative (a superlinear speedup).
func (r *Run) Validate() error {
	for i := range r.Cells {
		c := &r.Cells[i]
		bad := func(format string, args ...any) error {
			return fmt.Errorf("%w: cell %s: %s", ErrInvalid, c.Key(), fmt.Sprintf(format, args...))
		}
		if c.Cores < 1 {
			return bad("cores %d: must be at least 1", c.Cores)
		}
		if c.Tasks < 0 {
			return bad("tasks %d: must be at least 0", c.Tasks)
		}
		if c.Passes < 0 {
			return bad("passes %d: must be at least 0 (0: absent, a file from before warm passes)", c.Passes)
		}
		for j, t := range c.Trials {
			for _, f := range []struct {
				name string
				v    int64
				min  int64
			}{
				{"compute_ns", t.ComputeNs, 1}, {"setup_ns", t.SetupNs, 0}, {"teardown_ns", t.TeardownNs, 0},
				{"user_ns", t.UserNs, 0}, {"sys_ns", t.SysNs, 0}, {"peak_rss_bytes", t.PeakRSSBytes, 0},
				{"cold_ns", t.ColdNs, 0}, {"passes", int64(t.Passes), 0},
			} {
				if f.v < f.min {
					return bad("trial %d: %s %d: must be at least %d", j+1, f.name, f.v, f.min)
				}
			}
			if (t.Passes > 0) != (t.ColdNs > 0) {
				return bad("trial %d: cold_ns %d with passes %d: a trial has both or neither", j+1, t.ColdNs, t.Passes)
			}
			if w := t.Warm; w != nil {
				if w.MinFlt < 0 || w.MajFlt < 0 || w.Nvcsw < 0 || w.Nivcsw < 0 || w.Procs < 1 || w.Unread < 0 {
					return bad("trial %d: warm counters minflt %d, majflt %d, nvcsw %d, nivcsw %d, procs %d, unread %d: must be at least 0 (procs at least 1)",
						j+1, w.MinFlt, w.MajFlt, w.Nvcsw, w.Nivcsw, w.Procs, w.Unread)
				}
				if t.Passes <= 0 {
					return bad("trial %d: warm counters without warm passes", j+1)
				}
			}
			if t.EdgeNegative < 0 || t.EdgeNegative > 0 && t.EdgeIdleNs == nil {
				return bad("trial %d: edge_negative %d: must be at least 0, and only with edge_idle_ns", j+1, t.EdgeNegative)
			}
			if t.EdgeIdleNs != nil && (len(t.Accounts) == 0 || t.Passes <= 0) {
				return bad("trial %d: edge_idle_ns without accounts or warm passes", j+1)
			}
			for w, a := range t.Accounts {
				if a.BusyNs < 0 || a.Tasks < 0 || a.Chunks < 0 || a.CPU < -1 {
					return bad("trial %d: account %d: busy_ns %d, tasks %d, chunks %d, cpu %d: must be at least 0 (cpu −1: unknown)", j+1, w, a.BusyNs, a.Tasks, a.Chunks, a.CPU)
				}
			}
		}
		s := c.Summary
		if s == nil {
			continue
		}
		for _, f := range []struct {
			name string
			v    float64
			pos  bool // must be above 0, not only at least 0
		}{
			{"median_ns", s.MedianNs, true}, {"ci_low_ns", s.CILowNs, false}, {"ci_high_ns", s.CIHighNs, false},
			{"cv", s.CV, false}, {"setup_median_ns", s.SetupNs, false}, {"teardown_median_ns", s.TeardnNs, false},
			{"cpu_ns", s.CPUNs, false}, {"peak_rss_bytes", float64(s.PeakRSSBytes), false},
		} {
			if math.IsNaN(f.v) || math.IsInf(f.v, 0) || f.v < 0 || f.pos && f.v == 0 {
				want := "at least 0"
				if f.pos {
					want = "above 0"
				}
				return bad("summary: %s %v: must be %s", f.name, f.v, want)
			}
		}
		for _, f := range []struct {
			name string
			v    *float64
		}{{"speedup", s.Speedup}, {"relative_speedup", s.RelSpeedup}, {"efficiency", s.Efficiency},
			{"effective_cores", s.EffectiveCores}, {"of_ceiling", s.OfCeiling}} {
			if f.v != nil && !(*f.v > 0 && !math.IsInf(*f.v, 0)) {
				return bad("summary: %s %v: must be above 0", f.name, *f.v)
			}
		}
		if f := s.OverheadNsPerTask; f != nil && (math.IsNaN(*f) || math.IsInf(*f, 0)) {
			return bad("summary: overhead_ns_per_task %v: must be a finite number", *f)
		}
		if a := s.Attribution; a != nil {
			if err := a.validate(); err != "" {
				return bad("summary: attribution: %s", err)
			}
		}
	}
	return nil
}

// validate says what is wrong with a, or "": every figure finite, every
// part named and either valued or given a reason, the remainder equal to
// the lost time less the parts (within rounding) and flagged when below 0.
func (a *Attribution) validate() string {
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	if !finite(a.LostNsPerTask) || !finite(a.RemainderNsPerTask) {
		return fmt.Sprintf("lost_ns_per_task %v, remainder_ns_per_task %v: must be finite numbers", a.LostNsPerTask, a.RemainderNsPerTask)
	}
	sum := 0.0
	for _, p := range a.Parts {
		if p.Name == "" || p.Name == PartRemainder {
			return fmt.Sprintf("part %q: not a part name", p.Name)
		}
		switch {
		case p.NsPerTask == nil && p.Reason == "":
			return fmt.Sprintf("part %s: no value and no reason", p.Name)
		case p.NsPerTask != nil && !finite(*p.NsPerTask):
			return fmt.Sprintf("part %s: %v: must be a finite number", p.Name, *p.NsPerTask)
		case p.NsPerTask != nil:
			sum += *p.NsPerTask
		}
	}
	if d := a.LostNsPerTask - sum - a.RemainderNsPerTask; math.Abs(d) > 1e-6*max(1, math.Abs(a.LostNsPerTask), sum) {
		return fmt.Sprintf("remainder %v is not lost %v less the parts %v", a.RemainderNsPerTask, a.LostNsPerTask, sum)
	}
	if a.RemainderNsPerTask < 0 && !a.Exceeds {
		return fmt.Sprintf("remainder %v below 0 but exceeds not set", a.RemainderNsPerTask)
	}
	return ""
}
