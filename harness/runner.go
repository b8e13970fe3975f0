package harness

import (
	"context"
	"debug/buildinfo"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/mpbench/mpbench/harness/cellrun"
	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/runfile"
	"github.com/mpbench/mpbench/worker"
	"golang.org/x/sys/unix"
)

// ErrInterrupted is returned when the run was cancelled (Ctrl-C); the cells
// completed before are in the run file.
var ErrInterrupted = errors.New("run interrupted")

// ErrNothingRan is returned when every model asked for was skipped.
var ErrNothingRan = errors.New("nothing ran")

// ErrCellsFailed is returned when at least one cell failed; the others ran.
var ErrCellsFailed = errors.New("some cells failed")

// Progress is reported while a run goes on.
type Progress struct {
	Index, Total  int // 1-based cell index
	Cell          string
	Trial, Trials int
	Done          bool // the cell finished (Err says how)
	Err           string
	// MedianNs is, once Done, the median compute time of the cell's
	// trials so far (every round's); 0 when it has none.
	MedianNs float64
}

// Options configure Execute.
type Options struct {
	// Registry holds the models the plan names; it must contain
	// "sequential".
	Registry models.Registry
	// Dir is the run folder; run.json is rewritten there after every cell.
	Dir string
	// Env is recorded in the run file (see CollectEnv).
	Env runfile.Env
	// Executable is what every cell runner, and so every worker process,
	// is started from (mpbench-worker); empty means this process's own
	// executable (a test binary that serves the roles).
	Executable string
	// Progress, when set, is called from the running goroutine.
	Progress func(Progress)
	// OnCellStart, when set, gets each cell runner's PID.
	OnCellStart func(pid int)
	// Table is the model table as the run file records it
	// (models/all.Infos): Execute records the entries of the models that
	// run in Run.Models, in table order. Optional.
	Table []runfile.ModelInfo
}

// Execute runs the plan cell by cell and returns the run. After every cell
// the run file is rewritten atomically. It returns ErrInterrupted when ctx
// is cancelled and ErrCellsFailed when any cell failed; the run is returned
// (and saved) in both cases.
func Execute(ctx context.Context, plan *Plan, opt Options) (*runfile.Run, error) {
	runs, err := ExecuteSides(ctx, plan, opt, []Side{{Dir: opt.Dir, Env: opt.Env, Executable: opt.Executable}})
	if runs == nil {
		return nil, err
	}
	return runs[0], err
}

// Side is one build of an A/B run: its cells run in cell runners started
// from Executable, and its run file, with Env, is kept in Dir.
type Side struct {
	// Name tells the side's visits apart in progress ("old", "new").
	Name       string
	Dir        string
	Env        runfile.Env
	Executable string
}

