package gate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"time"

	"github.com/mpbench/mpbench/harness/cellrun"
	"github.com/mpbench/mpbench/harness/workerbuild"
	"github.com/mpbench/mpbench/stats/infer"
	"github.com/mpbench/mpbench/worker"
)

// target is one gated figure of one cell.
type target struct {
	cell   Cell
	figure Figure
}

func (g target) key() string { return g.cell.key() + " " + string(g.figure) }

func (o *Options) fill() error {
	if o.Registry == nil {
		o.Registry = mainRegistry
	}
	if o.Registry == nil {
		return errors.New("no registry: set Options.Registry or call gate.Main(m, registry) from TestMain")
	}
	if len(o.Figures) == 0 {
		o.Figures = []Figure{Time}
	}
	if o.Scaling == "" {
		o.Scaling = "strong"
	}
	if o.MaxSlowdown <= 0 {
		o.MaxSlowdown = 0.10
	}
	if o.Alpha <= 0 || o.Alpha >= 1 {
		o.Alpha = 0.05
	}
	if o.Trials <= 0 {
		o.Trials = 12
	}
	if o.Warmup <= 0 {
		o.Warmup = 1
	}
	if o.Rounds <= 0 {
		o.Rounds = 2
	}
	o.Rounds = min(o.Rounds, o.Trials)
	if o.Confirm <= 0 {
		o.Confirm = 2
	}
	switch {
	case o.Retries == 0:
		o.Retries = 2
	case o.Retries < 0:
		o.Retries = 0
	}
	if o.MaxContention == 0 {
		o.MaxContention = 0.15
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Minute
	}
	return nil
}

// targets expands the gated cells into (cell, figure) pairs, and checks
// that their trials can show anything at all after Holm.
func (o *Options) targets() ([]target, error) {
	if len(o.Cells) == 0 {
		return nil, errors.New("Options.Cells is empty: name the cells to gate")
	}
	var out []target
	for _, c := range o.Cells {
		if _, err := o.Registry.Lookup(c.Model); err != nil {
			return nil, fmt.Errorf("cell %s: %v", c.key(), err)
		}
		figs := c.Figures
		if len(figs) == 0 {
			figs = o.Figures
		}
		for _, f := range figs {
			switch f {
			case Speedup, Efficiency, Overhead, Time:
			default:
				return nil, fmt.Errorf("cell %s: unknown figure %q (time, speedup, efficiency, overhead)", c.key(), f)
			}
			if f.ratio() && c.Model == "sequential" {
				return nil, fmt.Errorf("cell %s: %s of sequential against itself is always 1; gate its time instead", c.key(), f)
			}
			out = append(out, target{c, f})
		}
	}
	// The power no spread can beat: Holm's first threshold is alpha over
	// the number of figures, and a U test of t against t trials cannot
	// give a p below infer.MinP(t, t).
	if need := infer.TrialsFor(len(out), o.Alpha); o.Trials < need {
		return nil, fmt.Errorf("%d trials per side cannot show any change significant over %d gated figures (Holm at alpha %g needs p ≤ %.2g; the U test of %d against %d trials gives at best %.2g): set Trials to %d or more",
			o.Trials, len(out), o.Alpha, o.Alpha/float64(len(out)), o.Trials, o.Trials, infer.MinP(o.Trials, o.Trials), need)
	}
	return out, nil
}

// resolved is one side, found or built.
type resolved struct {
	name, exe, desc string
}

