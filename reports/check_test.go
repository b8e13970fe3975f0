package reports

import (
	"errors"
	"slices"
	"testing"

	"github.com/mpbench/mpbench/runfile"
)

func TestCheck(t *testing.T) {
	cell := func(model string, cores int, err string) runfile.Cell {
		c := runfile.Cell{Workload: "pow", Model: model, Cores: cores, Error: err}
		if err == "" {
			c.Summary = &runfile.Summary{MedianNs: 1}
			c.Trials = []runfile.Trial{{ComputeNs: 1}}
		}
		return c
	}
	failed := &runfile.Run{Cells: []runfile.Cell{cell("sequential", 1, "boom"), cell("goroutines", 2, "bang")}}
	cases := []struct {
		name string
		run  *runfile.Run
		want string
	}{
		{"no cells", &runfile.Run{}, "the run has no cells: nothing to draw"},
		{"only failed cells", failed, "all 2 cells failed (first: pow/sequential/1: boom): nothing to draw"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Check(c.run)
			if !errors.Is(err, ErrNoData) || err.Error() != c.want {
				t.Errorf("got %v, want %q", err, c.want)
			}
		})
	}
	// One cell with figures is enough.
	mixed := &runfile.Run{Cells: []runfile.Cell{cell("sequential", 1, "boom"), cell("goroutines", 2, "")}}
	if err := Check(mixed); err != nil {
		t.Errorf("a run with one drawable cell: %v", err)
	}
	// A cell that did not fail but has no trials is not drawable.
	empty := &runfile.Run{Cells: []runfile.Cell{{Workload: "pow", Model: "shm", Cores: 1, Summary: &runfile.Summary{}}}}
	if err := Check(empty); !errors.Is(err, ErrNoData) {
		t.Errorf("a cell without trials: got %v, want ErrNoData", err)
	}
}

func TestDefaultLabels(t *testing.T) {
	run := func(h string) *runfile.Run { return &runfile.Run{Env: runfile.Env{Host: h}} }
	got := DefaultLabels([]*runfile.Run{run("a"), run("b"), run("a"), run("")})
	if want := []string{"a#1", "b", "a#2", "run"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
