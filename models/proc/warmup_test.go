package proc

import (
	"testing"
	"time"
)

func TestWarmupBurnsUpToProcessCPUTime(t *testing.T) {
	want := cpuTime() + 5*time.Millisecond
	t.Setenv(EnvWarmup, want.String())
	Warmup()
	if got := cpuTime(); got < want {
		t.Fatalf("process CPU time %v after warming to %v", got, want)
	}
	t.Setenv(EnvWarmup, "0")
	if d := Warmup(); d > time.Millisecond {
		t.Fatalf("warming turned off took %v", d)
	}
}
