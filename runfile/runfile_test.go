package runfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mpbench/mpbench/stats"
	"github.com/mpbench/mpbench/stats/infer"
	"github.com/mpbench/mpbench/workloads"
)

func cellWith(model string, cores, tasks int, ns ...int64) Cell {
	c := Cell{Workload: "w", Model: model, Cores: cores, Tasks: tasks}
	for _, x := range ns {
		c.Trials = append(c.Trials, Trial{ComputeNs: x})
	}
	return c
}

func TestRunFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	c := cellWith("sequential", 1, 10, 5, 6, 7)
	c.Summary = &Summary{MedianNs: 6, Compute: stats.Summarize([]float64{5, 6, 7})}
	r := &Run{Schema: Schema, Version: SchemaVersion, Status: "complete", Cells: []Cell{c}}
	if err := r.Save(dir); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Cells) != 1 || got.Cells[0].Summary.MedianNs != 6 || got.Cells[0].Summary.Compute.N != 3 || got.Cells[0].Trials[2].ComputeNs != 7 {
		t.Fatalf("round trip lost data: %+v", got.Cells)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("folder holds %d entries, want run.json alone", len(entries))
	}
	for _, bad := range []struct{ body, want string }{
		{`{"schema":"mpbench.run","version":99}`, "schema version 99"},
		{`{"schema":"other","version":1}`, `schema is "other"`},
		{`not json`, "not an mpbench run file"},
	} {
		_, err := Decode(strings.NewReader(bad.body))
		if !errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("Decode(%s) = %v, want %q", bad.body, err, bad.want)
		}
	}
}

// TestFitsTravelInRunFile checks that a scaling fit is written with the
// fields of stats.ScalingFit beside the run's own, and that a file without
// fits still reads.
func TestFitsTravelInRunFile(t *testing.T) {
	cores := []int{1, 2, 4, 8}
	var sp []float64
	for _, c := range cores {
		sp = append(sp, stats.Amdahl(0.1, float64(c)))
	}
	sf, err := infer.FitScaling(cores, sp)
	if err != nil || !sf.Available {
		t.Fatalf("fit: %v %s", err, sf.Reason)
	}
	r := &Run{Schema: Schema, Version: SchemaVersion, Fits: []Fit{{
		Workload: "cpu", Model: "goroutines", Basis: BasisRelative, ScalingFit: sf, Notes: []string{"a note"},
	}}}
	var buf bytes.Buffer
	if err := r.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	// The run's labels, then the fit's fields, then the notes: the order
	// of the fields of version 1.
	last := -1
	for _, want := range []string{`"workload": "cpu"`, `"basis": "relative"`, `"points"`, `"karp_flatt"`, `"available": true`, `"serial"`, `"usl"`, `"usl_predicted_speedup"`, `"notes"`} {
		i := strings.Index(out, want)
		if i < 0 {
			t.Errorf("run file lacks %s:\n%s", want, out)
		} else if i < last {
			t.Errorf("%s out of order:\n%s", want, out)
		}
		last = i
	}
	got, err := Decode(strings.NewReader(out))
	if err != nil || len(got.Fits) != 1 || got.Fits[0].Amdahl == nil || got.Fits[0].Notes[0] != "a note" {
		t.Fatalf("decode: %v, %+v", err, got.Fits)
	}
	var old map[string]any
	json.Unmarshal(buf.Bytes(), &old)
	delete(old, "fits")
	b, _ := json.Marshal(old)
	if got, err := Decode(bytes.NewReader(b)); err != nil || got.Fits != nil {
		t.Fatalf("a version-1 file without fits: %v", err)
	}
}