// ExecuteSides runs the plan once for every side, in one sweep, and
// returns a run per side, in the order of sides. Each round visits the
// cells in a shuffled order (plan order with one round), and each cell's
// visits to the sides come back to back, the side that goes first taking
// turns from cell to cell and round to round: a drift in the machine's
// speed then falls on every side alike, and so does whatever the first of
// two back-to-back visits leaves the second (a warm page cache, a hot or
// cooling CPU); a comparison of the sides' runs measures the builds, not
// the hour. Options.Dir, Env and Executable are not used; errors are
// Execute's.
func ExecuteSides(ctx context.Context, plan *Plan, opt Options, sides []Side) ([]*runfile.Run, error) {
	if len(sides) == 0 {
		return nil, errors.New("harness: no side to run")
	}
	if _, err := opt.Registry.Lookup("sequential"); err != nil {
		return nil, fmt.Errorf("harness: the registry has no sequential baseline")
	}
	p := *plan
	if p.Rounds == 0 {
		p.Rounds = 1
	}
	plan = &p
	if err := plan.Check(opt.Registry); err != nil {
		return nil, err
	}
	// Leave out models that cannot run here, saying why, once.
	var skipped []runfile.Skip
	var keep []string
	for _, name := range plan.Models {
		m, _ := opt.Registry.Lookup(name)
		if a, ok := m.(models.Availability); ok {
			if err := a.Available(); err != nil {
				skipped = append(skipped, runfile.Skip{Model: name, Reason: err.Error()})
				continue
			}
		}
		keep = append(keep, name)
	}
	if len(keep) == 0 {
		return nil, fmt.Errorf("%w: every model asked for was skipped: %s", ErrNothingRan, skipReasons(skipped))
	}
	plan.Models = keep
	// Temporary folders of an earlier run whose processes were killed
	// outright (SIGKILL) go now; a folder of a run still going stays.
	worker.SweepStale(os.TempDir())
	avail, err := worker.AllowedCPUs()
	if err != nil {
		return nil, err
	}
	runs := make([]*runfile.Run, len(sides))
	for s, side := range sides {
		run := &runfile.Run{
			Schema: runfile.Schema, Version: runfile.SchemaVersion, Env: side.Env, Status: "running",
			Started: time.Now().UTC().Format(time.RFC3339),
			Config: runfile.Config{
				Cores: plan.Cores, Models: plan.Models, Workloads: plan.Workloads, Params: plan.Params,
				Scaling: plan.Scaling, Warmup: plan.Warmup, Trials: plan.Trials, Chunk: plan.Chunk,
				TimeoutNs: plan.Timeout.Nanoseconds(), CellBudgetNs: plan.CellBudget.Nanoseconds(),
				Oversubscribe: plan.Oversubscribe, Sweeps: plan.Sweeps, Rounds: plan.Rounds,
				TargetCI: plan.TargetCI, MaxTimeNs: plan.MaxTime.Nanoseconds(), Seed: plan.Seed,
				MinTimeNs: plan.MinTime.Nanoseconds(),
			},
			Cells:   []runfile.Cell{},
			Skipped: skipped,
			Models:  modelsOf(opt.Table, append(plan.Baselines(opt.Registry), plan.Models...)),
		}
		if w := plan.PowerWarning(opt.Registry); w != "" {
			run.Warnings = append(run.Warnings, w)
		}
		if err := run.Save(side.Dir); err != nil {
			return nil, err
		}
		runs[s] = run
	}
	// saveAll saves every side's run, whatever fails.
	saveAll := func() error {
		var errs []error
		for s, run := range runs {
			errs = append(errs, run.Save(sides[s].Dir))
		}
		return errors.Join(errs...)
	}
	specs := plan.CellSpecs(opt.Registry)
	visits := planVisits(specs, plan.Rounds, len(sides), rand.New(rand.NewPCG(uint64(plan.Seed), 0)))
	cells := make([][]*runfile.Cell, len(sides))
	for s := range cells {
		cells[s] = make([]*runfile.Cell, len(specs))
	}
	collect := func(s int) {
		run := runs[s]
		run.Cells = run.Cells[:0]
		for _, c := range cells[s] {
			if c != nil {
				run.Cells = append(run.Cells, *c)
			}
		}
		Summarize(run)
	}
	for i, v := range visits {
		spec, side := v.spec, sides[v.side]
		if prev := cells[v.side][v.index]; prev != nil && prev.Failed() {
			continue // a failed cell is not visited again
		}
		cpus, over := avail, spec.Cores > len(avail)
		if !over {
			cpus = avail[:spec.Cores]
		}
		name := fmt.Sprintf("%s %s c=%d", spec.Workload, spec.Model, spec.Cores)
		if side.Name != "" {
			name += " [" + side.Name + "]"
		}
		if plan.Rounds > 1 {
			name += fmt.Sprintf(" (round %d/%d)", v.round+1, plan.Rounds)
		}
		report := func(p Progress) {
			if opt.Progress != nil {
				p.Index, p.Total, p.Cell = i+1, len(visits), name
				opt.Progress(p)
			}
		}
		report(Progress{Trials: spec.Trials})
		cell, err := cellrun.Run(ctx, spec, cellrun.Options{
			Executable: side.Executable, CPUs: cpus, Oversubscribed: over, Timeout: plan.Timeout, OnStart: opt.OnCellStart,
			OnTrial: func(done, planned int) { report(Progress{Trial: done, Trials: planned}) },
		})
		if err != nil { // cancelled: the visit in flight is not recorded
			for s, run := range runs {
				run.Status, run.Finished = "interrupted", time.Now().UTC().Format(time.RFC3339)
				collect(s)
			}
			if serr := saveAll(); serr != nil {
				return runs, errors.Join(ErrInterrupted, serr)
			}
			return runs, ErrInterrupted
		}
		if prev := cells[v.side][v.index]; prev != nil {
			mergeCell(prev, cell)
		} else {
			cell.TrialsPlanned = v.total
			cells[v.side][v.index] = &cell
		}
		collect(v.side)
		if err := runs[v.side].Save(side.Dir); err != nil {
			return runs, err
		}
		report(Progress{Done: true, Err: cell.Error, Trial: len(cell.Trials), Trials: spec.Trials, MedianNs: medianOf(runs[v.side], cells[v.side], v.index)})
	}
	failed := 0
	for _, run := range runs {
		run.Status, run.Finished = "complete", time.Now().UTC().Format(time.RFC3339)
		n := 0
		for _, c := range run.Cells {
			if c.Failed() {
				n++
			}
		}
		if n > 0 {
			run.Status = "failed"
		}
		failed += n
	}
	if err := saveAll(); err != nil {
		return runs, err
	}
	if failed > 0 {
		return runs, fmt.Errorf("%w: %d of %d", ErrCellsFailed, failed, len(specs)*len(sides))
	}
	return runs, nil
}

