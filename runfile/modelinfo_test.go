package runfile

import (
	"errors"
	"strings"
	"testing"
)

func TestModelInfoCheck(t *testing.T) {
	good := ModelInfo{Name: "procpool", Family: "go", Twin: "py-pool", Color: "#E69F00", Marker: "triangle-up"}
	if err := good.Check(); err != nil {
		t.Fatalf("%+v: %v", good, err)
	}
	if r, g, b, _ := good.RGB(); r != 0xE6 || g != 0x9F || b != 0x00 {
		t.Errorf("RGB of %s = %02x%02x%02x", good.Color, r, g, b)
	}
	cases := []struct {
		name string
		edit func(*ModelInfo)
		want string
	}{
		{"no name", func(m *ModelInfo) { m.Name = "" }, "no name"},
		{"no family", func(m *ModelInfo) { m.Family = "" }, "procpool: no family"},
		{"colour without #", func(m *ModelInfo) { m.Color = "E69F00" }, `colour "E69F00" is not #rrggbb`},
		{"short colour", func(m *ModelInfo) { m.Color = "#E69F0" }, "is not #rrggbb"},
		{"colour not hex", func(m *ModelInfo) { m.Color = "#E69G00" }, "is not #rrggbb"},
		{"signed colour", func(m *ModelInfo) { m.Color = "#+69F00" }, "is not #rrggbb"},
		{"unknown marker", func(m *ModelInfo) { m.Marker = "heart" }, `marker "heart" is not one of circle,`},
		{"own twin", func(m *ModelInfo) { m.Twin = "procpool" }, "not its own twin"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := good
			c.edit(&m)
			err := m.Check()
			if !errors.Is(err, ErrModelInfo) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want ErrModelInfo saying %q", err, c.want)
			}
		})
	}
}

func TestRunModelInfo(t *testing.T) {
	r := &Run{Models: []ModelInfo{{Name: "sequential", Family: "go"}, {Name: "py-sequential", Family: "py", Twin: "sequential"}}}
	if m, ok := r.ModelInfo("py-sequential"); !ok || m.Twin != "sequential" {
		t.Errorf("py-sequential: got %+v, %v", m, ok)
	}
	if _, ok := r.ModelInfo("goroutines"); ok {
		t.Error("goroutines: found in a run that does not record it")
	}
	if _, ok := (&Run{}).ModelInfo("sequential"); ok {
		t.Error("a run file without models recorded gives a model info")
	}
}

func TestFamilyAndBaseline(t *testing.T) {
	recorded := &Run{Models: []ModelInfo{{Name: "odd", Family: "py"}, {Name: "py-pool", Family: "py"}}}
	old := &Run{}
	tests := []struct {
		name       string
		run        *Run
		model      string
		family     string
		baseline   string
		isBaseline bool
	}{
		{"recorded family", recorded, "odd", "py", "py-sequential", false},
		{"recorded py model", recorded, "py-pool", "py", "py-sequential", false},
		{"unrecorded Go model", recorded, "pipe", "go", "sequential", false},
		{"older file: py by prefix", old, "py-pool", "py", "py-sequential", false},
		{"older file: py-sequential", old, "py-sequential", "py", "py-sequential", true},
		{"older file: sequential", old, "sequential", "go", "sequential", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fam := tt.run.Family(tt.model)
			if fam != tt.family || BaselineModel(fam) != tt.baseline || tt.run.IsBaseline(tt.model) != tt.isBaseline {
				t.Errorf("got family %q, baseline %q, is baseline %v; want %q, %q, %v",
					fam, BaselineModel(fam), tt.run.IsBaseline(tt.model), tt.family, tt.baseline, tt.isBaseline)
			}
		})
	}
}

func TestBaselineIsTheFamilys(t *testing.T) {
	cell := func(model string) Cell {
		return Cell{Workload: "cpu", Model: model, Cores: 1, Trials: []Trial{{ComputeNs: 1}}}
	}
	r := &Run{Cells: []Cell{cell("sequential"), cell("py-sequential")}}
	for model, want := range map[string]string{"pipe": "sequential", "py-pool": "py-sequential"} {
		c := cell(model)
		if b := r.Baseline(&c); b == nil || b.Model != want {
			t.Errorf("Baseline(%s) = %v, want %s", model, b, want)
		}
	}
}
