package modeltest_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/models/goroutines"
	"github.com/mpbench/mpbench/models/modeltest"
	"github.com/mpbench/mpbench/models/sequential"
	"github.com/mpbench/mpbench/models/shm"
	"github.com/mpbench/mpbench/workloads"
)

// stale wraps a model whose later passes cheat: "results" hands back the
// first pass's output without running a task, "accounts" runs the tasks
// but repeats the first pass's accounts and adds them to this pass's.
type stale struct {
	models.Model
	how string
}

func (m stale) Setup(ctx context.Context, cfg models.Config) (models.Session, error) {
	s, err := m.Model.Setup(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &staleSession{Session: s, how: m.how}, nil
}

type staleSession struct {
	models.Session
	how   string
	first *models.Output
}

func (s *staleSession) Compute(ctx context.Context) (models.Output, error) {
	if s.first != nil && s.how == "results" {
		return *s.first, nil
	}
	out, err := s.Session.Compute(ctx)
	if err != nil {
		return out, err
	}
	if s.first == nil {
		first := out
		first.Accounts = append([]models.Account(nil), out.Accounts...)
		s.first = &first
		return out, nil
	}
	// "accounts": this pass's and the first pass's, as a model that
	// forgot to start its accounts again would report.
	acc := append([]models.Account(nil), out.Accounts...)
	for i := range acc {
		acc[i].Tasks += s.first.Accounts[i].Tasks
		acc[i].Busy += s.first.Accounts[i].Busy
	}
	out.Accounts = acc
	return out, nil
}

// TestCheckPassesCatchesStalePasses checks that the passes check of the
// conformance suite fails a model whose later passes return the previous
// pass's results, or carry its accounts over, and passes the honest one.
func TestCheckPassesCatchesStalePasses(t *testing.T) {
	in, err := workloads.Square.New(map[string]int64{"tasks": 1001}, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []models.Model{sequential.New(), goroutines.New(), shm.New()} {
		cfg := models.Config{Workload: in, Cores: 1, Chunk: 333}
		if err := modeltest.CheckPasses(m, cfg, 3); err != nil {
			t.Errorf("%s: honest passes failed: %v", m.Name(), err)
		}
		err := modeltest.CheckPasses(stale{m, "results"}, cfg, 3)
		if !errors.Is(err, models.ErrChecksum) || !strings.HasPrefix(err.Error(), "pass 2: ") {
			t.Errorf("%s: stale results: got %v, want a checksum failure in pass 2", m.Name(), err)
		}
		err = modeltest.CheckPasses(stale{m, "accounts"}, cfg, 3)
		if !errors.Is(err, models.ErrAccounts) || !strings.HasPrefix(err.Error(), "pass 2: ") {
			t.Errorf("%s: accounts carried over: got %v, want an accounts failure in pass 2", m.Name(), err)
		}
	}
}
