package runfile

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ModelInfo is what a run file records of one model of the run: the line
// of the model table (models/all) that names it. Readers of the run file,
// reports and mpbench-draw, take colours, markers and twin pairs from here
// and never link the model packages.
type ModelInfo struct {
	Name string `json:"name"`
	// Family is "go" or "py" (see models.FamilyOf).
	Family string `json:"family"`
	// Twin is the model of the other family that mirrors this one
	// (procpool and py-pool); empty when it has none.
	Twin string `json:"twin,omitempty"`
	// Color is the model's colour on every chart, "#rrggbb".
	Color string `json:"color"`
	// Marker is the model's marker on every chart, one of Markers.
	Marker string `json:"marker"`
	// Differs says how the model's work differs from its twin's beyond the
	// language, so that their ratio is read for what it compares; set on
	// the Python model's line only, empty when there is no twin.
	Differs string `json:"differs,omitempty"`
}

// Markers are the marker shapes a ModelInfo may name; mpbench-draw draws
// each.
var Markers = []string{
	"circle", "square", "triangle-up", "triangle-down", "diamond",
	"pentagon", "hexagon", "star", "plus", "cross",
}

// ErrModelInfo is wrapped when a ModelInfo cannot be used as it is.
var ErrModelInfo = errors.New("bad model info")

// RGB returns the red, green and blue of m.Color.
func (m ModelInfo) RGB() (r, g, b uint8, err error) {
	hex, ok := strings.CutPrefix(m.Color, "#")
	v, perr := strconv.ParseUint(hex, 16, 32)
	if !ok || len(hex) != 6 || perr != nil {
		return 0, 0, 0, fmt.Errorf("%w: %s: colour %q is not #rrggbb", ErrModelInfo, m.Name, m.Color)
	}
	return uint8(v >> 16), uint8(v >> 8), uint8(v), nil
}

// Check reports what makes m unusable: no name or family, a colour that is
// not #rrggbb, a marker not in Markers, the model as its own twin.
func (m ModelInfo) Check() error {
	switch {
	case m.Name == "":
		return fmt.Errorf("%w: no name", ErrModelInfo)
	case m.Family == "":
		return fmt.Errorf("%w: %s: no family", ErrModelInfo, m.Name)
	case !slices.Contains(Markers, m.Marker):
		return fmt.Errorf("%w: %s: marker %q is not one of %s", ErrModelInfo, m.Name, m.Marker, strings.Join(Markers, ", "))
	case m.Twin == m.Name:
		return fmt.Errorf("%w: %s: a model is not its own twin", ErrModelInfo, m.Name)
	}
	_, _, _, err := m.RGB()
	return err
}

// ModelInfo returns what the run file records of the model called name;
// ok is false for run files made before models were recorded, and for
// models the table did not name.
func (r *Run) ModelInfo(name string) (info ModelInfo, ok bool) {
	for _, m := range r.Models {
		if m.Name == name {
			return m, true
		}
	}
	return ModelInfo{}, false
}

// Family returns the family of the model called name: the one the run file
// records, else "py" for a name that starts with "py-" (run files made
// before models were recorded), else "go".
func (r *Run) Family(name string) string {
	if m, ok := r.ModelInfo(name); ok && m.Family != "" {
		return m.Family
	}
	if strings.HasPrefix(name, "py-") {
		return "py"
	}
	return "go"
}

// BaselineModel returns the model every speedup, efficiency and overhead
// of a family is measured against: "sequential" for Go, "py-sequential"
// for Python ("<family>-sequential" for any other).
func BaselineModel(family string) string {
	if family == "" || family == "go" {
		return "sequential"
	}
	return family + "-sequential"
}

// IsBaseline reports whether name is the baseline model of its family.
func (r *Run) IsBaseline(name string) bool {
	return name == BaselineModel(r.Family(name))
}
