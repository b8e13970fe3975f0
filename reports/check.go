package reports

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/mpbench/mpbench/runfile"
)

// ErrNoData is wrapped when a run has nothing to draw: no cells, or only
// failed ones.
var ErrNoData = errors.New("nothing to draw")

// Check reports whether a run has something to draw.
func Check(r *runfile.Run) error {
	if len(r.Cells) == 0 {
		return fmt.Errorf("the run has no cells: %w", ErrNoData)
	}
	for i := range r.Cells {
		if Drawable(&r.Cells[i]) {
			return nil
		}
	}
	c := &r.Cells[0]
	why := c.Error
	if why == "" {
		why = "no trials"
	}
	return fmt.Errorf("all %d cells failed (first: %s: %s): %w", len(r.Cells), c.Key(), why, ErrNoData)
}

// DefaultLabels names runs by their host; hosts that repeat get "#2", "#3".
func DefaultLabels(runs []*runfile.Run) []string {
	out := make([]string, len(runs))
	seen := map[string]int{}
	for i, r := range runs {
		h := r.Env.Host
		if h == "" {
			h = "run"
		}
		seen[h]++
		out[i] = h
		if seen[h] > 1 {
			out[i] = h + "#" + strconv.Itoa(seen[h])
		}
	}
	// A later duplicate renames the first too, so that none is bare.
	for i, r := range runs {
		if h := r.Env.Host; seen[h] > 1 && out[i] == h {
			out[i] = h + "#1"
		}
	}
	return out
}

// Drawable reports whether a cell has figures to draw: it passed and has
// a summary and trials.
func Drawable(c *runfile.Cell) bool {
	return !c.Failed() && c.Summary != nil && len(c.Trials) > 0
}
