package reports

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mpbench/mpbench/runfile"
	"github.com/mpbench/mpbench/stats"
)

func TestFitsTable(t *testing.T) {
	var cells []runfile.Cell
	cells = append(cells, cell("cpu", "sequential", 1, 48, 8_000_000))
	for _, c := range []int{1, 2, 4, 8} {
		ns := int64(8_000_000 / stats.USL(0.05, 0.002, float64(c)))
		cells = append(cells, cell("cpu", "goroutines", c, 48, ns, ns, ns))
	}
	cells = append(cells, cell("square", "sequential", 1, 10, 1000), cell("square", "goroutines", 2, 10, 600))
	run := testRun(cells...)
	for _, f := range []string{"table", "markdown"} {
		var buf bytes.Buffer
		if err := WriteSummary(&buf, run, f); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		for _, want := range []string{"scaling fits", "USL σ", "c=16: ≈", "c=32: ≈", "Amdahl", "≈22 cores", "c=8: 0.", "not available: needs at least 3 core counts, has 1 (2)"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %q:\n%s", f, want, out)
			}
		}
	}
}

func TestFitsNotAvailableIsOneLine(t *testing.T) {
	r := tableTestRun() // cores 1 and 2 only
	r.Fits = []runfile.Fit{{Workload: "cpu", Model: "goroutines", ScalingFit: stats.ScalingFit{Reason: "needs at least 3 core counts, has 2 (1, 2)"}}}
	var buf bytes.Buffer
	if err := writeFits(&buf, r, false); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(buf.String()); strings.Count(got, "\n") != 0 || !strings.Contains(got, "not available (needs at least 3 core counts") {
		t.Fatalf("got %q, want one line saying why", got)
	}
}
