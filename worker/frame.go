package worker

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"unsafe"

	"github.com/mpbench/mpbench/workloads"
)

// The frame codec is the wire format of every process model that moves
// tasks and results through a byte stream (a socket or a pipe). A frame is
// a fixed 16-byte header and a payload:
//
//	offset  size  field
//	0       1     kind (FrameKind)
//	1       1     version (FrameVersion)
//	2       2     reserved, zero
//	4       4     payload length in bytes, little-endian
//	8       8     seq, little-endian: the index of the first task or
//	              result, a PID in a hello, the frame capacity in a config
//	16      len   payload
//
// Task and result payloads are packed little-endian uint64s: one per task
// in an args frame (Pool.map: one argument), two per task in a pairs frame
// (Pool.starmap: an argument pair), one per result in a results frame. A
// batch of tasks is one frame and one write, never one write per task.
//
// Note: a decoder checks the header (kind, version, reserved bits, length
// against its bound and the kind's element size) before it allocates or
// reads the payload, so a corrupt or hostile length costs an error, not
// memory.

// FrameKind says what a frame carries.
type FrameKind uint8

// The frame kinds.
const (
	// FrameHello is a child's first frame after its setup; seq is its PID.
	FrameHello FrameKind = iota + 1
	// FrameConfig tells a worker what to run; seq is the most tasks one
	// frame will carry, the payload a workload name.
	FrameConfig
	// FrameArgs carries tasks of one argument each (Task.A): the map path.
	FrameArgs
	// FramePairs carries tasks of two arguments (Task.A, Task.B): the
	// starmap path.
	FramePairs
	// FrameResults carries results; seq is the index of the first.
	FrameResults
	// FrameDone ends a stream; seq is model-defined (e.g. a count).
	FrameDone
	// FrameError carries an error message from a child.
	FrameError
	// FrameGo tells a child that has said hello to begin its part of the
	// trial (Group.Go); the child answers with a done frame when the part
	// ends its own way (Group.AwaitDone).
	FrameGo
	frameKinds
)

var frameKindNames = [...]string{
	FrameHello: "hello", FrameConfig: "config", FrameArgs: "args", FramePairs: "pairs",
	FrameResults: "results", FrameDone: "done", FrameError: "error", FrameGo: "go",
}

func (k FrameKind) String() string {
	if k > 0 && k < frameKinds {
		return frameKindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// elemSize is the payload unit of a data kind; 0 for control kinds.
func (k FrameKind) elemSize() int {
	switch k {
	case FrameArgs, FrameResults:
		return 8
	case FramePairs:
		return 16
	}
	return 0
}

const (
	// FrameHeaderSize is the size of a frame header.
	FrameHeaderSize = 16
	// FrameVersion is the version every frame carries.
	FrameVersion = 1
	// MaxControlPayload bounds the payload of control frames (hello,
	// config, done, error, go) whatever a reader's bound.
	MaxControlPayload = 4096
	// DefaultMaxFramePayload is a reader's bound when it is given none:
	// 64 MiB, four million pairs.
	DefaultMaxFramePayload = 64 << 20
)

// ErrBadFrame is wrapped by every error about a frame's content.
var ErrBadFrame = errors.New("bad frame")

// ErrFrameTooLarge is returned for a frame whose length exceeds the
// reader's bound; it wraps ErrBadFrame.
var ErrFrameTooLarge = fmt.Errorf("%w: payload too large", ErrBadFrame)

// Frame is one decoded frame. Payload aliases the decoder's buffer: it is
// valid until the next call to the FrameReader that returned it.
type Frame struct {
	Kind    FrameKind
	Seq     uint64
	Payload []byte
}

// Count returns the number of tasks or results a data frame carries, and 0
// for a control frame.
func (f Frame) Count() int {
	if s := f.Kind.elemSize(); s > 0 {
		return len(f.Payload) / s
	}
	return 0
}

// Tasks decodes an args or pairs frame into dst's storage, growing it only
// when it is too small, and returns the tasks. An args frame gives tasks
// with B = 0.
func (f Frame) Tasks(dst []workloads.Task) ([]workloads.Task, error) {
	n := f.Count()
	if cap(dst) < n {
		dst = make([]workloads.Task, n)
	}
	dst = dst[:n]
	p := f.Payload
	switch f.Kind {
	case FramePairs:
		if nativeLE {
			copy(taskBytes(dst), p[:16*n])
			return dst, nil
		}
	}
	switch f.Kind {
	case FrameArgs:
		p = p[:8*n]
		for i := range dst {
			dst[i] = workloads.Task{A: binary.LittleEndian.Uint64(p[8*i:])}
		}
	case FramePairs:
		p = p[:16*n]
		for i := range dst {
			q := p[16*i : 16*i+16]
			dst[i] = workloads.Task{A: binary.LittleEndian.Uint64(q), B: binary.LittleEndian.Uint64(q[8:])}
		}
	default:
		return dst[:0], fmt.Errorf("%w: want args or pairs, got %v", ErrBadFrame, f.Kind)
	}
	return dst, nil
}

// ResultsInto decodes a results frame into dst, which must hold exactly
// Count() results.
func (f Frame) ResultsInto(dst []uint64) error {
	if f.Kind != FrameResults {
		return fmt.Errorf("%w: want results, got %v", ErrBadFrame, f.Kind)
	}
	if len(dst) != f.Count() {
		return fmt.Errorf("%w: %d results for %d slots", ErrBadFrame, f.Count(), len(dst))
	}
	p := f.Payload[:8*len(dst)]
	if nativeLE {
		copy(wordBytes(dst), p)
		return nil
	}
	for i := range dst {
		dst[i] = binary.LittleEndian.Uint64(p[8*i:])
	}
	return nil
}

// nativeLE is true on little-endian hosts, where packed tasks and results
// are their in-memory layout and encoding and decoding are a copy.
var nativeLE = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// taskBytes views tasks as bytes (Task is two uint64s, no padding).
func taskBytes(t []workloads.Task) []byte {
	if len(t) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&t[0])), 16*len(t))
}

