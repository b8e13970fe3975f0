package worker

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"testing"
	"testing/iotest"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/workloads"
)

func sampleTasks(n int) []workloads.Task {
	tasks := make([]workloads.Task, n)
	for i := range tasks {
		tasks[i] = workloads.Task{A: uint64(i)*0x9e3779b97f4a7c15 + 1, B: uint64(i) ^ 0xfeed}
	}
	return tasks
}

func TestFrameRoundTrip(t *testing.T) {
	tasks := sampleTasks(37)
	results := make([]uint64, 37)
	for i := range results {
		results[i] = ^uint64(i)
	}
	args := make([]workloads.Task, len(tasks))
	for i, tk := range tasks {
		args[i] = workloads.Task{A: tk.A}
	}
	cases := []struct {
		name    string
		enc     []byte
		kind    FrameKind
		seq     uint64
		tasks   []workloads.Task
		results []uint64
		payload []byte
	}{
		{"pairs", AppendTasksFrame(nil, 7, tasks, true), FramePairs, 7, tasks, nil, nil},
		{"args keep A only", AppendTasksFrame(nil, 8, tasks, false), FrameArgs, 8, args, nil, nil},
		{"empty pairs", AppendTasksFrame(nil, 0, nil, true), FramePairs, 0, []workloads.Task{}, nil, nil},
		{"results", AppendResultsFrame(nil, 1<<40, results), FrameResults, 1 << 40, nil, results, nil},
		{"hello", AppendControlFrame(nil, FrameHello, 4242, nil), FrameHello, 4242, nil, nil, []byte{}},
		{"config", AppendControlFrame(nil, FrameConfig, 100, []byte("square")), FrameConfig, 100, nil, nil, []byte("square")},
		{"error", AppendControlFrame(nil, FrameError, 0, []byte("boom")), FrameError, 0, nil, nil, []byte("boom")},
		{"done", AppendControlFrame(nil, FrameDone, 3, nil), FrameDone, 3, nil, nil, []byte{}},
		{"go", AppendControlFrame(nil, FrameGo, 0, nil), FrameGo, 0, nil, nil, []byte{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, n, err := DecodeFrame(c.enc, 1<<20)
			if err != nil {
				t.Fatalf("DecodeFrame: %v", err)
			}
			if n != len(c.enc) || f.Kind != c.kind || f.Seq != c.seq {
				t.Fatalf("got kind %v seq %d size %d, want %v %d %d", f.Kind, f.Seq, n, c.kind, c.seq, len(c.enc))
			}
			// The stream reader agrees with the slice decoder.
			rf, err := NewFrameReader(bytes.NewReader(c.enc), 1<<20).Next()
			if err != nil || rf.Kind != f.Kind || rf.Seq != f.Seq || !bytes.Equal(rf.Payload, f.Payload) {
				t.Fatalf("FrameReader got %v %v, DecodeFrame %v", rf, err, f)
			}
			switch {
			case c.tasks != nil:
				got, err := f.Tasks(nil)
				if err != nil || !slices.Equal(got, c.tasks) {
					t.Fatalf("Tasks = %v, %v; want %v", got, err, c.tasks)
				}
			case c.results != nil:
				got := make([]uint64, f.Count())
				if err := f.ResultsInto(got); err != nil || !slices.Equal(got, c.results) {
					t.Fatalf("ResultsInto = %v, %v; want %v", got, err, c.results)
				}
			default:
				if !bytes.Equal(f.Payload, c.payload) || f.Count() != 0 {
					t.Fatalf("payload %q count %d, want %q 0", f.Payload, f.Count(), c.payload)
				}
			}
		})
	}
}

func header(kind, version byte, reserved uint16, n uint32, seq uint64) []byte {
	h := make([]byte, FrameHeaderSize)
	h[0], h[1] = kind, version
	binary.LittleEndian.PutUint16(h[2:], reserved)
	binary.LittleEndian.PutUint32(h[4:], n)
	binary.LittleEndian.PutUint64(h[8:], seq)
	return h
}

