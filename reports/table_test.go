package reports

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/mpbench/mpbench/harness"
	"github.com/mpbench/mpbench/runfile"
)

func tableTestRun() *runfile.Run {
	r := &runfile.Run{Schema: runfile.Schema, Version: runfile.SchemaVersion, Config: runfile.Config{Scaling: "strong", Trials: 3}}
	add := func(model string, cores int, ns ...int64) {
		c := runfile.Cell{Workload: "cpu", Model: model, Cores: cores, Tasks: 100}
		for _, x := range ns {
			c.Trials = append(c.Trials, runfile.Trial{ComputeNs: x, SetupNs: 1000})
		}
		r.Cells = append(r.Cells, c)
	}
	add("sequential", 1, 2_000_000, 2_000_000, 2_000_000)
	add("goroutines", 2, 1_000_000, 1_100_000, 1_050_000)
	r.Cells = append(r.Cells, runfile.Cell{Workload: "cpu", Model: "broken", Cores: 2, Tasks: 100, Error: "checksum | mismatch"})
	harness.Summarize(r)
	return r
}

func TestTableShowsFiguresAndFailures(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSummary(&buf, tableTestRun(), "table"); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"workload cpu (100 tasks", "2.00ms", "1.05ms", "1.90×", "95%", "FAILED: checksum | mismatch"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestMarkdownEscapesPipes(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSummary(&buf, tableTestRun(), "markdown"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `checksum \| mismatch`) {
		t.Errorf("pipe not escaped:\n%s", buf.String())
	}
}

func TestCSVHasARowPerCell(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSummary(&buf, tableTestRun(), "csv"); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 || recs[2][1] != "goroutines" || recs[2][9] != "1.9047619047619047" {
		t.Fatalf("csv = %v", recs)
	}
}

func TestDurationAndBytes(t *testing.T) {
	for _, c := range []struct {
		ns   float64
		want string
	}{{0.5, "0.50ns"}, {999, "999ns"}, {1500, "1.50µs"}, {12_345_678, "12.3ms"}, {2.5e9, "2.50s"}} {
		if got := Duration(c.ns); got != c.want {
			t.Errorf("Duration(%v) = %q, want %q", c.ns, got, c.want)
		}
	}
	if got := Bytes(3 << 20); got != "3.00MiB" {
		t.Errorf("Bytes = %q", got)
	}
}
