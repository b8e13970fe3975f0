package all

import (
	"fmt"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/models/goroutines"
	"github.com/mpbench/mpbench/models/manager"
	"github.com/mpbench/mpbench/models/pipe"
	"github.com/mpbench/mpbench/models/procpool"
	"github.com/mpbench/mpbench/models/py"
	"github.com/mpbench/mpbench/models/queue"
	"github.com/mpbench/mpbench/models/sequential"
	"github.com/mpbench/mpbench/models/shm"
	"github.com/mpbench/mpbench/runfile"
)

// Entry is one line of the table: a model and how mpbench shows it.
type Entry struct {
	Model models.Model
	// Twin names the model of the other family that this one mirrors. A
	// pair is written once, on the Python model's line; Infos records it
	// on both.
	Twin string
	// Color is the model's colour on every chart, "#rrggbb".
	Color string
	// Marker is the model's marker on every chart, one of runfile.Markers.
	Marker string
	// Differs says how a Python model's work differs from its twin's,
	// beyond the language (the Go-vs-Python table shows it beside their
	// ratio); every Python model with a twin has one. Both families run the
	// same task lists, check the same position-weighted checksum and warm
	// their workers up the same way; only what is left is said here.
	Differs string
}

// Table names every model, in the order of tables and charts: the Go
// models, then the Python reference models (family "py") in the order of
// their twins. The Go models take well separated hues (Okabe–Ito first)
// and a marker each; a Python model has its twin's marker and a colour of
// its own.
var Table = []Entry{
	{Model: sequential.New(), Color: "#222222", Marker: "circle"},
	{Model: goroutines.New(), Color: "#0072B2", Marker: "square"},
	{Model: procpool.New(), Color: "#E69F00", Marker: "triangle-up"},
	{Model: procpool.NewAsync(), Color: "#D55E00", Marker: "triangle-down"},
	{Model: pipe.New(), Color: "#009E73", Marker: "diamond"},
	{Model: queue.New(), Color: "#CC79A7", Marker: "pentagon"},
	{Model: shm.New(), Color: "#56B4E9", Marker: "hexagon"},
	{Model: shm.NewLock(), Color: "#882255", Marker: "star"},
	{Model: manager.New(), Color: "#7A7A00", Marker: "plus"},
	{Model: manager.NewBatch(), Color: "#6A3D9A", Marker: "cross"},

	{Model: py.Sequential(), Twin: "sequential", Color: "#8C8C8C", Marker: "circle",
		Differs: "Python's loop builds a list of ints; Go's writes a preallocated slice"},
	{Model: py.Pool(), Twin: "procpool", Color: "#A6761D", Marker: "triangle-up",
		Differs: "Python pickles chunks through one locked pipe and a handler thread; Go writes frames on a SOCK_SEQPACKET queue; both take Pool.map's chunks"},
	{Model: py.PoolAsync(), Twin: "procpool-async", Color: "#7F3B08", Marker: "triangle-down",
		Differs: "Go pipelines up to 128 requests per worker and holds replies up to 20 µs to share writes; Python writes each task and each result on its own"},
	{Model: py.Pipe(), Twin: "pipe", Color: "#66A61E", Marker: "diamond",
		Differs: "Python sends results after the worker's last chunk; Go streams them in frames"},
	{Model: py.Queue(), Twin: "queue", Color: "#E7298A", Marker: "pentagon",
		Differs: "Python's Queue is a pipe, a lock and a feeder thread; Go's a shared-memory ring; both one item per task"},
	{Model: py.ShmLock(), Twin: "shm-lock", Color: "#17BECF", Marker: "star",
		Differs: "Python claims chunks under the Value's lock; Go with an atomic add"},
	{Model: py.Manager(), Twin: "manager", Color: "#E31A1C", Marker: "plus",
		Differs: "each d[i] = result is a pickled proxy call waiting for its reply; in Go a Dict.Set frame, which also waits"},
}

// Registry returns the models of Table, in order.
func Registry() models.Registry {
	reg := make(models.Registry, len(Table))
	for i, e := range Table {
		reg[i] = e.Model
	}
	return reg
}

// Infos returns Table as the run file records it, in order, with each twin
// pair on both of its lines.
func Infos() []runfile.ModelInfo {
	return infos(Table)
}

func infos(table []Entry) []runfile.ModelInfo {
	out := make([]runfile.ModelInfo, len(table))
	for i, e := range table {
		out[i] = runfile.ModelInfo{
			Name: e.Model.Name(), Family: models.FamilyOf(e.Model), Twin: e.Twin, Color: e.Color, Marker: e.Marker,
			Differs: e.Differs,
		}
	}
	for i, e := range table {
		for j := range out {
			if e.Twin != "" && out[j].Name == e.Twin && out[j].Twin == "" {
				out[j].Twin = out[i].Name
			}
		}
	}
	return out
}

// check reports the first line of table that breaks a rule of the table:
// a model, a unique name, a unique colour, a known marker that no other
// model of its family has, and twins that exist in the other family, in
// one pair each, written once, with the same marker.
func check(table []Entry) error {
	for i, e := range table {
		if e.Model == nil {
			return fmt.Errorf("line %d: no model", i+1)
		}
	}
	in := infos(table)
	byName := map[string]runfile.ModelInfo{}
	twinned := map[string]string{} // model → the line that names it as a twin
	colour := map[[3]uint8]string{}
	marker := map[[2]string]string{} // family, marker → model
	for i, m := range in {
		if err := m.Check(); err != nil {
			return fmt.Errorf("line %d: %w", i+1, err)
		}
		if _, dup := byName[m.Name]; dup {
			return fmt.Errorf("line %d: %s is named twice", i+1, m.Name)
		}
		byName[m.Name] = m
		r, g, b, _ := m.RGB()
		if other, dup := colour[[3]uint8{r, g, b}]; dup {
			return fmt.Errorf("line %d: %s has the colour of %s (%s)", i+1, m.Name, other, m.Color)
		}
		colour[[3]uint8{r, g, b}] = m.Name
	}
	for i, e := range table {
		if e.Twin == "" {
			continue
		}
		name := in[i].Name
		twin, ok := byName[e.Twin]
		switch {
		case !ok:
			return fmt.Errorf("line %d: %s names twin %q, which the table lacks", i+1, name, e.Twin)
		case twin.Family == in[i].Family:
			return fmt.Errorf("line %d: %s and its twin %s are both %s models; a twin is of the other family", i+1, name, twin.Name, twin.Family)
		case twinned[e.Twin] == name:
			return fmt.Errorf("line %d: the pair %s and %s is written on both lines: write it once, on the Python model's", i+1, name, e.Twin)
		case twinned[e.Twin] != "":
			return fmt.Errorf("line %d: %s names twin %s, already the twin of %s", i+1, name, e.Twin, twinned[e.Twin])
		case twinned[name] != "":
			return fmt.Errorf("line %d: %s names twin %s but is already the twin of %s: write a pair once", i+1, name, e.Twin, twinned[name])
		case twin.Marker != in[i].Marker:
			return fmt.Errorf("line %d: %s has marker %s, its twin %s has %s: twins share their marker", i+1, name, in[i].Marker, twin.Name, twin.Marker)
		}
		twinned[e.Twin], twinned[name] = name, e.Twin
	}
	for i, m := range in {
		if other, dup := marker[[2]string{m.Family, m.Marker}]; dup {
			return fmt.Errorf("line %d: %s has the marker of %s (%s), another %s model", i+1, m.Name, other, m.Marker, m.Family)
		}
		marker[[2]string{m.Family, m.Marker}] = m.Name
	}
	return nil
}
