package manager

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/mpbench/mpbench/worker"
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
	g, err := worker.StartGroup(ctx, []worker.Spec{{Role: ServerRole, Files: []*os.File{lnFile}}})
	lnFile.Close()
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close(worker.ExitGrace)
	if err := g.Handshake(ctx, worker.HandshakeTimeout, func(int) worker.Config { return worker.Config{} }); err != nil {
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
