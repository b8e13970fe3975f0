package runfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mpbench/mpbench/stats"
	"github.com/mpbench/mpbench/workloads"
)

// Schema and SchemaVersion identify a run file. A reader of another
// version says so instead of guessing.
const (
	Schema        = "mpbench.run"
	SchemaVersion = 1
)

// ErrSchema is wrapped when a file is not a run file of a known version.
var ErrSchema = errors.New("not an mpbench run file of a known schema")

// Run is one sweep: its environment, configuration and cells. It is the
// content of run.json.
type Run struct {
	Schema  string `json:"schema"`
	Version int    `json:"version"`
	Env     Env    `json:"env"`
	Config  Config `json:"config"`
	Cells   []Cell `json:"cells"`
	// Skipped lists models that were asked for but cannot run here, and why.
	Skipped []Skip `json:"skipped,omitempty"`
	// Models records each model of the run as the model table names it
	// (family, twin, colour, marker). Optional: files without it still
	// read (schema version 1), and readers fall back (see ModelInfo).
	Models []ModelInfo `json:"models,omitempty"`
	// BreakEven holds, for runs that sweep one parameter of a workload, the
	// smallest value at which each model beats sequential.
	BreakEven []BreakEven `json:"break_even,omitempty"`
	// Fits are the scaling fits per (workload, model), computed by
	// Summarize. Optional: files without it still read (schema version 1).
	Fits []Fit `json:"fits,omitempty"`
	// Warnings are about the run as a whole, e.g. too few trials for any
	// comparison to find a change. Optional within version 1.
	Warnings []string `json:"warnings,omitempty"`
	// Status is "running" while cells are still being added, then
	// "complete", "interrupted" or "failed" (some cells failed).
	Status   string `json:"status"`
	Started  string `json:"started"`
	Finished string `json:"finished,omitempty"`
}

// Env describes where and with what a run was made.
type Env struct {
	Host        string `json:"host"`
	CPUModel    string `json:"cpu_model"`
	LogicalCPUs int    `json:"logical_cpus"`
	AllowedCPUs string `json:"allowed_cpus"`
	Kernel      string `json:"kernel"`
	OS          string `json:"os"`
	Arch        string `json:"arch"`
	GoVersion   string `json:"go_version"`
	Version     string `json:"mpbench_version"`
	Revision    string `json:"vcs_revision,omitempty"`
	Modified    bool   `json:"vcs_modified,omitempty"`
	// WorkerExecutable is the executable every cell runner and worker
	// process was started from (mpbench-worker), and WorkerBytes its size.
	WorkerExecutable string `json:"worker_executable,omitempty"`
	WorkerBytes      int64  `json:"worker_bytes,omitempty"`
	// WorkerRevision is the commit that executable was built from, as its
	// build info says (empty when it was built outside a repository).
	// Optional within version 1.
	WorkerRevision string `json:"worker_revision,omitempty"`
	// Side and WorkerSource are set on the two runs of an A/B run
	// (mpbench ab): Side is "old" or "new", and WorkerSource what the
	// command line named that side's worker by (an executable's path or a
	// git revision). Optional within version 1.
	Side         string `json:"side,omitempty"`
	WorkerSource string `json:"worker_source,omitempty"`
	// Cgo says whether that executable was built with cgo: a dynamically
	// linked one starts every worker process slower.
	Cgo         bool     `json:"cgo"`
	CommandLine []string `json:"command_line"`
	// ProbeStart and ProbeEnd are the machine's primitive costs measured
	// before the first cell and after the last (mpbench run --probe on).
	// Optional within version 1.
	ProbeStart *Probe `json:"probe_start,omitempty"`
	ProbeEnd   *Probe `json:"probe_end,omitempty"`
}

