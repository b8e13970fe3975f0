package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mpbench/mpbench/harness"
)

func TestProgressModeOf(t *testing.T) {
	cases := []struct {
		name  string
		quiet bool
		want  progressMode
	}{
		{"not a terminal", false, progressLines},
		{"quiet", true, progressNone},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := progressModeOf(&bytes.Buffer{}, c.quiet); got != c.want {
				t.Errorf("got mode %d, want %d", got, c.want)
			}
		})
	}
}

func TestProgressLines(t *testing.T) {
	cases := []struct {
		name   string
		mode   progressMode
		events []harness.Progress
		want   string
	}{
		{"a line per finished cell", progressLines, []harness.Progress{
			{Index: 1, Total: 3, Cell: "cpu sequential c=1", Trials: 10},
			{Index: 1, Total: 3, Cell: "cpu sequential c=1", Trial: 5, Trials: 10},
			{Index: 1, Total: 3, Cell: "cpu sequential c=1", Trial: 10, Trials: 10, Done: true, MedianNs: 14_375_001},
			{Index: 2, Total: 3, Cell: "cpu goroutines c=2", Trials: 10},
			{Index: 2, Total: 3, Cell: "cpu goroutines c=2", Done: true, Err: "boom"},
		}, "cell 1/3 cpu sequential c=1: median 14.4ms; elapsed 1s, ETA 2s\n" +
			"cell 2/3 cpu goroutines c=2: FAILED; elapsed 2s, ETA 1s\n"},
		{"quiet", progressNone, []harness.Progress{
			{Index: 1, Total: 1, Cell: "cpu sequential c=1", Done: true, MedianNs: 1e6},
		}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			p := newProgress(&buf, c.mode)
			// The clock moves a second each time it is read: the run starts
			// at 1 s, cell 1 ends at 2 s, cell 2 at 3 s.
			clock := time.Unix(0, 0)
			p.now = func() time.Time { clock = clock.Add(time.Second); return clock }
			for _, ev := range c.events {
				p.update(ev)
			}
			p.finish()
			if got := buf.String(); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

// TestRunWithoutTerminalSaysEachCell runs with stderr a buffer (as under
// CI or | tee): a line per finished cell, nothing with --quiet.
func TestRunWithoutTerminalSaysEachCell(t *testing.T) {
	cases := []struct {
		name  string
		quiet bool
		want  int // lines starting "cell "
	}{
		{"not quiet", false, 2},
		{"quiet", true, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"run", "--cores", "1", "--models", "goroutines", "--workloads", "square",
				"--param", "square.tasks=100", "--trials", "2", "--warmup", "0", "--out", filepath.Join(t.TempDir(), "run")}
			if c.quiet {
				args = append(args, "-q")
			}
			code, _, stderr := runCLI(t, args...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var lines []string
			for _, l := range strings.Split(stderr, "\n") {
				if strings.HasPrefix(l, "cell ") {
					lines = append(lines, l)
				}
			}
			if len(lines) != c.want {
				t.Fatalf("got %d progress lines %q, want %d", len(lines), lines, c.want)
			}
			for _, l := range lines {
				if !strings.Contains(l, "square") || !strings.Contains(l, ": median ") || !strings.Contains(l, "ETA") {
					t.Errorf("got line %q, want the cell, its median, elapsed and ETA", l)
				}
			}
		})
	}
}
