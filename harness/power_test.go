package harness

import (
	"strings"
	"testing"
)

func TestPowerWarning(t *testing.T) {
	for _, c := range []struct {
		trials, cells int
		want          string
	}{
		{5, 40, "with 5 trials per cell and 40 cells, no comparison of this run with another can reach p ≤ 0.05 after Holm–Bonferroni: use --trials 7 or more"},
		{5, 10, "use --trials 6 or more"},
		{6, 10, ""},
		{10, 100, ""},
		{3, 1, "use --trials 4 or more"},
		{4, 1, ""},
	} {
		got := PowerWarning(c.trials, c.cells)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("PowerWarning(%d, %d) = %q, want %q", c.trials, c.cells, got, c.want)
		}
	}
}
