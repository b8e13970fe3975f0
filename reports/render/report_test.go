package render

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mpbench/mpbench/harness"
	"github.com/mpbench/mpbench/reports"
	"github.com/mpbench/mpbench/runfile"
	"gonum.org/v1/plot"
)

// checkPNG decodes a chart and checks its size and that it is not blank.
func checkPNG(t *testing.T, name string, data []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return
	}
	if b := img.Bounds(); b.Dx() != ImageWidth || b.Dy() != ImageHeight {
		t.Errorf("%s: %d×%d px, want %d×%d", name, b.Dx(), b.Dy(), ImageWidth, ImageHeight)
	}
	if n := distinctColours(img); n < 100 {
		t.Errorf("%s: %d distinct colours: blank or nearly", name, n)
	}
}

func distinctColours(img image.Image) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
		}
	}
	return len(seen)
}

// TestRenderDrawsEveryChart renders a single run and two runs overlaid:
// seven PNGs per workload, each decodable, of the promised size and not
// blank, then the index pages, last.
func TestRenderDrawsEveryChart(t *testing.T) {
	cases := []struct {
		name      string
		runs      []*runfile.Run
		workloads []string
	}{
		{"synthetic", []*runfile.Run{loadFixture(t, "synthetic.json")}, []string{"cpu", "square"}},
		{"two runs overlaid", []*runfile.Run{loadFixture(t, "oversub.json"), otherHost(loadFixture(t, "oversub.json"))}, []string{"pow"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files, err := Render(context.Background(), c.runs, nil)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, f := range files {
				names = append(names, f.Name)
				if strings.HasSuffix(f.Name, ".png") {
					checkPNG(t, f.Name, f.Data)
				}
			}
			var want []string
			for _, wl := range c.workloads {
				for _, k := range chartKinds {
					want = append(want, wl+"-"+k.key+".png")
				}
			}
			want = append(want, IndexMD, IndexHTML)
			if !slices.Equal(names, want) {
				t.Errorf("files %v\nwant %v", names, want)
			}
		})
	}
}

// otherHost makes r look like a run of another machine.
func otherHost(r *runfile.Run) *runfile.Run {
	r.Env.Host, r.Env.CPUModel, r.Env.LogicalCPUs = "big", "AMD EPYC 9654", 192
	for i := range r.Cells {
		for j := range r.Cells[i].Trials {
			r.Cells[i].Trials[j].ComputeNs /= 3
		}
	}
	harness.Summarize(r)
	return r
}

// TestIndexGolden checks index.md and index.html against testdata/ (go
// test ./reports -update rewrites them).
func TestIndexGolden(t *testing.T) {
	cases := []struct {
		name   string
		runs   []string
		labels []string
	}{
		{"sample", []string{"sample.json"}, nil},
		{"overlay", []string{"sample.json", "synthetic.json"}, []string{"vm", "bench-8"}},
		{"passes", []string{"passes.json"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var runs []*runfile.Run
			for _, f := range c.runs {
				runs = append(runs, loadFixture(t, f))
			}
			labels := c.labels
			if labels == nil {
				labels = reports.DefaultLabels(runs)
			}
			idx := buildIndex(runs, labels)
			md, err := idx.markdown()
			if err != nil {
				t.Fatal(err)
			}
			html, err := idx.html()
			if err != nil {
				t.Fatal(err)
			}
			golden(t, c.name+".index.md", md)
			golden(t, c.name+".index.html", html)
			for _, page := range [][]byte{md, html} {
				for _, w := range idx.Workloads {
					for _, ch := range w.Charts {
						if !bytes.Contains(page, []byte(ch.File)) {
							t.Errorf("index lacks chart %s", ch.File)
						}
					}
				}
			}
			if bytes.Contains(html, []byte("<script")) || bytes.Contains(html, []byte("http")) {
				t.Error("index.html fetches or runs something")
			}
		})
	}
}

// TestCaptionsNameHollowAndMissing checks that a chart says which cells are
// drawn hollow and which figures are missing.
func TestCaptionsNameHollowAndMissing(t *testing.T) {
	v := &view{runs: []*runfile.Run{loadFixture(t, "synthetic.json")}, labels: []string{"bench-8"}, wl: "cpu"}
	byKey := map[string]string{}
	for i, c := range v.charts() {
		byKey[chartKinds[i].key] = strings.Join(c.Caption, " ")
	}
	for key, wants := range map[string][]string{
		"time":     {"Hollow (noisy or oversubscribed): queue at c = 8 (noisy, CV ", "Missing: shm-lock: c = 8 failed; manager: c = 4 not measured."},
		"speedup":  {"queue at c = 8", "manager: c = 4 not measured"},
		"overhead": {"queue at c = 8", "Missing: shm-lock has no result at c = 8.", "Sequential is the baseline"},
		"phases":   {"Missing: shm-lock has no result at c = 8."},
		"trials":   {"Missing: shm-lock has no result at c = 8."},
	} {
		for _, w := range wants {
			if !strings.Contains(byKey[key], w) {
				t.Errorf("%s caption %q lacks %q", key, byKey[key], w)
			}
		}
	}
	v = &view{runs: []*runfile.Run{loadFixture(t, "oversub.json")}, labels: []string{"small"}, wl: "pow"}
	if c := strings.Join(v.timeChart().Caption, " "); !strings.Contains(c, "goroutines at c = 4 (oversubscribed)") {
		t.Errorf("oversubscribed cell not named: %q", c)
	}
}