// wordBytes views words as bytes.
func wordBytes(w []uint64) []byte {
	if len(w) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&w[0])), 8*len(w))
}

func appendHeader(dst []byte, kind FrameKind, seq uint64, n int) []byte {
	var h [FrameHeaderSize]byte
	h[0], h[1] = byte(kind), FrameVersion
	binary.LittleEndian.PutUint32(h[4:], uint32(n))
	binary.LittleEndian.PutUint64(h[8:], seq)
	return append(dst, h[:]...)
}

// grow extends dst by n bytes and returns the extended slice and the new
// bytes.
func grow(dst []byte, n int) ([]byte, []byte) {
	l := len(dst)
	if cap(dst)-l < n {
		nd := make([]byte, l, 2*cap(dst)+n)
		copy(nd, dst)
		dst = nd
	}
	dst = dst[:l+n]
	return dst, dst[l:]
}

// AppendTasksFrame appends a frame carrying tasks to dst: a pairs frame if
// pairs is set, else an args frame (only Task.A is sent).
func AppendTasksFrame(dst []byte, seq uint64, tasks []workloads.Task, pairs bool) []byte {
	if pairs {
		dst = appendHeader(dst, FramePairs, seq, 16*len(tasks))
		if nativeLE {
			return append(dst, taskBytes(tasks)...)
		}
		dst, p := grow(dst, 16*len(tasks))
		for i, t := range tasks {
			q := p[16*i : 16*i+16]
			binary.LittleEndian.PutUint64(q, t.A)
			binary.LittleEndian.PutUint64(q[8:], t.B)
		}
		return dst
	}
	dst = appendHeader(dst, FrameArgs, seq, 8*len(tasks))
	dst, p := grow(dst, 8*len(tasks))
	for i, t := range tasks {
		binary.LittleEndian.PutUint64(p[8*i:], t.A)
	}
	return dst
}

// AppendResultsFrame appends a results frame to dst.
func AppendResultsFrame(dst []byte, seq uint64, results []uint64) []byte {
	dst = appendHeader(dst, FrameResults, seq, 8*len(results))
	if nativeLE {
		return append(dst, wordBytes(results)...)
	}
	dst, p := grow(dst, 8*len(results))
	for i, r := range results {
		binary.LittleEndian.PutUint64(p[8*i:], r)
	}
	return dst
}

// AppendControlFrame appends a control frame to dst. The payload is cut to
// MaxControlPayload bytes.
func AppendControlFrame(dst []byte, kind FrameKind, seq uint64, payload []byte) []byte {
	if len(payload) > MaxControlPayload {
		payload = payload[:MaxControlPayload]
	}
	dst = appendHeader(dst, kind, seq, len(payload))
	return append(dst, payload...)
}