// medianOf returns the summarized median of cells[i] as collected into
// run.Cells (which keeps the non-nil cells in order), or 0.
func medianOf(run *runfile.Run, cells []*runfile.Cell, i int) float64 {
	j := 0
	for _, c := range cells[:i] {
		if c != nil {
			j++
		}
	}
	if j < len(run.Cells) && run.Cells[j].Summary != nil {
		return run.Cells[j].Summary.MedianNs
	}
	return 0
}

// skipReasons says each reason once, with the models it left out.
func skipReasons(s []runfile.Skip) string {
	var order []string
	by := map[string][]string{}
	for _, k := range s {
		if by[k.Reason] == nil {
			order = append(order, k.Reason)
		}
		by[k.Reason] = append(by[k.Reason], k.Model)
	}
	var parts []string
	for _, r := range order {
		parts = append(parts, strings.Join(by[r], ", ")+": "+r)
	}
	return strings.Join(parts, "; ")
}

// visit is one run of a cell's share of trials in a fresh cell runner.
type visit struct {
	index int // into the specs
	round int
	side  int // into the sides of ExecuteSides
	total int // trials planned for the cell over all rounds
	spec  cellrun.Spec
}

// planVisits splits every cell's trials over rounds. With one round the
// cells are visited in plan order; with more, each round visits every cell
// once in a fresh shuffled order, so a drift in the machine's speed spreads
// over all cells instead of biasing the last ones. With more than one side
// a cell's visits to the sides follow each other, the first side taking
// turns: it is (round + cell index) mod sides, so over the rounds each
// cell goes to each side first equally often (when the rounds are a
// multiple of the sides), and within a round the cells share it out.
func planVisits(specs []cellrun.Spec, rounds, sides int, rng *rand.Rand) []visit {
	var out []visit
	for r := range rounds {
		order := make([]int, len(specs))
		for i := range order {
			order[i] = i
		}
		if rounds > 1 {
			rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		}
		for _, i := range order {
			s := specs[i]
			share := s.Trials / rounds
			if r < s.Trials%rounds {
				share++
			}
			if share == 0 {
				continue
			}
			total := s.Trials
			s.Trials = share
			s.BudgetNs /= int64(rounds)
			s.MaxTimeNs /= int64(rounds)
			for k := range sides {
				side := (r + i + k) % sides
				out = append(out, visit{index: i, round: r, side: side, total: total, spec: s})
			}
		}
	}
	return out
}

// mergeCell adds a later visit v to the cell c.
func mergeCell(c *runfile.Cell, v runfile.Cell) {
	c.Trials = append(c.Trials, v.Trials...)
	c.Warmups += v.Warmups
	c.WallNs += v.WallNs
	if v.Stopped != "" {
		c.Stopped = v.Stopped
	}
	if v.Error != "" && c.Error == "" {
		c.Error = v.Error
	}
	if c.CPUs == "" {
		c.CPUs = v.CPUs
	}
	if v.OtherLoad != nil && (c.OtherLoad == nil || *v.OtherLoad > *c.OtherLoad) {
		c.OtherLoad = v.OtherLoad
	}
}