// TestWorkloadWithOnlyFailedCells is skipped with a warning; the others
// are drawn.
func TestWorkloadWithOnlyFailedCells(t *testing.T) {
	r := loadFixture(t, "sample.json")
	for i := range r.Cells {
		if r.Cells[i].Workload == "square" {
			r.Cells[i].Error = "square: checksum mismatch"
		}
	}
	idx := buildIndex([]*runfile.Run{r}, []string{"vm"})
	md, _ := idx.markdown()
	for _, want := range []string{"No chart: every cell of square failed.", "workload square: every cell failed, nothing drawn", "square/goroutines/2 FAILED: square: checksum mismatch", "cpu-time.png"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("index.md lacks %q", want)
		}
	}
	if strings.Contains(string(md), "square-time.png") {
		t.Error("index.md names a chart of a workload with no passing cell")
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func TestWrite(t *testing.T) {
	small := loadFixture(t, "oversub.json")
	want := []string{"index.html", "index.md", "pow-attribution.png", "pow-efficiency.png", "pow-overhead.png", "pow-phases.png", "pow-speedup.png", "pow-time.png", "pow-trials.png", "run.json"}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "run.json"), []byte("{}"), 0o644)
	index, err := Write(context.Background(), dir, []*runfile.Run{small}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if index != filepath.Join(dir, "index.html") {
		t.Errorf("index %s", index)
	}
	if got := listDir(t, dir); !slices.Equal(got, want) {
		t.Errorf("folder holds %v, want %v", got, want)
	}
}

// TestPlace checks how a drawn report is moved into place (without drawing
// one).
func TestPlace(t *testing.T) {
	files := func(tag string) []File {
		return []File{{"a.png", []byte(tag)}, {IndexMD, []byte(tag)}, {IndexHTML, []byte(tag)}}
	}
	t.Run("into an existing folder, twice", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "run.json"), []byte("{}"), 0o644)
		for _, tag := range []string{"one", "two"} {
			if err := place(context.Background(), dir, files(tag)); err != nil {
				t.Fatal(err)
			}
		}
		if got := listDir(t, dir); !slices.Equal(got, []string{"a.png", IndexHTML, IndexMD, "run.json"}) {
			t.Errorf("folder holds %v", got)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, IndexMD)); string(b) != "two" {
			t.Errorf("index.md holds %q, want the second report", b)
		}
	})
	t.Run("into a new folder", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "a", "report")
		if err := place(context.Background(), dir, files("x")); err != nil {
			t.Fatal(err)
		}
		if got := listDir(t, dir); !slices.Equal(got, []string{"a.png", IndexHTML, IndexMD}) {
			t.Errorf("folder holds %v", got)
		}
		if got := listDir(t, filepath.Dir(dir)); !slices.Equal(got, []string{"report"}) {
			t.Errorf("left %v beside the report", got)
		}
		if st, _ := os.Stat(dir); st.Mode().Perm() != 0o755 {
			t.Errorf("folder mode %v", st.Mode())
		}
	})
	t.Run("a failed write leaves nothing", func(t *testing.T) {
		parent := t.TempDir()
		dir := filepath.Join(parent, "report")
		bad := append(files("x"), File{"no/such/sub/file.png", nil})
		if err := place(context.Background(), dir, bad); err == nil {
			t.Fatal("no error")
		}
		if got := listDir(t, parent); len(got) != 0 {
			t.Errorf("left %v", got)
		}
	})
	t.Run("cancelled before moving in, it leaves the folder as it was", func(t *testing.T) {
		dir := t.TempDir()
		if err := place(context.Background(), dir, files("old")); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := place(ctx, dir, files("new")); !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
		if got := listDir(t, dir); !slices.Equal(got, []string{"a.png", IndexHTML, IndexMD}) {
			t.Errorf("folder holds %v (a temporary folder left?)", got)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, IndexMD)); string(b) != "old" {
			t.Errorf("index.md holds %q, want the old report", b)
		}
		parent := t.TempDir()
		if err := place(ctx, filepath.Join(parent, "new"), files("new")); !errors.Is(err, context.Canceled) {
			t.Fatalf("new folder: got %v, want context.Canceled", err)
		}
		if got := listDir(t, parent); len(got) != 0 {
			t.Errorf("new folder: left %v", got)
		}
	})
	t.Run("bad input writes nothing", func(t *testing.T) {
		parent := t.TempDir()
		file := filepath.Join(parent, "file")
		os.WriteFile(file, nil, 0o644)
		if _, err := Write(context.Background(), file, []*runfile.Run{loadFixture(t, "oversub.json")}, nil); !errors.Is(err, ErrOutput) {
			t.Errorf("onto a file: %v", err)
		}
		if _, err := Write(context.Background(), filepath.Join(parent, "new"), []*runfile.Run{{}}, nil); !errors.Is(err, reports.ErrNoData) {
			t.Errorf("no cells: %v", err)
		}
		if got := listDir(t, parent); !slices.Equal(got, []string{"file"}) {
			t.Errorf("left %v", got)
		}
	})
}