func TestDecodeFrameRejects(t *testing.T) {
	cases := []struct {
		name string
		b    []byte
		want error
		msg  string
	}{
		{"empty", nil, io.ErrUnexpectedEOF, ""},
		{"short header", header(3, 1, 0, 0, 0)[:15], io.ErrUnexpectedEOF, ""},
		{"short payload", append(header(3, 1, 0, 16, 0), make([]byte, 8)...), io.ErrUnexpectedEOF, ""},
		{"kind zero", header(0, 1, 0, 0, 0), ErrBadFrame, "unknown kind 0"},
		{"kind unknown", header(200, 1, 0, 0, 0), ErrBadFrame, "unknown kind 200"},
		{"version", header(3, 2, 0, 0, 0), ErrBadFrame, "version 2"},
		{"reserved", header(3, 1, 1, 0, 0), ErrBadFrame, "reserved"},
		{"odd args", append(header(byte(FrameArgs), 1, 0, 12, 0), make([]byte, 12)...), ErrBadFrame, "not a multiple of 8"},
		{"odd pairs", append(header(byte(FramePairs), 1, 0, 24, 0), make([]byte, 24)...), ErrBadFrame, "not a multiple of 16"},
		{"too large data", header(byte(FrameResults), 1, 0, 1<<20+8, 0), ErrFrameTooLarge, "bound 1048576"},
		{"huge data", header(byte(FramePairs), 1, 0, 0xfffffff0, 0), ErrFrameTooLarge, ""},
		{"too large control", header(byte(FrameError), 1, 0, MaxControlPayload+1, 0), ErrFrameTooLarge, "bound 4096"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := DecodeFrame(c.b, 1<<20)
			if !errors.Is(err, c.want) || !bytes.Contains([]byte(fmt.Sprint(err)), []byte(c.msg)) {
				t.Fatalf("err = %v, want %v containing %q", err, c.want, c.msg)
			}
			if errors.Is(c.want, ErrBadFrame) && !errors.Is(err, ErrBadFrame) {
				t.Fatalf("err = %v does not wrap ErrBadFrame", err)
			}
		})
	}
}

func TestFrameTypeMismatch(t *testing.T) {
	f, _, err := DecodeFrame(AppendResultsFrame(nil, 0, []uint64{1, 2}), 1<<10)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Tasks(nil); !errors.Is(err, ErrBadFrame) {
		t.Errorf("Tasks on results frame: err = %v", err)
	}
	if err := f.ResultsInto(make([]uint64, 3)); !errors.Is(err, ErrBadFrame) {
		t.Errorf("ResultsInto with 3 slots for 2: err = %v", err)
	}
	g, _, _ := DecodeFrame(AppendTasksFrame(nil, 0, sampleTasks(2), true), 1<<10)
	if err := g.ResultsInto(make([]uint64, 2)); !errors.Is(err, ErrBadFrame) {
		t.Errorf("ResultsInto on pairs frame: err = %v", err)
	}
}

// TestReaderOversizedDoesNotAllocate feeds a header that claims a 4 GiB
// payload and checks that the reader fails without reading or allocating
// the payload.
func TestReaderOversizedDoesNotAllocate(t *testing.T) {
	h := header(byte(FramePairs), 1, 0, 0xfffffff0, 0)
	r := NewFrameReader(nil, 1<<20)
	src := bytes.NewReader(nil)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 100 {
		src.Reset(h)
		r.src, r.r, r.w = src, 0, 0
		if _, err := r.Next(); !errors.Is(err, ErrFrameTooLarge) {
			t.Fatalf("err = %v, want ErrFrameTooLarge", err)
		}
	}
	runtime.ReadMemStats(&after)
	// Only the error values: a few hundred bytes per rejection.
	if perCall := (after.TotalAlloc - before.TotalAlloc) / 100; perCall > 1024 {
		t.Fatalf("%d bytes allocated per rejected frame", perCall)
	}
	if cap(r.buf) != 0 {
		t.Fatalf("payload buffer grew to %d", cap(r.buf))
	}
}