// Config is the resolved plan of a run.
type Config struct {
	Cores         []int                         `json:"cores"`
	Models        []string                      `json:"models"`
	Workloads     []string                      `json:"workloads"`
	Params        map[string]map[string]int64   `json:"params"`
	Scaling       string                        `json:"scaling"`
	Warmup        int                           `json:"warmup"`
	Trials        int                           `json:"trials"`
	Chunk         int                           `json:"chunk"`
	TimeoutNs     int64                         `json:"timeout_ns"`
	CellBudgetNs  int64                         `json:"cell_budget_ns,omitempty"`
	Oversubscribe bool                          `json:"oversubscribe"`
	Sweeps        map[string]map[string][]int64 `json:"sweeps,omitempty"`
	Rounds        int                           `json:"rounds"`
	TargetCI      float64                       `json:"target_ci,omitempty"`
	MaxTimeNs     int64                         `json:"max_time_ns,omitempty"`
	// MinTimeNs is --min-time (see Cell.Passes); absent in older files.
	MinTimeNs int64 `json:"min_time_ns,omitempty"`
	Seed      int64 `json:"seed,omitempty"`
}

// Cell is one (workload, model, cores) point of a sweep with its raw
// trials and summary.
//
// Tasks is how many tasks each trial really ran. Params are the workload's
// parameters as the run asked for them, before scaling: under weak scaling
// Tasks is the task count the parameters give (params.tasks for cpu)
// times Scale, the cell's cores.
type Cell struct {
	Workload string           `json:"workload"`
	Model    string           `json:"model"`
	Cores    int              `json:"cores"`
	Tasks    int              `json:"tasks"`
	Params   map[string]int64 `json:"params"`
	// Scale multiplies the task count of Params (weak scaling: the
	// cores). Optional within version 1: absent means 1.
	Scale int `json:"scale,omitempty"`
	Chunk int `json:"chunk"`
	// CPUs is the Cpus_allowed_list the cell runner really had.
	CPUs           string `json:"cpus,omitempty"`
	Oversubscribed bool   `json:"oversubscribed,omitempty"`
	// TrialsPlanned is how many trials were asked for; len(Trials) may be
	// fewer when Stopped says why: "budget", "max-time", "trial-cap", or
	// "timeout" (the cell's time limit came after 3 or more trials had
	// finished; they are kept and summarised, with a warning).
	TrialsPlanned int    `json:"trials_planned"`
	Stopped       string `json:"stopped,omitempty"`
	Warmups       int    `json:"warmups"`
	// Passes is K, the warm passes of the measured trials, picked from
	// --min-time (MinTimeNs of the plan) and the fastest warm pass seen
	// before each trial: K can only rise within a cell, so this is the
	// last, largest K; each trial records its own (Trial.Passes). Absent
	// in older files (one pass per trial), optional within version 1.
	Passes   int      `json:"passes,omitempty"`
	Trials   []Trial  `json:"trials"`
	Summary  *Summary `json:"summary,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
	Error    string   `json:"error,omitempty"`
	WallNs   int64    `json:"wall_ns"`
	// OtherLoad is the share of the cell's CPUs that other processes took
	// while its trials ran (from /proc/stat, less the cell's own CPU time;
	// see cellrun.OtherLoad), from the end of its first measured trial to
	// its last; the highest of its rounds. Optional within version 1:
	// absent where it was not measured (fewer than 2 trials, no
	// /proc/stat).
	OtherLoad *float64 `json:"other_load,omitempty"`
}

// Failed reports whether the cell ended in an error.
func (c *Cell) Failed() bool { return c.Error != "" }

// ComputeTimes returns the compute time of each trial, in nanoseconds.
func (c *Cell) ComputeTimes() []float64 {
	xs := make([]float64, len(c.Trials))
	for i, t := range c.Trials {
		xs[i] = float64(t.ComputeNs)
	}
	return xs
}

// Key identifies a cell within a run: variant, model and cores.
func (c *Cell) Key() string { return fmt.Sprintf("%s/%s/%d", c.Variant(), c.Model, c.Cores) }

// Variant names the workload with the parameters that differ from its
// defaults, e.g. "cpu[n=1000]", or just "cpu": cells of one variant share a
// sequential baseline.
func (c *Cell) Variant() string {
	var defaults map[string]int64
	if w, err := workloads.Lookup(c.Workload); err == nil {
		defaults, _ = w.Resolve(nil)
	}
	keys := make([]string, 0, len(c.Params))
	for k, v := range c.Params {
		if d, ok := defaults[k]; !ok || d != v {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return c.Workload
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, c.Params[k])
	}
	return c.Workload + "[" + strings.Join(parts, ",") + "]"
}

// Baseline returns the baseline of c: the passing cell at c = 1 of its
// family's baseline model (BaselineModel: sequential for Go models,
// py-sequential for Python's) with the same workload and parameter values
// (the same Variant), or nil. Under weak scaling that cell ran at scale 1;
// callers scale its time to c's task count.
func (r *Run) Baseline(c *Cell) *Cell {
	variant := c.Variant()
	model := BaselineModel(r.Family(c.Model))
	for i := range r.Cells {
		b := &r.Cells[i]
		if b.Workload == c.Workload && b.Model == model && b.Cores == 1 && !b.Failed() && len(b.Trials) > 0 &&
			b.Variant() == variant {
			return b
		}
	}
	return nil
}

// Trial is one timed execution of a cell.
type Trial struct {
	SetupNs int64 `json:"setup_ns"`
	// ComputeNs is one pass over every task: the mean of the trial's
	// Passes warm passes (the same workers, after the cold pass), or,
	// in files without Passes, the trial's one pass.
	ComputeNs  int64 `json:"compute_ns"`
	TeardownNs int64 `json:"teardown_ns"`
	// ColdNs is the trial's first pass, on a fresh session; Passes the
	// warm passes after it that ComputeNs averages. Both absent in older
	// files (one pass, ComputeNs), optional within version 1.
	ColdNs int64 `json:"cold_ns,omitempty"`
	Passes int   `json:"passes,omitempty"`
	// UserNs and SysNs are the CPU time of the whole process tree of the
	// trial: the cell runner and every child it reaped.
	UserNs int64 `json:"user_ns"`
	SysNs  int64 `json:"sys_ns"`
	// PeakRSSBytes is the cell runner's peak resident set so far plus the
	// peak of each child reaped in this trial: an upper bound of the tree's
	// peak.
	PeakRSSBytes int64              `json:"peak_rss_bytes"`
	Workers      []int              `json:"workers,omitempty"`
	Metrics      map[string]float64 `json:"metrics,omitempty"`
	// Info is what the model said of itself (e.g. the Python version).
	Info map[string]string `json:"info,omitempty"`
	// MinFlt, MajFlt, Nvcsw and Nivcsw count the minor and major page
	// faults and the voluntary and involuntary context switches of the
	// trial's whole process tree, as UserNs and SysNs are counted
	// (getrusage). Optional within version 1: absent in older files.
	MinFlt int64 `json:"minflt,omitempty"`
	MajFlt int64 `json:"majflt,omitempty"`
	Nvcsw  int64 `json:"nvcsw,omitempty"`
	Nivcsw int64 `json:"nivcsw,omitempty"`
	// Warm holds the same counters over the warm passes only (Passes of
	// them), which the cell runner reads for itself and its live workers;
	// absent in older files (optional within version 1).
	Warm *WarmCounters `json:"warm,omitempty"`
	// Accounts holds one entry per worker that ran tasks, for the models
	// that keep accounts (models.Account), summed over the trial's warm
	// passes (its tasks count each of Passes passes); absent for the
	// others, and in older files (optional within version 1).
	Accounts []Account `json:"accounts,omitempty"`
	// EdgeIdleNs is the workers' idle time at the ends of the warm passes,
	// summed over workers and passes: for each worker of a pass, from the
	// pass's start to its first chunk's start and from its last chunk's
	// end to the pass's end (a worker that ran no chunk idled the whole
	// pass), all CLOCK_MONOTONIC. Absent where the model keeps no accounts
	// or they lack the chunk times, and in older files (optional within
	// version 1). EdgeNegative counts the worker-passes whose edge came
	// out negative: a chunk outside its pass, a bug; they are summed as
	// they are, not clipped.
	EdgeIdleNs   *int64 `json:"edge_idle_ns,omitempty"`
	EdgeNegative int    `json:"edge_negative,omitempty"`
}

// Account is one worker's share of a trial: its time inside the task
// function, the tasks it ran in how many timed chunks, and the CPU it ran
// on (-1: unknown).
type Account struct {
	BusyNs int64 `json:"busy_ns"`
	Tasks  int   `json:"tasks"`
	Chunks int   `json:"chunks"`
	CPU    int   `json:"cpu"`
}

// Summary is the statistics of a cell. Derived figures that need the
// sequential baseline are nil when it is missing.
type Summary struct {
	MedianNs float64 `json:"median_ns"`
	CILowNs  float64 `json:"ci_low_ns"`
	CIHighNs float64 `json:"ci_high_ns"`
	CV       float64 `json:"cv"`
	// Compute is the full distribution of the compute phase (ns).
	Compute  stats.Dist `json:"compute"`
	SetupNs  float64    `json:"setup_median_ns"`
	TeardnNs float64    `json:"teardown_median_ns"`
	// ColdNs is the median cold pass (Trial.ColdNs), the first pass of a
	// fresh session, beside MedianNs, the warm per-pass median; nil for
	// cells without cold passes (older files).
	ColdNs *float64 `json:"cold_median_ns,omitempty"`

	// Speedup is T(sequential) / T(model, c), with T(sequential) scaled to
	// the cell's task count under weak scaling.
	Speedup *float64 `json:"speedup"`
	// RelSpeedup is T(model, 1) / T(model, c) (scaled likewise).
	RelSpeedup *float64 `json:"relative_speedup"`
	// Efficiency is Speedup / c.
	Efficiency *float64 `json:"efficiency"`
	// OverheadNsPerTask is (c·T(model, c) − T(sequential)) / tasks: core
	// time lost per task against the ideal.
	OverheadNsPerTask *float64 `json:"overhead_ns_per_task"`
	// SpeedupCILow..SpeedupCIHigh and OverheadCILow..OverheadCIHigh bound
	// Speedup and OverheadNsPerTask, from the confidence intervals of the
	// two medians they divide or subtract (see Suspect). Optional within
	// version 1: absent in older files, and for a baseline against itself.
	SpeedupCILow   *float64 `json:"speedup_ci_low,omitempty"`
	SpeedupCIHigh  *float64 `json:"speedup_ci_high,omitempty"`
	OverheadCILow  *float64 `json:"overhead_ci_low,omitempty"`
	OverheadCIHigh *float64 `json:"overhead_ci_high,omitempty"`

	// EffectiveCores is the median over trials of the cores the machine
	// gave the cell's workers, in sequential CPUs: Σ over workers of
	// (tasks · T(sequential)/task) / busy time, capped at c. CeilingSpeedup
	// is the same figure, read as the highest speedup those cores allow, and
	// OfCeiling the median over trials of speedup / effective cores. Each
	// has the 95 % CI of its median. Optional within version 1: absent
	// where the model keeps no accounts or the baseline is missing.
	EffectiveCores       *float64 `json:"effective_cores,omitempty"`
	EffectiveCoresCILow  *float64 `json:"effective_cores_ci_low,omitempty"`
	EffectiveCoresCIHigh *float64 `json:"effective_cores_ci_high,omitempty"`
	CeilingSpeedup       *float64 `json:"ceiling_speedup,omitempty"`
	OfCeiling            *float64 `json:"of_ceiling,omitempty"`
	OfCeilingCILow       *float64 `json:"of_ceiling_ci_low,omitempty"`
	OfCeilingCIHigh      *float64 `json:"of_ceiling_ci_high,omitempty"`
	// CPUSpeeds is, per CPU (its number), the median over trials of the
	// sum of the speeds of the workers last seen on it: which CPU gave
	// less. Optional within version 1, as EffectiveCores.
	CPUSpeeds map[string]float64 `json:"cpu_speeds,omitempty"`

	CPUNs        float64            `json:"cpu_ns"`
	PeakRSSBytes int64              `json:"peak_rss_bytes"`
	Metrics      map[string]float64 `json:"metrics,omitempty"`
	// Counters is the median per trial of each of Trial's counters
	// (minflt, majflt, nvcsw, nivcsw); nil when the trials have none.
	Counters map[string]float64 `json:"counters,omitempty"`
	// Attribution splits OverheadNsPerTask into its causes. Optional
	// within version 1: absent where the cell has no baseline.
	Attribution *Attribution `json:"attribution,omitempty"`
}

// Suspect reports whether the summary of a cell at cores c holds a figure
// that no model can reach against a sound baseline: a speedup above c (a
// negative overhead is the same condition), or above the effective cores
// the machine gave the cell (OfCeiling above 1), beyond its confidence
// interval (the whole interval past the bound). Its baseline was then
// slower than the model's own workers ran. Such a cell is flagged and never
// ranked best. Without the intervals (older files) it is never suspect.
func (s *Summary) Suspect(cores int) bool { return s.SuspectReason(cores) != "" }

// SuspectReason says which bound makes the summary suspect (see Suspect),
// or "" when none does.
func (s *Summary) SuspectReason(cores int) string {
	switch {
	case s == nil:
		return ""
	case (s.SpeedupCILow != nil && *s.SpeedupCILow > float64(cores)) ||
		(s.OverheadCIHigh != nil && *s.OverheadCIHigh < 0):
		return "speedup above c beyond its CI"
	case s.OfCeilingCILow != nil && *s.OfCeilingCILow > 1:
		return "speedup above its effective cores beyond its CI"
	}
	return ""
}

// Skip is a model left out of a run.
type Skip struct {
	Model  string `json:"model"`
	Reason string `json:"reason"`
}

// BreakEven is the task size from which a model beats sequential at the
// largest core count it ran: the smallest swept value v such that its
// speedup is above 1 at v and at every larger value measured. Value is nil
// when it never gets there; Note says so.
type BreakEven struct {
	Workload string `json:"workload"`
	Param    string `json:"param"`
	Model    string `json:"model"`
	Cores    int    `json:"cores"`
	Value    *int64 `json:"value"`
	Note     string `json:"note,omitempty"`
}

// Speedup bases of a Fit.
const (
	// BasisRelative fits T(model, 1) / T(model, c): how the model itself
	// scales, the classical definition of the scaling laws.
	BasisRelative = "relative"
	// BasisSequential fits T(sequential) / T(model, c), used when the
	// model has no c = 1 cell: sequential stands in for T(1).
	BasisSequential = "sequential"
)

// Fit is the scaling analysis of one (workload, model, parameters) over
// its core counts (see infer.FitScaling), with what the fit of a run adds:
// which speedup was fitted and notes on the cells it left out.
type Fit struct {
	Workload string           `json:"workload"`
	Model    string           `json:"model"`
	Params   map[string]int64 `json:"params,omitempty"`
	// Basis says which speedup was fitted: BasisRelative or
	// BasisSequential.
	Basis string `json:"basis"`
	stats.ScalingFit
	Notes []string `json:"notes,omitempty"`
}

// Encode writes r as indented JSON.
func (r *Run) Encode(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// Decode reads a run file, checks its schema and version and validates
// its numbers (Validate). It reads at most MaxBytes.
func Decode(rd io.Reader) (*Run, error) {
	data, err := io.ReadAll(io.LimitReader(rd, MaxBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxBytes {
		return nil, tooLarge()
	}
	var head struct {
		Schema  string `json:"schema"`
		Version int    `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSchema, err)
	}
	if head.Schema != Schema {
		return nil, fmt.Errorf("%w: schema is %q, want %q", ErrSchema, head.Schema, Schema)
	}
	if head.Version != SchemaVersion {
		return nil, fmt.Errorf("%w: schema version %d, this mpbench reads version %d", ErrSchema, head.Version, SchemaVersion)
	}
	var r Run
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSchema, err)
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

func tooLarge() error {
	return fmt.Errorf("%w: over %d MiB, the most a run file may hold", ErrTooLarge, MaxBytes>>20)
}

// Load reads a run from a run.json file or a run folder holding one. A
// file over MaxBytes is refused before it is read.
func Load(path string) (*Run, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, "run.json")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Refuse a large file before reading any of it.
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > MaxBytes {
		return nil, fmt.Errorf("%s: %w", path, tooLarge())
	}
	r, err := Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// WriteFileAtomic writes data to path through a temporary file in the same
// folder, synced and renamed, so a reader never sees a half-written file
// and a crash leaves the previous version.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Save writes the run to dir/run.json atomically.
func (r *Run) Save(dir string) error {
	var buf bytes.Buffer
	if err := r.Encode(&buf); err != nil {
		return err
	}
	if err := WriteFileAtomic(filepath.Join(dir, "run.json"), buf.Bytes()); err != nil {
		return fmt.Errorf("save run: %w", err)
	}
	return nil
}
