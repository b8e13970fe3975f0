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
