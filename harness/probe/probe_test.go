package probe

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mpbench/mpbench/runfile"
	"github.com/mpbench/mpbench/worker"
)

func TestMain(m *testing.M) {
	Register()
	if worker.IsChild() {
		os.Exit(worker.RunChild())
	}
	// A race-enabled child sleeps a second at exit unless told not to
	// (GORACE atexit_sleep_ms); the probe's workers inherit this.
	if _, set := os.LookupEnv("GORACE"); !set {
		os.Setenv("GORACE", "atexit_sleep_ms=0")
	}
	os.Exit(m.Run())
}

// tiny is a probe of a few milliseconds.
var tiny = Options{Reps: 3, FaultPages: 16, RoundTrips: 10, Windows: []time.Duration{time.Millisecond}}

func TestRunMeasuresEveryPart(t *testing.T) {
	cpus, err := worker.AllowedCPUs()
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), "", nil, tiny)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"minor page fault", "worker exec (to first line)", "worker start to exit", "exec /bin/true to exit",
		"pipe round trip, same CPU", "unix socket round trip", "speed alone, 1ms", "all busy"}
	if len(cpus) > 1 {
		want = append(want, "pipe round trip, two CPUs", "alone / cpu")
	}
	for _, w := range want {
		found := false
		for _, it := range res.Items {
			if strings.Contains(it.Name, w) {
				found = true
				if it.N != tiny.Reps || it.Median <= 0 || it.CILow > it.Median || it.CIHigh < it.Median {
					t.Errorf("%s: %+v", it.Name, it)
				}
			}
		}
		if !found && !skipped(res.Skipped, w) {
			t.Errorf("no item %q and no reason: items %+v, skipped %+v", w, res.Items, res.Skipped)
		}
	}
	if res.CPUs != worker.FormatCPUList(cpus) || res.WallNs <= 0 {
		t.Errorf("cpus %q wall %d", res.CPUs, res.WallNs)
	}
}

func skipped(s []runfile.Skip, name string) bool {
	for _, k := range s {
		if strings.Contains(name, k.Model) || k.Model == "worker start" && strings.Contains(name, "/bin/true") {
			return true
		}
	}
	return false
}

func TestSpeedItems(t *testing.T) {
	alone := [][]float64{{2, 2, 2}, {1, 1.5, 1}}
	all := [][]float64{{2, 1, 2}, {0.5, 0.5, 1}}
	items := SpeedItems(10*time.Millisecond, []int{0, 3}, alone, all)
	want := []struct {
		name   string
		median float64
	}{
		{"cpu 0 speed alone, 10ms", 2},
		{"cpu 3 alone / cpu 0 alone, 10ms", 0.5},
		{"cpu 0 all busy / cpu 0 alone, 10ms", 1},
		{"cpu 3 all busy / cpu 0 alone, 10ms", 0.25},
	}
	if len(items) != len(want) {
		t.Fatalf("%d items, want %d: %+v", len(items), len(want), items)
	}
	for i, w := range want {
		if items[i].Name != w.name || items[i].Median != w.median || items[i].N != 3 {
			t.Errorf("item %d: got %q median %v n %d, want %q median %v n 3", i, items[i].Name, items[i].Median, items[i].N, w.name, w.median)
		}
	}
	if got := SpeedItems(time.Millisecond, []int{0}, [][]float64{nil}, [][]float64{nil}); got != nil {
		t.Errorf("no samples: got %+v, want nil", got)
	}
}