// sides finds or builds OLD and NEW. cleanup removes what was built; it is
// returned, and must be called, whatever the error.
func (o *Options) sides(ctx context.Context, rep *Report) (_ []resolved, cleanup func() error, err error) {
	start := time.Now()
	defer func() { rep.Build = time.Since(start) }()
	b := &workerbuild.Builds{Dir: o.RepoDir, Package: o.Package}
	cleanup = b.Cleanup
	self, _ := os.Executable()
	var oldCommit string
	old, nw := resolved{name: "old"}, resolved{name: "new"}
	switch {
	case o.Old.Executable != "":
		old.exe, old.desc = o.Old.Executable, o.Old.Executable
	default:
		rev, how := o.Old.Revision, "Options.Old.Revision"
		if rev == "" {
			rev, how = os.Getenv(EnvBase), "$"+EnvBase
		}
		if rev == "" {
			if rev, how, err = mergeBase(ctx, b); err != nil {
				return nil, cleanup, err
			}
		}
		if oldCommit, err = b.Commit(ctx, rev); err != nil {
			return nil, cleanup, fmt.Errorf("OLD (%s): %w", how, err)
		}
		old.desc = fmt.Sprintf("%s = %.12s (%s)", rev, oldCommit, how)
		if rev == oldCommit {
			old.desc = fmt.Sprintf("%.12s, the %s", oldCommit, how)
		}
	}
	switch {
	case o.New.Executable != "":
		nw.exe, nw.desc = o.New.Executable, o.New.Executable
	case o.New.Revision != "":
		w, err := b.Revision(ctx, "new", o.New.Revision)
		if err != nil {
			return nil, cleanup, fmt.Errorf("NEW: %w", err)
		}
		nw.exe, nw.desc = w.Executable, fmt.Sprintf("%s = %.12s", o.New.Revision, w.Commit)
	default:
		w, err := b.WorkingTree(ctx, "new")
		if err != nil {
			return nil, cleanup, fmt.Errorf("NEW: %w", err)
		}
		nw.exe, nw.desc = w.Executable, "the working tree"
		if oldCommit != "" {
			if clean, err := b.Clean(ctx, oldCommit); err == nil && clean {
				// Nothing to build twice: the null A/B.
				old.exe = nw.exe
				nw.desc += " (clean at OLD's commit: both sides run this one build)"
			}
		}
	}
	if old.exe == "" {
		w, err := b.Revision(ctx, "old", oldCommit)
		if err != nil {
			return nil, cleanup, fmt.Errorf("OLD: %w", err)
		}
		old.exe = w.Executable
	}
	rep.Old, rep.New = old.desc, nw.desc
	for _, s := range []resolved{old, nw} {
		if s.exe == self && !slices.Contains(worker.Roles(), cellrun.RoleName) {
			return nil, cleanup, errors.New("the cell role is not registered in this test binary, a side of the gate: call gate.Main(m, registry) from TestMain (see the package doc)")
		}
	}
	// Two builds of the same source with the same flags have the same
	// bytes; executables a caller names may act on their own names (a
	// test binary behind a symlink), so only their paths are compared.
	rep.Identical = old.exe == nw.exe
	if !rep.Identical && o.Old.Executable == "" && o.New.Executable == "" {
		rep.Identical, _ = workerbuild.SameFile(old.exe, nw.exe)
	}
	return []resolved{old, nw}, cleanup, nil
}

// mergeBase returns the default base: the merge base of HEAD and main,
// else of HEAD and origin/main (a clone that checked out another branch).
func mergeBase(ctx context.Context, b *workerbuild.Builds) (rev, how string, err error) {
	repo, err := b.Repo(ctx)
	if err != nil {
		return "", "", fmt.Errorf("no base revision to gate against: %w; set %s to a revision, or Options.Old", err, EnvBase)
	}
	for _, branch := range []string{"main", "origin/main"} {
		if mb, err := workerbuild.Git(ctx, repo, "merge-base", "HEAD", branch); err == nil && mb != "" {
			return mb, "merge base of HEAD and " + branch, nil
		}
	}
	return "", "", fmt.Errorf("no base revision to gate against: the repository at %s has no branch main or origin/main that HEAD shares history with (a shallow or detached checkout?); fetch main, or set %s to a revision (%s=HEAD: the null A/B of the last commit)", repo, EnvBase, EnvBase)
}

// cells returns the plan's workloads, models and cores for the targets.
func (o *Options) cells(targets []target) (workloads, models []string, cores []int) {
	for _, g := range targets {
		c := g.cell
		if !slices.Contains(workloads, c.Workload) {
			workloads = append(workloads, c.Workload)
		}
		if !slices.Contains(models, c.Model) {
			models = append(models, c.Model)
		}
		if !slices.Contains(cores, c.Cores) {
			cores = append(cores, c.Cores)
		}
	}
	sort.Ints(cores)
	return workloads, models, cores
}