// TestCommittedRunFilesReencode checks that the committed run files, all
// written by Encode, decode and encode again byte for byte: the schema
// keeps every field name, tag and order.
func TestCommittedRunFilesReencode(t *testing.T) {
	for _, path := range []string{"../results/example-2core/run.json"} {
		t.Run(filepath.Base(filepath.Dir(path))+"/"+filepath.Base(path), func(t *testing.T) {
			want, err := os.ReadFile(path)
			if err != nil {
				t.Skip(err)
			}
			r, err := Decode(bytes.NewReader(want))
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := r.Encode(&got); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("%s: re-encoded run file differs from the committed one (%d bytes, want %d)", path, got.Len(), len(want))
			}
		})
	}
}

func TestCellNames(t *testing.T) {
	cases := []struct {
		name         string
		cell         Cell
		key, variant string
		params       string
	}{
		{"defaults", Cell{Workload: "cpu", Model: "goroutines", Cores: 2}, "cpu/goroutines/2", "cpu", ""},
		{"override", Cell{Workload: "cpu", Model: "shm", Cores: 4, Params: map[string]int64{"n": 1000}}, "cpu[n=1000]/shm/4", "cpu[n=1000]", "n=1000"},
		{"unknown workload", Cell{Workload: "w", Model: "m", Cores: 1, Params: map[string]int64{"b": 2, "a": 1}}, "w[a=1,b=2]/m/1", "w[a=1,b=2]", "a=1,b=2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.cell.Key(); got != c.key {
				t.Errorf("Key() = %q, want %q", got, c.key)
			}
			if got := c.cell.Variant(); got != c.variant {
				t.Errorf("Variant() = %q, want %q", got, c.variant)
			}
			if got := workloads.FormatParams(c.cell.Params); got != c.params {
				t.Errorf("FormatParams = %q, want %q", got, c.params)
			}
		})
	}
}

func TestBaseline(t *testing.T) {
	// A two-value sweep of cpu.n whose sequential cells differ: each
	// value's cells have the sequential cell of that value as baseline.
	at := func(c Cell, n int64) Cell {
		c.Workload, c.Params = "cpu", map[string]int64{"tasks": 48, "n": n}
		return c
	}
	failed := at(cellWith("sequential", 1, 48, 5), 1000)
	failed.Error = "boom"
	seqSmall, seqBig := at(cellWith("sequential", 1, 48, 1_000), 1000), at(cellWith("sequential", 1, 48, 9_000), 1_000_000)
	cases := []struct {
		name  string
		cells []Cell
		of    Cell
		want  int64 // the baseline's compute time; 0: none
	}{
		{"first value", []Cell{seqSmall, seqBig}, at(cellWith("goroutines", 2, 48, 600), 1000), 1_000},
		{"second value", []Cell{seqSmall, seqBig}, at(cellWith("goroutines", 2, 48, 5_000), 1_000_000), 9_000},
		{"second value, listed first", []Cell{seqBig, seqSmall}, at(cellWith("goroutines", 2, 48, 600), 1000), 1_000},
		{"failed sequential cell", []Cell{failed, seqBig}, at(cellWith("goroutines", 2, 48, 600), 1000), 0},
		{"failed one skipped", []Cell{failed, seqSmall}, at(cellWith("goroutines", 2, 48, 600), 1000), 1_000},
		{"no cell of that value", []Cell{seqBig}, at(cellWith("goroutines", 2, 48, 600), 1000), 0},
		{"other workload", []Cell{seqSmall}, cellWith("goroutines", 2, 48, 600), 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &Run{Cells: append(c.cells, c.of)}
			var got int64
			if b := r.Baseline(&r.Cells[len(r.Cells)-1]); b != nil {
				got = b.Trials[0].ComputeNs
			}
			if got != c.want {
				t.Errorf("got baseline of %d ns, want %d ns", got, c.want)
			}
		})
	}
}