// PrepareDir makes the run folder and proves it writable, so a bad folder
// fails before any cell runs. With dir empty it makes
// root/<UTC time>-<host>. A folder that already holds a run's files
// (RunFiles) is refused unless replace is set; then those files, and no
// others, are removed, so that no chart of the old run stays beside the new
// run file. It leaves nothing behind on failure; its errors are *InputError
// of InputOut, or of InputResults when dir was empty.
func PrepareDir(dir, root string, now time.Time, host string, replace bool) (string, error) {
	in := InputOut
	if dir == "" {
		in = InputResults
		dir = filepath.Join(root, now.UTC().Format("20060102T150405Z")+"-"+sanitize(host))
	}
	if old := RunFiles(dir); len(old) > 0 {
		if !replace {
			return "", badInput(in, dir, "already holds a run (%s); give %s to replace it", describeFiles(old), InputReplace)
		}
		for _, name := range old {
			if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return "", badInput(in, dir, "cannot remove the old run: %v", unwrapPath(err))
			}
		}
	}
	// Find the first folder that does not exist yet, to remove on failure.
	created := ""
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		}
		created = d
		if filepath.Dir(d) == d {
			break
		}
	}
	fail := func(err error) (string, error) {
		if created != "" {
			os.RemoveAll(created)
		}
		return "", badInput(in, dir, "cannot write there: %v", unwrapPath(err))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail(err)
	}
	f, err := os.CreateTemp(dir, ".probe*")
	if err != nil {
		return fail(err)
	}
	f.Close()
	os.Remove(f.Name())
	return dir, nil
}

// RunFiles returns the names of the files in dir that mpbench writes into
// a run folder: run.json and its temporary files, and the report's PNG
// charts, index.html and index.md. Other files are not mpbench's.
func RunFiles(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if !e.Type().IsRegular() {
			continue
		}
		if n == "run.json" || n == "index.html" || n == "index.md" || strings.HasSuffix(n, ".png") || strings.HasPrefix(n, ".run.json.tmp") {
			out = append(out, n)
		}
	}
	return out
}

// describeFiles names a few files and counts the rest.
func describeFiles(names []string) string {
	if len(names) <= 3 {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:3], ", "), len(names)-3)
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '_'
	}, s)
}

// CollectEnv describes this machine and build for the run file. exe is the
// executable cells and workers start from (Options.Executable; empty for
// this one): the run file records its path and size, and whether it was
// linked with cgo, which slows every worker's start.
func CollectEnv(version, revision string, modified bool, args []string, exe string) runfile.Env {
	host, _ := os.Hostname()
	env := runfile.Env{
		Host: host, LogicalCPUs: runtime.NumCPU(), OS: runtime.GOOS, Arch: runtime.GOARCH,
		GoVersion: runtime.Version(), Version: version, Revision: revision, Modified: modified,
		CommandLine: args, CPUModel: cpuModel(),
	}
	if cpus, err := worker.AllowedCPUs(); err == nil {
		env.AllowedCPUs = worker.FormatCPUList(cpus)
	}
	if exe == "" {
		exe, _ = os.Executable()
	}
	env.WorkerExecutable = exe
	if st, err := os.Stat(exe); err == nil {
		env.WorkerBytes = st.Size()
	}
	if bi, err := buildinfo.ReadFile(exe); err == nil {
		for _, kv := range bi.Settings {
			switch kv.Key {
			case "CGO_ENABLED":
				env.Cgo = kv.Value == "1"
			case "vcs.revision":
				env.WorkerRevision = kv.Value
			}
		}
	}
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		env.Kernel = unix.ByteSliceToString(u.Sysname[:]) + " " + unix.ByteSliceToString(u.Release[:])
	}
	return env
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// modelsOf returns the entries of table that name one of names, in table
// order.
func modelsOf(table []runfile.ModelInfo, names []string) []runfile.ModelInfo {
	var out []runfile.ModelInfo
	for _, m := range table {
		if slices.Contains(names, m.Name) {
			out = append(out, m)
		}
	}
	return out
}