// parseHeader checks a header and returns the frame it announces (without
// its payload) and the payload length.
func parseHeader(h []byte, maxPayload int) (Frame, int, error) {
	kind := FrameKind(h[0])
	if kind == 0 || kind >= frameKinds {
		return Frame{}, 0, fmt.Errorf("%w: unknown kind %d", ErrBadFrame, h[0])
	}
	if h[1] != FrameVersion {
		return Frame{}, 0, fmt.Errorf("%w: version %d, this build speaks %d", ErrBadFrame, h[1], FrameVersion)
	}
	if h[2] != 0 || h[3] != 0 {
		return Frame{}, 0, fmt.Errorf("%w: reserved bits set", ErrBadFrame)
	}
	n := uint64(binary.LittleEndian.Uint32(h[4:]))
	limit := uint64(max(maxPayload, 0))
	if kind.elemSize() == 0 {
		limit = MaxControlPayload
	}
	if n > limit {
		return Frame{}, 0, fmt.Errorf("%w: %v frame of %d bytes, bound %d", ErrFrameTooLarge, kind, n, limit)
	}
	if s := kind.elemSize(); s > 0 && n%uint64(s) != 0 {
		return Frame{}, 0, fmt.Errorf("%w: %v payload of %d bytes is not a multiple of %d", ErrBadFrame, kind, n, s)
	}
	return Frame{Kind: kind, Seq: binary.LittleEndian.Uint64(h[8:])}, int(n), nil
}

// DecodeFrame decodes the frame at the start of b and returns it and its
// encoded size. The payload aliases b. It returns io.ErrUnexpectedEOF when
// b holds only part of a frame, and an error wrapping ErrBadFrame when the
// frame is invalid or its payload exceeds maxPayload bytes.
func DecodeFrame(b []byte, maxPayload int) (Frame, int, error) {
	if len(b) < FrameHeaderSize {
		return Frame{}, 0, io.ErrUnexpectedEOF
	}
	f, n, err := parseHeader(b, maxPayload)
	if err != nil {
		return Frame{}, 0, err
	}
	if len(b)-FrameHeaderSize < n {
		return Frame{}, 0, io.ErrUnexpectedEOF
	}
	f.Payload = b[FrameHeaderSize : FrameHeaderSize+n : FrameHeaderSize+n]
	return f, FrameHeaderSize + n, nil
}

// FrameReader reads frames from a byte stream through a read buffer, so
// that many small frames cost one read system call. A frame that fits the
// read buffer is returned in place; a bigger one is read into a payload
// buffer that is reused from frame to frame.
type FrameReader struct {
	src  io.Reader
	max  int
	in   []byte // read buffer; in[r:w] is read and not yet returned
	r, w int
	buf  []byte // payload buffer for frames bigger than in
}

// frameReadBuffer is the size of a FrameReader's read buffer.
const frameReadBuffer = 64 << 10

// NewFrameReader returns a reader that rejects data frames of more than
// maxPayload bytes (DefaultMaxFramePayload if maxPayload ≤ 0).
func NewFrameReader(r io.Reader, maxPayload int) *FrameReader {
	if maxPayload <= 0 {
		maxPayload = DefaultMaxFramePayload
	}
	in := make([]byte, frameReadBuffer)
	clear(in) // fault the pages in now, not in the first frame
	return &FrameReader{src: r, max: maxPayload, in: in}
}

// SetMaxPayload changes the bound on data frames.
func (r *FrameReader) SetMaxPayload(n int) { r.max = n }

// Reserve makes the payload buffer hold n bytes without allocating or
// page-faulting later.
func (r *FrameReader) Reserve(n int) {
	if n > len(r.in) && cap(r.buf) < n {
		r.buf = make([]byte, n)
		clear(r.buf)
	}
}

// Buffered returns the number of bytes already read from the stream and
// not yet returned as frames.
func (r *FrameReader) Buffered() int { return r.w - r.r }

// Ready reports whether a whole frame is already buffered, so that Next
// will not block in a read. A worker that coalesces its replies flushes
// them when Ready is false.
func (r *FrameReader) Ready() bool {
	b := r.w - r.r
	return b >= FrameHeaderSize && b-FrameHeaderSize >= int(binary.LittleEndian.Uint32(r.in[r.r+4:]))
}

