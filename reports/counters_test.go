package reports

import (
	"bytes"
	"encoding/csv"
	"slices"
	"testing"

	"github.com/mpbench/mpbench/runfile"
)

// counterCell is a procpool cell whose trials counted faults and context
// switches.
func counterCell() runfile.Cell {
	c := cell("cpu", "procpool", 1, 48, 1_000_000, 1_100_000, 1_200_000)
	for i := range c.Trials {
		c.Trials[i].MinFlt, c.Trials[i].MajFlt = int64(1000+10*i), 0
		c.Trials[i].Nvcsw, c.Trials[i].Nivcsw = int64(200+i), int64(3*i)
	}
	return c
}

func TestExportsCarryCounters(t *testing.T) {
	r := testRun(cell("cpu", "sequential", 1, 48, 2_000_000), counterCell())
	t.Run("csv", func(t *testing.T) {
		var buf bytes.Buffer
		if err := WriteSummary(&buf, r, "csv"); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		head := recs[0]
		for _, c := range []struct {
			col       string
			seq, pool string
		}{{"minflt", "", "1010"}, {"majflt", "", "0"}, {"nvcsw", "", "201"}, {"nivcsw", "", "3"}} {
			i := slices.Index(head, c.col)
			if i < 0 {
				t.Fatalf("no column %q in %q", c.col, head)
			}
			if got := recs[1][i]; got != c.seq {
				t.Errorf("sequential %s %q, want %q (its trials counted nothing)", c.col, got, c.seq)
			}
			if got := recs[2][i]; got != c.pool {
				t.Errorf("procpool %s %q, want the median %q", c.col, got, c.pool)
			}
		}
	})
	t.Run("benchfmt", func(t *testing.T) {
		var buf bytes.Buffer
		if err := WriteSummary(&buf, r, "benchfmt"); err != nil {
			t.Fatal(err)
		}
		res := readBench(t, buf.String())
		if len(res) != 4 {
			t.Fatalf("%d results, want 4 (one per trial)", len(res))
		}
		for _, u := range []string{"minor-faults/op", "major-faults/op", "vol-ctxsw/op", "invol-ctxsw/op"} {
			if _, ok := res[0].Value(u); ok {
				t.Errorf("sequential's line has %s: its trials counted nothing", u)
			}
			if _, ok := res[1].Value(u); !ok {
				t.Errorf("procpool's line lacks %s: %v", u, res[1].Values)
			}
		}
		if v, _ := res[1].Value("minor-faults/op"); v != 1000 {
			t.Errorf("minor-faults/op %v, want 1000 (the first trial's)", v)
		}
	})
	t.Run("json", func(t *testing.T) {
		var buf bytes.Buffer
		if err := WriteSummary(&buf, r, "json"); err != nil {
			t.Fatal(err)
		}
		back, err := runfile.Decode(&buf)
		if err != nil {
			t.Fatal(err)
		}
		c := back.Cells[1]
		if c.Trials[2].Nvcsw != 202 || c.Summary.Counters["minflt"] != 1010 {
			t.Errorf("json lost the counters: trial %+v, summary %v", c.Trials[2], c.Summary.Counters)
		}
	})
}

// TestCSVCarriesTheAttribution checks the attribution's columns: each
// part's ns per task, empty where the part is absent, and the flag.
func TestCSVCarriesTheAttribution(t *testing.T) {
	r := testRun(cell("cpu", "sequential", 1, 48, 2_000_000), counterCell())
	one := 1500.0
	r.Cells[1].Summary.Attribution = &runfile.Attribution{LostNsPerTask: 1250, RemainderNsPerTask: -250, Exceeds: true, Parts: []runfile.AttributionPart{
		{Name: runfile.PartWorkerStart, NsPerTask: new(float64)}, {Name: runfile.PartPageFaults, NsPerTask: &one},
		{Name: runfile.PartWakeups, Reason: "no probe"}, {Name: runfile.PartWithheld, Reason: "no accounts"},
	}}
	var buf bytes.Buffer
	if err := WriteSummary(&buf, r, "csv"); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for col, want := range map[string][2]string{
		"attr_worker_start_ns": {"", "0"}, "attr_page_faults_ns": {"", "1500"}, "attr_wakeups_ns": {"", ""},
		"attr_withheld_ns": {"", ""}, "attr_remainder_ns": {"", "-250"}, "attr_exceeds": {"", "true"},
		"attr_idle_edges_ns": {"", ""}, // not in this (older) attribution at all
	} {
		i := slices.Index(recs[0], col)
		if i < 0 {
			t.Fatalf("no column %q in %q", col, recs[0])
		}
		if recs[1][i] != want[0] || recs[2][i] != want[1] {
			t.Errorf("%s: sequential %q, procpool %q; want %q, %q", col, recs[1][i], recs[2][i], want[0], want[1])
		}
	}
}
