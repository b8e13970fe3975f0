package harness

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/workloads"
)

// Plan is a resolved sweep: what to run, how often, on how many cores.
type Plan struct {
	Cores     []int
	Models    []string
	Workloads []string
	// Params holds overrides per workload: Params["cpu"]["n"].
	Params        map[string]map[string]int64
	Scaling       string // "strong" or "weak"
	Warmup        int
	Trials        int
	Chunk         int
	Timeout       time.Duration
	CellBudget    time.Duration
	Oversubscribe bool
	// Delay adds a sleep to the compute phase of the named models.
	// Test-only: it proves that gates catch a slower model.
	Delay map[string]time.Duration
}

// Scalings are the accepted --scaling values.
var Scalings = []string{"strong", "weak"}

// ParseList splits a comma-separated list, expanding "all" to every valid
// name and rejecting unknown names with the valid ones listed.
func ParseList(flag, spec string, valid []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, name := range strings.Split(spec, ",") {
		name = strings.TrimSpace(name)
		switch {
		case name == "all":
			for _, v := range valid {
				add(v)
			}
		case contains(valid, name):
			add(name)
		default:
			return nil, usageError("--%s: unknown %q (valid: %s, or all)", flag, name, strings.Join(valid, ", "))
		}
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// ParseParams parses --param values of the form workload.key=value. Values
// are integers; underscores and an exponent are accepted (1_000_000, 1e6).
func ParseParams(specs []string) (map[string]map[string]int64, error) {
	out := map[string]map[string]int64{}
	for _, spec := range specs {
		key, val, ok := strings.Cut(spec, "=")
		wl, name, ok2 := strings.Cut(key, ".")
		if !ok || !ok2 || wl == "" || name == "" {
			return nil, usageError("--param %q: want workload.key=value, e.g. cpu.n=200000", spec)
		}
		w, err := workloads.Lookup(wl)
		if err != nil {
			return nil, usageError("--param %q: %v", spec, err)
		}
		v, err := parseInt(val)
		if err != nil {
			return nil, usageError("--param %q: %q is not an integer", spec, val)
		}
		if out[wl] == nil {
			out[wl] = map[string]int64{}
		}
		out[wl][name] = v
		if _, err := w.Resolve(out[wl]); err != nil {
			return nil, usageError("--param %q: %v", spec, strings.TrimPrefix(err.Error(), workloads.ErrBadParam.Error()+": "))
		}
	}
	return out, nil
}

func parseInt(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if v, err := strconv.ParseInt(s, 0, 64); err == nil {
		return v, nil
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<62 {
		return 0, fmt.Errorf("not an integer")
	}
	return int64(f), nil
}

// Check validates the plan against the models in reg.
func (p *Plan) Check(reg models.Registry) error {
	if len(p.Cores) == 0 {
		return usageError("no core counts to run")
	}
	if p.Trials < 1 {
		return usageError("--trials %d: at least 1 trial per cell", p.Trials)
	}
	if p.Warmup < 0 {
		return usageError("--warmup %d: warm-ups cannot be negative (0 or more)", p.Warmup)
	}
	if p.Chunk < 0 {
		return usageError("--chunk %d: 0 (automatic) or a positive task count", p.Chunk)
	}
	if p.Timeout <= 0 {
		return usageError("--timeout %v: must be positive, e.g. 5m", p.Timeout)
	}
	if p.CellBudget < 0 {
		return usageError("--cell-budget %v: 0 (none) or a positive duration", p.CellBudget)
	}
	if !contains(Scalings, p.Scaling) {
		return usageError("--scaling %q: accepted: %s", p.Scaling, strings.Join(Scalings, ", "))
	}
	if len(p.Models) == 0 || len(p.Workloads) == 0 {
		return usageError("no models or no workloads to run")
	}
	for _, m := range p.Models {
		if _, err := reg.Lookup(m); err != nil {
			return usageError("--models: %v", err)
		}
	}
	for _, w := range p.Workloads {
		wl, err := workloads.Lookup(w)
		if err != nil {
			return usageError("--workloads: %v", err)
		}
		if _, err := wl.Resolve(p.Params[w]); err != nil {
			return usageError("--param: %v", err)
		}
	}
	for w := range p.Params {
		if !contains(p.Workloads, w) {
			return usageError("--param sets %s.*, but workload %s is not in this run (--workloads %s)", w, w, strings.Join(p.Workloads, ","))
		}
	}
	return nil
}

// CellSpecs expands the plan into cell specs, in run order: per workload,
// sequential at c = 1 first (always), then each other model at each core
// count. Models that run at c = 1 only get one cell.
func (p *Plan) CellSpecs(reg models.Registry) []CellSpec {
	var specs []CellSpec
	for _, w := range p.Workloads {
		mk := func(model string, c int) CellSpec {
			scale := 1
			if p.Scaling == "weak" {
				scale = c
			}
			return CellSpec{
				Workload: w, Params: p.Params[w], Scale: scale, Model: model, Cores: c,
				Chunk: p.Chunk, Warmup: p.Warmup, Trials: p.Trials,
				BudgetNs: p.CellBudget.Nanoseconds(), DelayNs: p.Delay[model].Nanoseconds(),
			}
		}
		specs = append(specs, mk("sequential", 1))
		for _, name := range p.Models {
			if name == "sequential" {
				continue
			}
			m, _ := reg.Lookup(name)
			for _, c := range p.Cores {
				if c > 1 && models.IsSingleCore(m) {
					continue
				}
				specs = append(specs, mk(name, c))
			}
		}
	}
	return specs
}
