package cellrun

import (
	"testing"
	"time"
)

func TestPickPasses(t *testing.T) {
	ms, us := time.Millisecond, time.Microsecond
	for _, c := range []struct {
		pass, min time.Duration
		want      int
	}{
		{100 * us, 10 * ms, 100},
		{300 * us, 10 * ms, 34}, // rounded up: 33 passes would last 9.9 ms
		{10 * ms, 10 * ms, 1},
		{50 * ms, 10 * ms, 1},
		{100 * us, 0, 1}, // --min-time 0: one warm pass
		{1 * us, 10 * ms, MaxPasses},
		{0, 10 * ms, MaxPasses},
	} {
		if got := PickPasses(c.pass, c.min); got != c.want {
			t.Errorf("PickPasses(%v, %v) = %d, want %d", c.pass, c.min, got, c.want)
		}
	}
}

// TestPassPickerFastestPass replays sequential square at --min-time 10ms:
// its last warm-up's passes took 240 µs, the measured ones 132 µs. K
// picked from the warm-up alone (42) gave 5.5 ms trials; the picker must
// raise K once a faster pass is seen, and never lower it after a slower one.
func TestPassPickerFastestPass(t *testing.T) {
	us := time.Microsecond
	p := passPicker{minTime: 10 * time.Millisecond}
	steps := []struct {
		fastest time.Duration
		want    int
	}{
		{0, 1},         // no warm pass seen yet: one
		{240 * us, 42}, // warm-up
		{132 * us, 76}, // first measured trial: 76 × 132 µs ≥ 10 ms
		{300 * us, 76}, // a slower trial keeps K
		{132 * us, 76}, // the same again
		{0, 76},        // a trial without a warm pass changes nothing
	}
	for i, s := range steps {
		got := p.see(s.fastest)
		if got != s.want {
			t.Errorf("step %d: see(%v) = %d, want %d", i, s.fastest, got, s.want)
		}
		if p.fastest > 0 && time.Duration(got)*p.fastest < p.minTime {
			t.Errorf("step %d: K %d × fastest %v < min time %v", i, got, p.fastest, p.minTime)
		}
	}
}
