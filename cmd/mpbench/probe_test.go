package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mpbench/mpbench/harness/probe"
	"github.com/mpbench/mpbench/runfile"
)

// tinyProbe keeps every probe of these tests to milliseconds.
var tinyProbe = probe.Options{Reps: 3, FaultPages: 16, RoundTrips: 10, Windows: []time.Duration{time.Millisecond}}

func TestRunProbeFlag(t *testing.T) {
	code, _, stderr := runCLI(t, "run", "--probe", "maybe", "--out", filepath.Join(t.TempDir(), "run"), "-q")
	if code != exitUsage || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, `--probe "maybe": want on or off`) {
		t.Errorf("exit %d, stderr %q: want 2 and one line about --probe", code, stderr)
	}
	for _, c := range []struct {
		flag string
		want bool
	}{{"on", true}, {"off", false}} {
		out := filepath.Join(t.TempDir(), "run")
		code, _, stderr := runCLI(t, "run", "--cores", "1", "--models", "sequential", "--workloads", "square",
			"--param", "square.tasks=100", "--trials", "2", "--warmup", "0", "--out", out, "-q", "--probe", c.flag)
		if code != exitOK {
			t.Fatalf("--probe %s: exit %d: %s", c.flag, code, stderr)
		}
		run, err := runfile.Load(out)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []*runfile.Probe{run.Env.ProbeStart, run.Env.ProbeEnd} {
			if got := p != nil; got != c.want {
				t.Fatalf("--probe %s: probe recorded %v, want %v", c.flag, got, c.want)
			}
			if p != nil && (p.Error != "" || len(p.Items) == 0 || p.CPUs == "") {
				t.Errorf("--probe %s: probe %+v", c.flag, p)
			}
		}
	}
}

func TestProbeCommand(t *testing.T) {
	code, stdout, stderr := runCLI(t, "probe", "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var p runfile.Probe
	if err := json.Unmarshal([]byte(stdout), &p); err != nil || len(p.Items) == 0 {
		t.Fatalf("json %v, %d items:\n%s", err, len(p.Items), stdout)
	}
	code, stdout, _ = runCLI(t, "probe")
	for _, want := range []string{"NAME", "MEDIAN", "95% CI", "minor page fault", "worker exec (to first line)"} {
		if code != exitOK || !strings.Contains(stdout, want) {
			t.Errorf("exit %d, table lacks %q:\n%s", code, want, stdout)
		}
	}
	if code, _, _ := runCLI(t, "probe", "--format", "csv"); code != exitUsage {
		t.Errorf("--format csv: exit %d, want 2", code)
	}
}
