package modeltest_test

import (
	"context"
	"testing"
	"time"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/models/modeltest"
	"github.com/mpbench/mpbench/workloads"
)

// sleeper is a single-core model whose compute takes a fixed time.
type sleeper struct{ d time.Duration }

func (sleeper) Name() string     { return "sleeper" }
func (sleeper) Doc() string      { return "sleeps" }
func (sleeper) SingleCore() bool { return true }
func (sleeper) Family() string   { return "py" }
func (s sleeper) Setup(context.Context, models.Config) (models.Session, error) {
	return sleeperSession(s), nil
}

type sleeperSession sleeper

func (s sleeperSession) Compute(context.Context) (models.Output, error) {
	time.Sleep(s.d)
	return models.Output{Phases: &models.Phases{Compute: s.d}}, nil
}
func (sleeperSession) Teardown() error { return nil }

func TestSlow(t *testing.T) {
	const d = 20 * time.Millisecond
	m := modeltest.Slow(sleeper{d}, 3)
	if m.Name() != "sleeper-slow" || !models.IsSingleCore(m) || models.FamilyOf(m) != "py" {
		t.Errorf("name %q, single core %v, family %q: want sleeper-slow with sleeper's capabilities", m.Name(), models.IsSingleCore(m), models.FamilyOf(m))
	}
	in, _ := workloads.Square.New(map[string]int64{"tasks": 1}, 1)
	s, err := m.Setup(context.Background(), models.Config{Workload: in, Cores: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Teardown()
	start := time.Now()
	out, err := s.Compute(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 4*d {
		t.Errorf("compute took %v, want at least 4 × %v", took, d)
	}
	if out.Phases == nil || out.Phases.Compute < 4*d {
		t.Errorf("phases %+v: want the sleep in the compute phase the model reports", out.Phases)
	}
}
