package manager

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/models/internal/workers"
	"github.com/mpbench/mpbench/models/proc"
	"github.com/mpbench/mpbench/workloads"
)

// BenchmarkRoundTrip measures one Dict.Set call from this process to a
// manager process: request frame out, store, response frame back.
func BenchmarkRoundTrip(b *testing.B) {
	dir, path, lnFile, err := listenPrivate()
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	g, err := workers.Start(ctx, "bench", []proc.Spec{{Role: ServerRole, Files: []*os.File{lnFile}}})
	lnFile.Close()
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	if err := g.Await(ctx, workers.Ready); err != nil {
		b.Fatal(err)
	}
	c, err := Dial(path)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	d := c.Dict()
	var key []byte
	i := 0
	for b.Loop() {
		key = strconv.AppendInt(key[:0], int64(i&0xffff), 10)
		if err := setKey(d, key, uint64(i)); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
}

// BenchmarkCompute times the compute phase of each model on each default
// workload at c = 1 and 2; setup, validation and teardown are outside the
// timer. The test binary is not confined to c CPUs here (mpbench's cell
// runner is), so these are the figures of c workers on the whole machine.
func BenchmarkCompute(b *testing.B) {
	for _, m := range []Model{New(), NewBatch()} {
		for _, w := range workloads.All() {
			in, err := w.New(nil, 1)
			if err != nil {
				b.Fatal(err)
			}
			for _, c := range []int{1, 2} {
				b.Run(fmt.Sprintf("%s/%s/c=%d", m.Name(), w.Name, c), func(b *testing.B) {
					benchCompute(b, m, models.Config{Workload: in, Cores: c})
				})
			}
		}
	}
}

func benchCompute(b *testing.B, m models.Model, cfg models.Config) {
	ctx := context.Background()
	var stored float64
	b.StopTimer()
	for range b.N {
		s, err := m.Setup(ctx, cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		out, err := s.Compute(ctx)
		b.StopTimer()
		if err == nil && workloads.Checksum(out.Results) != cfg.Workload.Reference {
			err = fmt.Errorf("checksum mismatch")
		}
		stored += out.Metrics["results_stored_per_s"]
		if terr := s.Teardown(); err == nil {
			err = terr
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	tasks := float64(b.N * len(cfg.Workload.Tasks))
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/tasks, "ns/task")
	b.ReportMetric(tasks/b.Elapsed().Seconds(), "tasks/s")
	b.ReportMetric(stored/float64(b.N), "stored/s")
}