func TestDecodeRejectsBadNumbers(t *testing.T) {
	good := func() *Run {
		c := cellWith("sequential", 1, 10, 5, 6, 7)
		sp := 1.0
		c.Summary = &Summary{MedianNs: 6, Compute: stats.Summarize([]float64{5, 6, 7}), Speedup: &sp}
		return &Run{Schema: Schema, Version: SchemaVersion, Status: "complete", Cells: []Cell{c}}
	}
	neg, zero := -1.0, 0.0
	for _, tc := range []struct {
		name  string
		edit  func(r *Run)
		field string // "" = valid
	}{
		{"valid", func(*Run) {}, ""},
		{"negative compute", func(r *Run) { r.Cells[0].Trials[1].ComputeNs = -5 }, "trial 2: compute_ns -5"},
		{"zero compute", func(r *Run) { r.Cells[0].Trials[0].ComputeNs = 0 }, "trial 1: compute_ns 0"},
		{"negative setup", func(r *Run) { r.Cells[0].Trials[0].SetupNs = -1 }, "setup_ns -1"},
		{"zero median", func(r *Run) { r.Cells[0].Summary.MedianNs = 0 }, "summary: median_ns 0"},
		{"negative speedup", func(r *Run) { r.Cells[0].Summary.Speedup = &neg }, "summary: speedup -1"},
		{"zero efficiency", func(r *Run) { r.Cells[0].Summary.Efficiency = &zero }, "summary: efficiency 0"},
		{"zero cores", func(r *Run) { r.Cells[0].Cores = 0 }, "cores 0"},
		{"warm passes", func(r *Run) {
			r.Cells[0].Passes = 3
			for i := range r.Cells[0].Trials {
				r.Cells[0].Trials[i].Passes, r.Cells[0].Trials[i].ColdNs = 3, 9
			}
		}, ""},
		{"negative cell passes", func(r *Run) { r.Cells[0].Passes = -1 }, "passes -1"},
		{"negative trial passes", func(r *Run) { r.Cells[0].Trials[0].Passes, r.Cells[0].Trials[0].ColdNs = -2, 9 }, "trial 1: passes -2"},
		{"passes without cold", func(r *Run) { r.Cells[0].Trials[2].Passes = 2 }, "trial 3: cold_ns 0 with passes 2"},
		{"warm counters", func(r *Run) {
			r.Cells[0].Trials[0].Passes, r.Cells[0].Trials[0].ColdNs = 3, 9
			r.Cells[0].Trials[0].Warm = &WarmCounters{MinFlt: 5, Nvcsw: 2, Procs: 3, Unread: 1}
		}, ""},
		{"negative warm counter", func(r *Run) {
			r.Cells[0].Trials[0].Passes, r.Cells[0].Trials[0].ColdNs = 3, 9
			r.Cells[0].Trials[0].Warm = &WarmCounters{Nivcsw: -1, Procs: 1}
		}, "trial 1: warm counters minflt 0, majflt 0, nvcsw 0, nivcsw -1"},
		{"warm counters of no process", func(r *Run) {
			r.Cells[0].Trials[0].Passes, r.Cells[0].Trials[0].ColdNs = 3, 9
			r.Cells[0].Trials[0].Warm = &WarmCounters{MinFlt: 1}
		}, "procs 0"},
		{"warm counters without warm passes", func(r *Run) { r.Cells[0].Trials[1].Warm = &WarmCounters{Procs: 1} }, "trial 2: warm counters without warm passes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := good()
			tc.edit(r)
			var buf bytes.Buffer
			if err := r.Encode(&buf); err != nil {
				t.Fatal(err)
			}
			_, err := Decode(&buf)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "cell w/sequential/") || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("got %v, want ErrInvalid naming the cell and %q", err, tc.field)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q is not one line", err)
			}
		})
	}
}

func TestLoadRefusesLargeFileUnread(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: a file over the cap that costs no disk.
	if err := f.Truncate(MaxBytes + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = Load(path)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "64 MiB") {
		t.Fatalf("got %v, want ErrTooLarge naming the 64 MiB cap", err)
	}
	// Decode of a stream over the cap stops reading at the cap.
	_, err = Decode(io.LimitReader(zeros{}, MaxBytes+10))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Decode: got %v, want ErrTooLarge", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
