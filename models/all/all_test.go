package all

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/models/py"
	"github.com/mpbench/mpbench/runfile"
)

// TestTable checks the rules of the table on the real one: unique names
// and colours, a marker per model of a family, and every twin in the table
// with the other family.
func TestTable(t *testing.T) {
	if err := check(Table); err != nil {
		t.Fatal(err)
	}
	infos := Infos()
	if got, want := Registry().Names(), namesOf(infos); !slices.Equal(got, want) {
		t.Errorf("registry %v, infos %v: want the same models in the same order", got, want)
	}
	if _, err := Registry().Lookup("sequential"); err != nil {
		t.Errorf("the harness needs sequential as every run's baseline: %v", err)
	}
	byName := map[string]int{}
	for i, m := range infos {
		byName[m.Name] = i
	}
	for _, m := range infos {
		if m.Twin == "" {
			continue
		}
		twin := infos[byName[m.Twin]]
		if twin.Twin != m.Name || twin.Family == m.Family {
			t.Errorf("%s (%s) has twin %s (%s, twin %q): want a pair across families, recorded on both lines", m.Name, m.Family, twin.Name, twin.Family, twin.Twin)
		}
	}
	for _, m := range py.All() {
		if i, ok := byName[m.Name()]; !ok || infos[i].Family != "py" {
			t.Errorf("Python model %s is not in the table as a py model", m.Name())
		}
	}
}

func namesOf(infos []runfile.ModelInfo) []string {
	var out []string
	for _, m := range infos {
		out = append(out, m.Name)
	}
	return out
}

// fakeModel is a model of any name and family, for tables that break a
// rule.
type fakeModel struct{ name, family string }

func (m fakeModel) Name() string   { return m.name }
func (m fakeModel) Doc() string    { return "fake" }
func (m fakeModel) Family() string { return m.family }
func (m fakeModel) Setup(context.Context, models.Config) (models.Session, error) {
	return nil, nil
}

// TestEveryModelEstimatesItsMemory checks that no model of the table falls
// back on models.DefaultFootprint, and that each estimate grows with tasks
// and cores.
func TestEveryModelEstimatesItsMemory(t *testing.T) {
	for _, e := range Table {
		est, ok := e.Model.(models.MemoryEstimator)
		if !ok {
			t.Errorf("%s has no MemoryEstimate", e.Model.Name())
			continue
		}
		small, more, wider := est.MemoryEstimate(1000, 1), est.MemoryEstimate(1_000_000, 1), est.MemoryEstimate(1_000_000, 2)
		if small <= 0 || more <= small || wider < more {
			t.Errorf("%s: estimates %d (1,000 tasks), %d (1,000,000), %d (1,000,000 on 2 cores): want positive and growing", e.Model.Name(), small, more, wider)
		}
	}
}

// TestEveryPairSaysHowItDiffers checks that the Go-vs-Python table has a
// note for every pair it can show.
func TestEveryPairSaysHowItDiffers(t *testing.T) {
	for _, m := range Infos() {
		if m.Family == "py" && m.Twin != "" && m.Differs == "" {
			t.Errorf("%s (twin %s) does not say how its work differs (Entry.Differs)", m.Name, m.Twin)
		}
	}
}

func TestCheckCatches(t *testing.T) {
	good := func() []Entry {
		return []Entry{
			{Model: fakeModel{"a", "go"}, Color: "#111111", Marker: "circle"},
			{Model: fakeModel{"b", "go"}, Color: "#222222", Marker: "square"},
			{Model: fakeModel{"py-a", "py"}, Twin: "a", Color: "#333333", Marker: "circle"},
			{Model: fakeModel{"py-c", "py"}, Color: "#444444", Marker: "square"},
		}
	}
	if err := check(good()); err != nil {
		t.Fatalf("a good table: %v", err)
	}
	cases := []struct {
		name string
		edit func([]Entry) []Entry
		want string
	}{
		{"no model", func(e []Entry) []Entry { e[1].Model = nil; return e }, "line 2: no model"},
		{"name twice", func(e []Entry) []Entry { e[1].Model = fakeModel{"a", "go"}; return e }, "line 2: a is named twice"},
		{"colour twice", func(e []Entry) []Entry { e[3].Color = "#222222"; return e }, "line 4: py-c has the colour of b"},
		{"colour twice, other case", func(e []Entry) []Entry { e[0].Color, e[1].Color = "#abcdef", "#ABCDEF"; return e }, "line 2: b has the colour of a"},
		{"bad colour", func(e []Entry) []Entry { e[1].Color = "blue"; return e }, `line 2: bad model info: b: colour "blue" is not #rrggbb`},
		{"unknown marker", func(e []Entry) []Entry { e[1].Marker = "heart"; return e }, `line 2: bad model info: b: marker "heart"`},
		{"marker twice in a family", func(e []Entry) []Entry { e[1].Marker = "circle"; return e }, "line 2: b has the marker of a (circle), another go model"},
		{"twin not in the table", func(e []Entry) []Entry { e[3].Twin = "c"; return e }, `line 4: py-c names twin "c", which the table lacks`},
		{"twin in the same family", func(e []Entry) []Entry { e[3].Twin = "py-a"; return e }, "line 4: py-c and its twin py-a are both py models"},
		{"twin named by two", func(e []Entry) []Entry { e[3].Twin = "a"; return e }, "line 4: py-c names twin a, already the twin of py-a"},
		{"pair written twice", func(e []Entry) []Entry { e[0].Twin = "py-a"; return e }, "the pair py-a and a is written on both lines"},
		{"twin in another pair", func(e []Entry) []Entry { e[1].Twin = "py-a"; e[1].Marker = "circle"; e[0].Marker = "star"; return e },
			"line 3: py-a names twin a but is already the twin of b"},
		{"twins with two markers", func(e []Entry) []Entry { e[2].Marker = "star"; return e }, "line 3: py-a has marker star, its twin a has circle: twins share their marker"},
		{"own twin", func(e []Entry) []Entry { e[1].Twin = "b"; return e }, "b: a model is not its own twin"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := check(c.edit(good()))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error saying %q", err, c.want)
			}
		})
	}
}

func TestInfosRecordTwinsBothWays(t *testing.T) {
	got := infos([]Entry{
		{Model: fakeModel{"a", "go"}, Color: "#111111", Marker: "circle"},
		{Model: fakeModel{"b", "go"}, Color: "#222222", Marker: "square"},
		{Model: fakeModel{"py-a", "py"}, Twin: "a", Color: "#333333", Marker: "circle"},
	})
	want := []string{"a:go:py-a", "b:go:", "py-a:py:a"}
	for i, m := range got {
		if s := m.Name + ":" + m.Family + ":" + m.Twin; s != want[i] {
			t.Errorf("line %d: got %s, want %s", i+1, s, want[i])
		}
	}
}