// TestRenderWithoutBaseline draws a workload whose sequential cell failed:
// speedup and efficiency say why they are empty, the PNGs are still whole.
func TestRenderWithoutBaseline(t *testing.T) {
	r := loadFixture(t, "sample.json")
	var cells []runfile.Cell
	for _, c := range r.Cells {
		if c.Workload == "cpu" {
			if c.Model == "sequential" {
				c.Error, c.Trials = "sequential: checksum mismatch", nil
			}
			cells = append(cells, c)
		}
	}
	r.Cells = cells
	harness.Summarize(r)
	v := &view{runs: []*runfile.Run{r}, labels: []string{"vm"}, wl: "cpu"}
	charts := v.charts()
	for i, c := range charts {
		key := chartKinds[i].key
		if wantEmpty := key == "speedup" || key == "efficiency" || key == "overhead" || key == "attribution"; (c.fig.empty != "") != wantEmpty {
			t.Errorf("%s: empty message %q", key, c.fig.empty)
		}
		var buf bytes.Buffer
		if err := c.fig.writePNG(&buf); err != nil {
			t.Fatal(err)
		}
		checkPNG(t, c.File, buf.Bytes())
	}
}

// phasesRun is a run of cpu at c = 2 whose manager cell's compute phase
// takes managerNs and every other cell's about 20 ms.
func phasesRun(managerNs int64) *runfile.Run {
	r := &runfile.Run{Schema: runfile.Schema, Version: runfile.SchemaVersion, Config: runfile.Config{Scaling: "strong"},
		Env: runfile.Env{Host: "h", CPUModel: "Test CPU", LogicalCPUs: 2}}
	add := func(model string, cores int, ns int64) {
		c := runfile.Cell{Workload: "cpu", Model: model, Cores: cores, Tasks: 48}
		for i := range 3 {
			c.Trials = append(c.Trials, runfile.Trial{SetupNs: 10_000_000, ComputeNs: ns + int64(i), TeardownNs: 1_000_000})
		}
		r.Cells = append(r.Cells, c)
	}
	add("sequential", 1, 40_000_000)
	add("goroutines", 2, 20_000_000)
	add("manager", 2, managerNs)
	harness.Summarize(r)
	return r
}

// TestPhasesScale checks that the phases chart picks its axis as the time
// chart does: log when the bars' totals differ by more than 20×.
func TestPhasesScale(t *testing.T) {
	cases := []struct {
		name    string
		manager int64
		wantLog bool
	}{
		{"close totals: linear", 60_000_000, false},
		{"multi-second manager: log", 3_000_000_000, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := phasesRun(c.manager)
			v := &view{runs: []*runfile.Run{r}, labels: []string{"h"}, wl: "cpu"}
			ch := v.phasesChart()
			_, gotLog := ch.fig.plot.X.Scale.(plot.LogScale)
			if gotLog != c.wantLog {
				t.Errorf("got log scale %v, want %v", gotLog, c.wantLog)
			}
			if got := strings.Contains(strings.Join(ch.Caption, " "), "Log scale"); got != c.wantLog {
				t.Errorf("got caption %q: says log scale %v, want %v", ch.Caption, got, c.wantLog)
			}
			// It draws (a log axis has no zero to start a bar at), as the
			// report draws it; the other charts are not drawn here.
			drawn := false
			for _, c := range v.charts() {
				if c.File != "cpu-phases.png" {
					continue
				}
				var buf bytes.Buffer
				if err := c.fig.writePNG(&buf); err != nil {
					t.Fatal(err)
				}
				checkPNG(t, c.File, buf.Bytes())
				drawn = true
			}
			if !drawn {
				t.Error("the report has no cpu-phases.png")
			}
		})
	}
}