func TestReaderStream(t *testing.T) {
	var stream []byte
	stream = AppendControlFrame(stream, FrameHello, 1, nil)
	for i := range 100 {
		stream = AppendTasksFrame(stream, uint64(i), sampleTasks(i%5), i%2 == 0)
	}
	stream = AppendControlFrame(stream, FrameDone, 100, nil)
	r := NewFrameReader(bytes.NewReader(stream), 1<<10)
	var kinds []FrameKind
	for {
		f, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("frame %d: %v", len(kinds), err)
		}
		kinds = append(kinds, f.Kind)
	}
	if len(kinds) != 102 || kinds[0] != FrameHello || kinds[101] != FrameDone {
		t.Fatalf("read %d frames (%v…), want 102 from hello to done", len(kinds), kinds[:3])
	}
	// Cut inside the last frame: unexpected EOF, not a clean one.
	r = NewFrameReader(bytes.NewReader(stream[:len(stream)-3]), 1<<10)
	var err error
	for err == nil {
		_, err = r.Next()
	}
	if err != io.ErrUnexpectedEOF {
		t.Fatalf("truncated stream: err = %v, want unexpected EOF", err)
	}
}

type countingWriter struct {
	writes int
	bytes.Buffer
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.writes++
	return c.Buffer.Write(p)
}

func TestWriterOneWritePerFlush(t *testing.T) {
	var cw countingWriter
	w := NewFrameWriter(&cw)
	if err := w.WriteTasks(0, sampleTasks(1000), true); err != nil {
		t.Fatal(err)
	}
	if cw.writes != 1 {
		t.Fatalf("%d writes for one batch of 1000 tasks, want 1", cw.writes)
	}
	for i := range 50 {
		w.AppendResults(uint64(i), []uint64{uint64(i)})
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if cw.writes != 2 || w.Pending() != 0 {
		t.Fatalf("writes = %d pending = %d after appending 50 frames and one flush, want 2 and 0", cw.writes, w.Pending())
	}
	if err := w.Flush(); err != nil || cw.writes != 2 {
		t.Fatalf("empty flush wrote: writes = %d, err = %v", cw.writes, err)
	}
}

func TestControlPayloadIsCut(t *testing.T) {
	b := AppendControlFrame(nil, FrameError, 0, bytes.Repeat([]byte("x"), 3*MaxControlPayload))
	f, _, err := DecodeFrame(b, 0)
	if err != nil || len(f.Payload) != MaxControlPayload {
		t.Fatalf("long error payload: len %d, err %v", len(f.Payload), err)
	}
}

func seedFrames() [][]byte {
	return [][]byte{
		AppendControlFrame(nil, FrameHello, 1234, nil),
		AppendControlFrame(nil, FrameConfig, 4096, []byte("pow")),
		AppendTasksFrame(nil, 5, sampleTasks(3), false),
		AppendTasksFrame(nil, 9, sampleTasks(2), true),
		AppendResultsFrame(nil, 9, []uint64{1, 2, 3}),
		AppendControlFrame(AppendControlFrame(nil, FrameDone, 0, nil), FrameError, 0, []byte("x")),
		header(byte(FramePairs), 1, 0, 0xffffffff, 0),
		header(byte(FrameArgs), 1, 0, 7, 0),
	}
}

// FuzzDecodeFrame checks that no input makes the decoders panic or
// allocate past their bound, and that every frame they accept re-encodes
// to the same bytes. The seed corpus is in testdata/fuzz/FuzzDecodeFrame.
func FuzzDecodeFrame(f *testing.F) {
	for _, s := range seedFrames() {
		f.Add(s)
	}
	const bound = 1 << 12
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, n, err := DecodeFrame(b, bound)
		if err == nil {
			if n < FrameHeaderSize || n > len(b) {
				t.Fatalf("size %d of %d bytes", n, len(b))
			}
			var again []byte
			switch fr.Kind {
			case FrameArgs, FramePairs:
				tasks, err := fr.Tasks(nil)
				if err != nil {
					t.Fatal(err)
				}
				again = AppendTasksFrame(nil, fr.Seq, tasks, fr.Kind == FramePairs)
			case FrameResults:
				res := make([]uint64, fr.Count())
				if err := fr.ResultsInto(res); err != nil {
					t.Fatal(err)
				}
				again = AppendResultsFrame(nil, fr.Seq, res)
			default:
				again = AppendControlFrame(nil, fr.Kind, fr.Seq, fr.Payload)
			}
			if !bytes.Equal(again, b[:n]) {
				t.Fatalf("re-encoded %x, decoded from %x", again, b[:n])
			}
		} else if err != io.ErrUnexpectedEOF && !errors.Is(err, ErrBadFrame) {
			t.Fatalf("unexpected error class: %v", err)
		}
		// The stream reader never panics and never holds more than the
		// bound.
		r := NewFrameReader(bytes.NewReader(b), bound)
		for {
			if _, err := r.Next(); err != nil {
				break
			}
		}
		if cap(r.buf) > bound {
			t.Fatalf("reader buffer grew to %d, bound %d", cap(r.buf), bound)
		}
	})
}

