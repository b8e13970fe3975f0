package harness

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mpbench/mpbench/harness/cellrun"
	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/runfile"
	"github.com/mpbench/mpbench/workloads"
)

// Plan is a resolved sweep: what to run, how often, on how many cores.
type Plan struct {
	Cores     []int
	Models    []string
	Workloads []string
	// Params holds overrides per workload: Params["cpu"]["n"].
	Params map[string]map[string]int64
	// Sweeps holds swept parameters per workload: every value gets its own
	// cells (and its own sequential baseline).
	Sweeps map[string]map[string][]int64
	Rounds int
	// Seed orders the visits of the rounds; recorded in the run file.
	Seed     int64
	TargetCI float64
	MaxTime  time.Duration
	// MinTime is --min-time: each trial runs K warm passes so that they
	// last at least this long, K picked from the fastest warm pass of the
	// cell's earlier trials (cellrun.PickPasses); 0 means one warm pass.
	MinTime       time.Duration
	Scaling       string // "strong" or "weak"
	Warmup        int
	Trials        int
	Chunk         int
	Timeout       time.Duration
	CellBudget    time.Duration
	Oversubscribe bool
	// MemoryLimit is the most memory one cell may need by its model's
	// estimate (models.MemoryEstimate), in bytes: 0 means the MemAvailable
	// of /proc/meminfo when the plan is checked, below 0 no limit.
	MemoryLimit int64
}

// Scalings are the accepted values of Plan.Scaling.
var Scalings = []string{"strong", "weak"}

