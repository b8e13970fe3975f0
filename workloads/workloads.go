package workloads

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Task is one unit of work. The meaning of A and B is the workload's: cpu
// uses A as n, square uses A as x, pow uses A as the base and B as the
// exponent. A task is 16 bytes on every wire and in every shared region.
type Task struct {
	A, B uint64
}

// Param describes one tunable integer parameter of a workload.
type Param struct {
	Name    string
	Default int64
	Min     int64
	// Max bounds what a run may ask: a task count bounds the task list
	// (16 B a task) that every cell holds. Whether a cell also fits this
	// machine's memory is harness's check (models.MemoryEstimate against
	// MemAvailable), made before the run starts.
	Max int64
	Doc string
}

// Workload is a named family of tasks.
type Workload struct {
	Name   string
	Doc    string
	Params []Param

	// Apply sets results[i] to the result of tasks[i]. len(results) must be
	// at least len(tasks). It is the hot loop of every model, so it works on
	// slices rather than one call per task.
	Apply func(tasks []Task, results []uint64)

	gen       func(p map[string]int64, count int) []Task
	count     func(p map[string]int64) int
	reference func(p map[string]int64, count int) uint64
}

// ErrUnknownWorkload is returned by Lookup for a name that is not a workload.
var ErrUnknownWorkload = errors.New("unknown workload")

// ErrBadParam is wrapped by every parameter error.
var ErrBadParam = errors.New("bad workload parameter")

// All returns every workload in a stable order.
func All() []*Workload {
	return []*Workload{CPU, Square, Pow}
}

// Names returns the names of every workload.
func Names() []string {
	var names []string
	for _, w := range All() {
		names = append(names, w.Name)
	}
	return names
}

// Lookup returns the workload with the given name.
func Lookup(name string) (*Workload, error) {
	for _, w := range All() {
		if w.Name == name {
			return w, nil
		}
	}
	return nil, fmt.Errorf("%w %q (valid: %s)", ErrUnknownWorkload, name, strings.Join(Names(), ", "))
}

// Param returns the parameter called name.
func (w *Workload) Param(name string) (Param, bool) {
	for _, p := range w.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

func (w *Workload) paramNames() string {
	var names []string
	for _, p := range w.Params {
		names = append(names, w.Name+"."+p.Name)
	}
	return strings.Join(names, ", ")
}

// Resolve returns the workload's parameters with defaults filled in and
// overrides applied. An unknown key or a value out of range is an error
// that names the accepted keys or range.
func (w *Workload) Resolve(overrides map[string]int64) (map[string]int64, error) {
	p := make(map[string]int64, len(w.Params))
	for _, d := range w.Params {
		p[d.Name] = d.Default
	}
	keys := make([]string, 0, len(overrides))
	for k := range overrides {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := overrides[k]
		d, ok := w.Param(k)
		if !ok {
			return nil, fmt.Errorf("%w: %s.%s is not a parameter (valid: %s)", ErrBadParam, w.Name, k, w.paramNames())
		}
		if v < d.Min || v > d.Max {
			return nil, fmt.Errorf("%w: %s.%s=%d is out of range (accepted: %d..%d)", ErrBadParam, w.Name, k, v, d.Min, d.Max)
		}
		p[k] = v
	}
	return p, nil
}

// Instance is a workload with its parameters resolved: a concrete task list
// and its reference checksum.
type Instance struct {
	Workload  *Workload
	Params    map[string]int64
	Scale     int
	Tasks     []Task
	Reference uint64
}

// New resolves the parameters, generates the task list and computes the
// reference checksum. scale multiplies the task count (weak scaling); it is
// 1 for strong scaling.
func (w *Workload) New(overrides map[string]int64, scale int) (*Instance, error) {
	if scale < 1 {
		return nil, fmt.Errorf("%w: scale %d must be at least 1", ErrBadParam, scale)
	}
	p, err := w.Resolve(overrides)
	if err != nil {
		return nil, err
	}
	count := w.count(p) * scale
	return &Instance{
		Workload:  w,
		Params:    p,
		Scale:     scale,
		Tasks:     w.gen(p, count),
		Reference: w.reference(p, count),
	}, nil
}

// Count returns how many tasks an instance with the resolved parameters p
// and scale has, without making its task list.
func (w *Workload) Count(p map[string]int64, scale int) int {
	return w.count(p) * scale
}

// Checksum returns Σ (i+1)·results[i] mod 2^64, the figure every trial is
// validated by. Each result is weighted by its position, so a result that
// is dropped, repeated, or swapped with a different one changes it.
func Checksum(results []uint64) uint64 {
	var s uint64
	for i, r := range results {
		s += uint64(i+1) * r
	}
	return s
}

// Run computes every task of the instance on the calling goroutine and
// returns the results in task order.
func (in *Instance) Run() []uint64 {
	out := make([]uint64, len(in.Tasks))
	in.Workload.Apply(in.Tasks, out)
	return out
}

// FormatParams formats workload parameters as "k=v,k=v" in key order; ""
// for none.
func FormatParams(p map[string]int64) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + strconv.FormatInt(p[k], 10)
	}
	return strings.Join(parts, ",")
}

// NewInstance looks the workload name up and resolves an instance of it
// (see Workload.New).
func NewInstance(name string, overrides map[string]int64, scale int) (*Instance, error) {
	w, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	return w.New(overrides, scale)
}