func BenchmarkFrame(b *testing.B) {
	for _, n := range []int{1, 1024, 12500} {
		tasks := sampleTasks(n)
		results := make([]uint64, n)
		for _, pairs := range []bool{false, true} {
			name := "args"
			if pairs {
				name = "pairs"
			}
			b.Run(fmt.Sprintf("encode-%s/n=%d", name, n), func(b *testing.B) {
				w := NewFrameWriter(io.Discard)
				b.ReportAllocs()
				b.SetBytes(int64(len(AppendTasksFrame(nil, 0, tasks, pairs))))
				for b.Loop() {
					_ = w.WriteTasks(0, tasks, pairs)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/task")
			})
			b.Run(fmt.Sprintf("decode-%s/n=%d", name, n), func(b *testing.B) {
				enc := AppendTasksFrame(nil, 0, tasks, pairs)
				src := bytes.NewReader(enc)
				r := NewFrameReader(src, 0)
				dst := make([]workloads.Task, n)
				b.ReportAllocs()
				b.SetBytes(int64(len(enc)))
				for b.Loop() {
					src.Reset(enc)
					f, err := r.Next()
					if err != nil {
						b.Fatal(err)
					}
					if dst, err = f.Tasks(dst); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/task")
			})
		}
		b.Run(fmt.Sprintf("results-roundtrip/n=%d", n), func(b *testing.B) {
			var buf bytes.Buffer
			w := NewFrameWriter(&buf)
			r := NewFrameReader(&buf, 0)
			b.ReportAllocs()
			b.SetBytes(int64(FrameHeaderSize + 8*n))
			for b.Loop() {
				if err := w.WriteResults(0, results); err != nil {
					b.Fatal(err)
				}
				f, err := r.Next()
				if err != nil {
					b.Fatal(err)
				}
				if err := f.ResultsInto(results); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/task")
		})
	}
}

func TestReaderReady(t *testing.T) {
	one := AppendTasksFrame(nil, 0, sampleTasks(2), true)
	two := append(slices.Clone(one), one...)
	pr, pw := io.Pipe()
	r := NewFrameReader(pr, 0)
	go func() {
		pw.Write(two[:len(one)+5]) // one frame and a piece of the next
		pw.Write(two[len(one)+5:])
		pw.Close()
	}()
	if r.Ready() {
		t.Fatal("Ready before anything was read")
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if r.Ready() {
		t.Fatal("Ready with only part of a frame buffered")
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
}

// TestPortablePathsAgree checks the byte-by-byte little-endian coding
// against the native fast path used on little-endian hosts.
func TestPortablePathsAgree(t *testing.T) {
	tasks := sampleTasks(100)
	results := []uint64{1, 1 << 63, 0xdeadbeef, 42}
	fast := [][]byte{AppendTasksFrame(nil, 3, tasks, true), AppendResultsFrame(nil, 4, results)}
	defer func(v bool) { nativeLE = v }(nativeLE)
	nativeLE = false
	slow := [][]byte{AppendTasksFrame(nil, 3, tasks, true), AppendResultsFrame(nil, 4, results)}
	for i := range fast {
		if !bytes.Equal(fast[i], slow[i]) {
			t.Fatalf("frame %d: fast and portable encodings differ", i)
		}
	}
	f, _, _ := DecodeFrame(slow[0], 1<<20)
	got, _ := f.Tasks(nil)
	nativeLE = true
	got2, _ := f.Tasks(nil)
	if !slices.Equal(got, tasks) || !slices.Equal(got2, tasks) {
		t.Fatal("fast and portable decodings differ")
	}
	// Byte 8 of a pairs payload is the low byte of the first task's B.
	if want := byte(tasks[0].B); slow[0][FrameHeaderSize+8] != want {
		t.Fatalf("payload is not little-endian")
	}
}

// TestReaderSmallReads reads small and big frames from a stream that
// returns one byte per read.
func TestReaderSmallReads(t *testing.T) {
	var stream []byte
	big := sampleTasks(3 * frameReadBuffer / 16) // bigger than the read buffer
	stream = AppendTasksFrame(stream, 0, sampleTasks(3), true)
	stream = AppendTasksFrame(stream, 1, big, true)
	stream = AppendResultsFrame(stream, 2, []uint64{7})
	r := NewFrameReader(iotest.OneByteReader(bytes.NewReader(stream)), 0)
	for i, want := range []int{3, len(big), 1} {
		f, err := r.Next()
		if err != nil || f.Seq != uint64(i) || f.Count() != want {
			t.Fatalf("frame %d: %v seq %d count %d, want count %d", i, err, f.Seq, f.Count(), want)
		}
		if i == 1 {
			got, _ := f.Tasks(nil)
			if !slices.Equal(got, big) {
				t.Fatal("big frame corrupted")
			}
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("after the last frame: %v, want EOF", err)
	}
}

// TestDoneAccountRoundTrip reads back the account a done frame carries,
// and refuses a done frame without one or with an impossible one.
func TestDoneAccountRoundTrip(t *testing.T) {
	want := models.Account{Busy: 1234567, Tasks: 42, Chunks: 5, CPU: 3, First: 1e12, Last: 1e12 + 1234999}
	f, _, err := DecodeFrame(AppendControlFrame(nil, FrameDone, 42, AppendAccount(nil, want)), 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := DoneAccount(f, int(f.Seq)); !ok || got != want {
		t.Fatalf("got %+v %v, want %+v", got, ok, want)
	}
	for name, payload := range map[string][]byte{
		"none":         nil,
		"short":        make([]byte, 8),
		"negative":     AppendAccount(nil, models.Account{Busy: -1}),
		"cpu -2":       AppendAccount(nil, models.Account{CPU: -2}),
		"chunks -1":    AppendAccount(nil, models.Account{Chunks: -1}),
		"last < first": AppendAccount(nil, models.Account{First: 2, Last: 1}),
		"old size":     AppendAccount(nil, want)[:24],
	} {
		f, _, err := DecodeFrame(AppendControlFrame(nil, FrameDone, 1, payload), 0)
		if err != nil {
			t.Fatal(err)
		}
		if a, ok := DoneAccount(f, 1); ok {
			t.Errorf("%s: read account %+v", name, a)
		}
	}
}