// ParseList splits a comma-separated list of names for input in,
// expanding "all" to every valid name and rejecting unknown names with the
// valid ones listed.
func ParseList(in Input, spec string, valid []string) ([]string, error) {
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
			return nil, badInput(in, "", "unknown %q (valid: %s, or all)", name, strings.Join(valid, ", "))
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

// ParseModels parses a list of models: names, and the families "go"
// (every Go model), "py" (the Python reference models) and "all".
func ParseModels(spec string, reg models.Registry) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	families := map[string]bool{"all": true}
	for _, m := range reg {
		families[models.FamilyOf(m)] = true
	}
	for _, name := range strings.Split(spec, ",") {
		name = strings.TrimSpace(name)
		var add []string
		switch {
		case families[name]:
			for _, m := range reg {
				if name == "all" || models.FamilyOf(m) == name {
					add = append(add, m.Name())
				}
			}
		case contains(reg.Names(), name):
			add = []string{name}
		default:
			fams := []string{}
			for _, f := range []string{"go", "py", "all"} {
				if families[f] {
					fams = append(fams, f)
				}
			}
			return nil, badInput(InputModels, "", "unknown %q (valid: %s, or %s)", name, strings.Join(reg.Names(), ", "), strings.Join(fams, ", "))
		}
		for _, a := range add {
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	return out, nil
}

// ParseParams parses parameter specs: workload.key=value, or a sweep
// workload.key=a..b/xK (geometric: a, a·K, … ≤ b) or a..b/+K (arithmetic).
// Values are integers; underscores and an exponent are accepted (1_000_000,
// 1e6). It returns the fixed overrides and the sweeps apart.
func ParseParams(specs []string) (fixed map[string]map[string]int64, sweeps map[string]map[string][]int64, err error) {
	fixed, sweeps = map[string]map[string]int64{}, map[string]map[string][]int64{}
	for _, spec := range specs {
		key, val, ok := strings.Cut(spec, "=")
		wl, name, ok2 := strings.Cut(key, ".")
		if !ok || !ok2 || wl == "" || name == "" {
			return nil, nil, badInput(InputParams, strconv.Quote(spec), "want workload.key=value or workload.key=a..b/xK, e.g. cpu.n=200000")
		}
		w, err := workloads.Lookup(wl)
		if err != nil {
			return nil, nil, badInput(InputParams, strconv.Quote(spec), "%v", err)
		}
		values, err := parseValues(val)
		if err != nil {
			return nil, nil, badInput(InputParams, strconv.Quote(spec), "%v", err)
		}
		for _, v := range values {
			if _, err := w.Resolve(map[string]int64{name: v}); err != nil {
				return nil, nil, badInput(InputParams, strconv.Quote(spec), "%s", strings.TrimPrefix(err.Error(), workloads.ErrBadParam.Error()+": "))
			}
		}
		if len(values) == 1 && !strings.Contains(val, "..") {
			if fixed[wl] == nil {
				fixed[wl] = map[string]int64{}
			}
			fixed[wl][name] = values[0]
			continue
		}
		if sweeps[wl] == nil {
			sweeps[wl] = map[string][]int64{}
		}
		sweeps[wl][name] = values
	}
	return fixed, sweeps, nil
}

// MaxSweep is the most values one swept parameter may take.
const MaxSweep = 64

// parseValues parses "v", "a..b/xK" or "a..b/+K".
func parseValues(s string) ([]int64, error) {
	const accepted = `accepted: an integer, a..b/xK (geometric, K ≥ 2) or a..b/+K (arithmetic, K ≥ 1)`
	rng, step, hasStep := strings.Cut(s, "/")
	lo, hi, isRange := strings.Cut(rng, "..")
	if !isRange {
		if hasStep {
			return nil, fmt.Errorf("%q: a step needs a range; %s", s, accepted)
		}
		v, err := parseInt(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer; %s", s, accepted)
		}
		return []int64{v}, nil
	}
	a, err1 := parseInt(lo)
	b, err2 := parseInt(hi)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("%q: range ends must be integers; %s", s, accepted)
	}
	if b < a {
		return nil, fmt.Errorf("%q: range runs backwards", s)
	}
	if !hasStep || len(step) < 2 || (step[0] != 'x' && step[0] != '+') {
		return nil, fmt.Errorf("%q: a range needs a step /xK or /+K; %s", s, accepted)
	}
	k, err := parseInt(step[1:])
	if err != nil || (step[0] == 'x' && k < 2) || k < 1 {
		return nil, fmt.Errorf("%q: bad step %q; %s", s, step, accepted)
	}
	if step[0] == 'x' && a < 1 {
		return nil, fmt.Errorf("%q: a geometric range starts at 1 or more", s)
	}
	var out []int64
	for v := a; v <= b; {
		out = append(out, v)
		if len(out) > MaxSweep {
			return nil, fmt.Errorf("%q: more than %d values", s, MaxSweep)
		}
		if step[0] == 'x' {
			if v > b/k {
				break
			}
			v *= k
		} else {
			v += k
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
		return badInput(InputTrials, fmt.Sprint(p.Trials), "at least 1 trial per cell")
	}
	if p.Warmup < 0 {
		return badInput(InputWarmup, fmt.Sprint(p.Warmup), "cannot be negative (0 or more)")
	}
	if p.Chunk < 0 {
		return badInput(InputChunk, fmt.Sprint(p.Chunk), "0 (automatic) or a positive task count")
	}
	if p.Timeout <= 0 {
		return badInput(InputTimeout, fmt.Sprint(p.Timeout), "must be positive, e.g. 5m")
	}
	if p.CellBudget < 0 {
		return badInput(InputCellBudget, fmt.Sprint(p.CellBudget), "0 (none) or a positive duration")
	}
	if !contains(Scalings, p.Scaling) {
		return badInput(InputScaling, strconv.Quote(p.Scaling), "accepted: %s", strings.Join(Scalings, ", "))
	}
	if len(p.Models) == 0 || len(p.Workloads) == 0 {
		return usageError("no models or no workloads to run")
	}
	for _, m := range p.Models {
		if _, err := reg.Lookup(m); err != nil {
			return badInput(InputModels, "", "%v", err)
		}
	}
	for _, w := range p.Workloads {
		wl, err := workloads.Lookup(w)
		if err != nil {
			return badInput(InputWorkloads, "", "%v", err)
		}
		if _, err := wl.Resolve(p.Params[w]); err != nil {
			return badInput(InputParams, "", "%v", err)
		}
	}
	for w, sw := range p.Sweeps {
		if !contains(p.Workloads, w) {
			return badInput(InputParams, "", "sweeps %s.*, but workload %s is not in this run (%s %s)", w, w, InputWorkloads, strings.Join(p.Workloads, ","))
		}
		for k := range sw {
			if _, dup := p.Params[w][k]; dup {
				return badInput(InputParams, w+"."+k, "given both as a value and as a sweep")
			}
		}
	}
	if p.Rounds < 1 {
		return badInput(InputRounds, fmt.Sprint(p.Rounds), "at least 1")
	}
	if p.Trials < p.Rounds && p.TargetCI == 0 {
		return badInput(InputTrials, fmt.Sprint(p.Trials), "fewer than %s %d: every round needs a trial of every cell", InputRounds, p.Rounds)
	}
	if p.TargetCI < 0 || p.TargetCI >= 1 {
		return badInput(InputTargetCI, fmt.Sprint(p.TargetCI), "a fraction between 0 and 1, e.g. 2%%")
	}
	if p.MinTime < 0 {
		return badInput(InputMinTime, fmt.Sprint(p.MinTime), "0 (one warm pass) or a positive duration")
	}
	if p.MaxTime < 0 {
		return badInput(InputMaxTime, fmt.Sprint(p.MaxTime), "0 (none) or a positive duration")
	}
	for w := range p.Params {
		if !contains(p.Workloads, w) {
			return badInput(InputParams, "", "sets %s.*, but workload %s is not in this run (%s %s)", w, w, InputWorkloads, strings.Join(p.Workloads, ","))
		}
	}
	return p.checkMemory(reg)
}

// checkMemory refuses the plan when a cell's memory estimate exceeds
// MemoryLimit: the cell would swap, or be killed halfway through the run.
// Cells run one at a time, so each is held against the whole limit.
func (p *Plan) checkMemory(reg models.Registry) error {
	limit, what := p.MemoryLimit, "the memory limit"
	if limit == 0 {
		avail, err := MemAvailable()
		if err != nil {
			return nil // no figure to hold cells against
		}
		limit, what = avail, "MemAvailable in /proc/meminfo"
	}
	if limit < 0 {
		return nil
	}
	for _, s := range p.CellSpecs(reg) {
		m, _ := reg.Lookup(s.Model)
		wl, _ := workloads.Lookup(s.Workload)
		tasks := wl.Count(s.Params, s.Scale)
		if need := models.MemoryEstimate(m, tasks, s.Cores); need > limit {
			return badInput(InputParams, "", "the %s cell of %s[%s] at c=%d needs about %s of memory (%d tasks), more than the %s free here (%s); lower the task count, the cores or leave %s out",
				s.Model, s.Workload, workloads.FormatParams(s.Params), s.Cores, gib(need), tasks, gib(limit), what, s.Model)
		}
	}
	return nil
}

func gib(b int64) string {
	return strconv.FormatFloat(float64(b)/(1<<30), 'f', 1, 64) + " GiB"
}

// Baselines returns the baseline models the plan measures at c = 1 for
// every workload, asked for or not: sequential always, and the baseline
// of every other family the plan asks a model of (py-sequential for the
// py-* models) where the registry has it. Each family's speedups are
// measured against its own baseline (runfile.BaselineModel).
func (p *Plan) Baselines(reg models.Registry) []string {
	out := []string{"sequential"}
	for _, name := range p.Models {
		m, err := reg.Lookup(name)
		if err != nil {
			continue
		}
		base := runfile.BaselineModel(models.FamilyOf(m))
		if _, err := reg.Lookup(base); err == nil && !slices.Contains(out, base) {
			out = append(out, base)
		}
	}
	return out
}

// CellSpecs expands the plan into cell specs, in run order: per workload
// and per combination of its swept parameters, the baselines at c = 1
// first (always, see Baselines), then each other model at each core
// count. Models that run at c = 1 only get one cell. Params of every spec
// are fully resolved.
func (p *Plan) CellSpecs(reg models.Registry) []cellrun.Spec {
	bases := p.Baselines(reg)
	var specs []cellrun.Spec
	for _, w := range p.Workloads {
		wl, _ := workloads.Lookup(w)
		for _, combo := range combinations(p.Sweeps[w]) {
			over := map[string]int64{}
			for k, v := range p.Params[w] {
				over[k] = v
			}
			for k, v := range combo {
				over[k] = v
			}
			params, _ := wl.Resolve(over)
			mk := func(model string, c int) cellrun.Spec {
				scale := 1
				if p.Scaling == "weak" {
					scale = c
				}
				return cellrun.Spec{
					Workload: w, Params: params, Scale: scale, Model: model, Cores: c,
					Chunk: p.Chunk, Warmup: p.Warmup, Trials: p.Trials,
					BudgetNs: p.CellBudget.Nanoseconds(),
					TargetCI: p.TargetCI, MaxTimeNs: p.MaxTime.Nanoseconds(),
					MinTimeNs: p.MinTime.Nanoseconds(),
				}
			}
			for _, name := range bases {
				specs = append(specs, mk(name, 1))
			}
			for _, name := range p.Models {
				if slices.Contains(bases, name) {
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
	}
	return specs
}

// combinations returns every combination of the swept values, in sweep
// order of the keys sorted by name; one empty combination without sweeps.
func combinations(sweeps map[string][]int64) []map[string]int64 {
	keys := make([]string, 0, len(sweeps))
	for k := range sweeps {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := []map[string]int64{{}}
	for _, k := range keys {
		var next []map[string]int64
		for _, base := range out {
			for _, v := range sweeps[k] {
				m := map[string]int64{k: v}
				for bk, bv := range base {
					m[bk] = bv
				}
				next = append(next, m)
			}
		}
		out = next
	}
	return out
}
