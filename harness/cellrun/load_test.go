package cellrun

import (
	"math"
	"testing"
	"time"
)

const statBefore = `cpu  1000 0 500 9000 10 0 0 0 0 0
cpu0 500 0 250 4500 5 0 0 0 0 0
cpu1 500 0 250 4500 5 0 0 0 0 0
intr 12345
ctxt 678
`

// One second later: cpu0 fully busy (80 ticks user, 10 system, 5 irq,
// 5 softirq), cpu1 30 ticks user, 10 steal; iowait does not count.
const statAfter = `cpu  1130 0 510 9060 30 5 5 10 0 0
cpu0 580 0 260 4500 5 5 5 0 0 0
cpu1 530 0 250 4560 25 0 0 10 0 0
`

func TestParseCPUTimes(t *testing.T) {
	got := ParseCPUTimes([]byte(statBefore))
	if len(got) != 2 || got[0] != 7.5 || got[1] != 7.5 {
		t.Errorf("ParseCPUTimes = %v, want cpu0 and cpu1 at 7.5 s", got)
	}
	if got := ParseCPUTimes([]byte("cpu0 1 2\nnonsense\n")); len(got) != 0 {
		t.Errorf("short lines: %v", got)
	}
}

func TestOtherLoad(t *testing.T) {
	before, after := ParseCPUTimes([]byte(statBefore)), ParseCPUTimes([]byte(statAfter))
	cases := []struct {
		name   string
		cpus   []int
		own    time.Duration
		wall   time.Duration
		want   float64
		wantOK bool
	}{
		{"cpu0, all the cell's own", []int{0}, time.Second, time.Second, 0, true},
		{"cpu0, a quarter other", []int{0}, 750 * time.Millisecond, time.Second, 0.25, true},
		{"both, own 0.5 s", []int{0, 1}, 500 * time.Millisecond, time.Second, (1.4 - 0.5) / 2, true},
		{"own more than busy", []int{1}, time.Second, time.Second, 0, true},
		{"unknown cpu", []int{7}, 0, time.Second, 0, false},
		{"empty window", []int{0}, 0, 0, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := OtherLoad(before, after, c.cpus, c.own, c.wall)
			if ok != c.wantOK || math.Abs(got-c.want) > 1e-9 {
				t.Errorf("OtherLoad = %v, %v; want %v, %v", got, ok, c.want, c.wantOK)
			}
		})
	}
}