// fill reads until at least n bytes (n ≤ len(r.in)) are buffered.
func (r *FrameReader) fill(n int) error {
	if r.w-r.r >= n {
		return nil
	}
	if len(r.in)-r.r < n {
		r.w = copy(r.in, r.in[r.r:r.w])
		r.r = 0
	}
	for r.w-r.r < n {
		m, err := r.src.Read(r.in[r.w:])
		r.w += m
		if r.w-r.r >= n {
			return nil
		}
		if err != nil {
			if err == io.EOF && r.w > r.r {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		if m == 0 {
			return io.ErrNoProgress
		}
	}
	return nil
}

// Next reads the next frame. It returns io.EOF at a clean end of stream
// (between frames), io.ErrUnexpectedEOF inside a frame, and an error
// wrapping ErrBadFrame for an invalid frame, before reading its payload.
func (r *FrameReader) Next() (Frame, error) {
	if err := r.fill(FrameHeaderSize); err != nil {
		return Frame{}, err
	}
	f, n, err := parseHeader(r.in[r.r:r.r+FrameHeaderSize], r.max)
	if err != nil {
		return Frame{}, err
	}
	if FrameHeaderSize+n <= len(r.in) {
		if err := r.fill(FrameHeaderSize + n); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return Frame{}, err
		}
		a := r.r + FrameHeaderSize
		f.Payload = r.in[a : a+n : a+n]
		r.r = a + n
		return f, nil
	}
	// A big frame: what is buffered, then the rest straight from the
	// stream into the payload buffer.
	if cap(r.buf) < n {
		r.buf = make([]byte, n)
	}
	f.Payload = r.buf[:n:n]
	r.r += FrameHeaderSize
	got := copy(f.Payload, r.in[r.r:r.w])
	r.r, r.w = 0, 0
	if _, err := io.ReadFull(r.src, f.Payload[got:]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return Frame{}, err
	}
	return f, nil
}

// FrameWriter writes frames to a byte stream. Frames are appended to a
// reused buffer and written with one Write call per Flush; the Write
// methods append one frame and flush it.
type FrameWriter struct {
	w   io.Writer
	buf []byte
}

// NewFrameWriter returns a writer to w.
func NewFrameWriter(w io.Writer) *FrameWriter { return &FrameWriter{w: w} }

// Reserve makes the buffer hold n bytes without allocating or
// page-faulting later.
func (w *FrameWriter) Reserve(n int) {
	if cap(w.buf) < n {
		b := make([]byte, n)
		clear(b)
		w.buf = append(b[:0], w.buf...)
	}
}

// Pending returns the number of bytes appended and not yet flushed.
func (w *FrameWriter) Pending() int { return len(w.buf) }

// AppendTasks appends a tasks frame (see AppendTasksFrame).
func (w *FrameWriter) AppendTasks(seq uint64, tasks []workloads.Task, pairs bool) {
	w.buf = AppendTasksFrame(w.buf, seq, tasks, pairs)
}

// AppendResults appends a results frame.
func (w *FrameWriter) AppendResults(seq uint64, results []uint64) {
	w.buf = AppendResultsFrame(w.buf, seq, results)
}

// AppendControl appends a control frame.
func (w *FrameWriter) AppendControl(kind FrameKind, seq uint64, payload []byte) {
	w.buf = AppendControlFrame(w.buf, kind, seq, payload)
}

// Flush writes every appended frame with one Write call.
func (w *FrameWriter) Flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.w.Write(w.buf)
	w.buf = w.buf[:0]
	return err
}

// WriteTasks writes one tasks frame.
func (w *FrameWriter) WriteTasks(seq uint64, tasks []workloads.Task, pairs bool) error {
	w.AppendTasks(seq, tasks, pairs)
	return w.Flush()
}

// WriteResults writes one results frame.
func (w *FrameWriter) WriteResults(seq uint64, results []uint64) error {
	w.AppendResults(seq, results)
	return w.Flush()
}

// WriteControl writes one control frame.
func (w *FrameWriter) WriteControl(kind FrameKind, seq uint64, payload []byte) error {
	w.AppendControl(kind, seq, payload)
	return w.Flush()
}
