package sequential_test

import (
	"context"
	"testing"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/workloads"

	"github.com/mpbench/mpbench/models/modeltest"
	"github.com/mpbench/mpbench/models/sequential"
)

func BenchmarkCompute(b *testing.B) {
	modeltest.Compute(b, modeltest.DefaultBench, nil, sequential.New())
}

// TestAccounts wants the loop's one account to hold every task.
func TestAccounts(t *testing.T) {
	in, err := workloads.Square.New(map[string]int64{"tasks": 1000}, 1)
	if err != nil {
		t.Fatal(err)
	}
	cfg := models.Config{Workload: in, Cores: 1}
	s, err := sequential.New().Setup(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Teardown()
	out, err := s.Compute(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := modeltest.CheckAccounts(out, cfg); err != nil {
		t.Fatal(err)
	}
}
