package worker

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/workloads"
)

// ErrChildFailed is wrapped by errors that carry a child's own error frame.
// It does not wrap ErrProtocol: the child exits next, and Group.Run
// reports that exit, with its status and stderr, instead.
var ErrChildFailed = errors.New("child failed")

// childMain is Mono when RunChild began: the child's exec, Go runtime
// start and package initialisation are behind it.
var childMain int64

// hello is what a ready child reports.
type hello struct {
	// Warm is how long it warmed up (Warmup).
	Warm time.Duration
	// Main and Sent are Mono when its RunChild began and when it sent
	// the hello.
	Main, Sent int64
}

// writeHello says that this child is ready: a hello frame whose seq is its
// PID and whose payload is how long it warmed up (see Warmup), when
// RunChild began and now, on Mono's clock.
func writeHello(w *FrameWriter, warm time.Duration) error {
	var b [24]byte
	binary.LittleEndian.PutUint64(b[0:], uint64(warm.Nanoseconds()))
	binary.LittleEndian.PutUint64(b[8:], uint64(childMain))
	binary.LittleEndian.PutUint64(b[16:], uint64(Mono()))
	return w.WriteControl(FrameHello, uint64(os.Getpid()), b[:])
}

// readHello reads the hello of the child pid. An error frame instead is
// the child's failure.
func readHello(r *FrameReader, pid int) (hello, error) {
	f, err := r.Next()
	if err != nil {
		return hello{}, err
	}
	switch {
	case f.Kind == FrameError:
		return hello{}, fmt.Errorf("%w: pid %d: %s", ErrChildFailed, pid, f.Payload)
	case f.Kind != FrameHello || f.Seq != uint64(pid) || len(f.Payload) != 24:
		return hello{}, fmt.Errorf("%w: pid %d sent %v seq %d, want its hello", ErrProtocol, pid, f.Kind, f.Seq)
	}
	le := binary.LittleEndian
	return hello{
		Warm: time.Duration(le.Uint64(f.Payload)),
		Main: int64(le.Uint64(f.Payload[8:])),
		Sent: int64(le.Uint64(f.Payload[16:])),
	}, nil
}

// startStats sums up how long a group of children took to become ready.
type startStats struct {
	began     time.Time
	ready     []time.Duration // per child: hello arrival − began − warm-up
	warm      []time.Duration
	exec      []time.Duration // per child: its RunChild − its Start
	handshake []time.Duration // per child: its hello − its RunChild − warm-up
}

// newStartStats starts the clock of a group of children.
func newStartStats(children int) *startStats {
	return &startStats{
		began: time.Now(), ready: make([]time.Duration, children), warm: make([]time.Duration, children),
		exec: make([]time.Duration, children), handshake: make([]time.Duration, children),
	}
}

// hello records the hello h of child i, started as p, now.
func (s *startStats) hello(i int, p *Process, h hello) {
	s.ready[i], s.warm[i] = time.Since(s.began)-h.Warm, h.Warm
	if h.Main > 0 && p != nil && p.started > 0 {
		s.exec[i] = time.Duration(h.Main - p.started)
		s.handshake[i] = time.Duration(h.Sent-h.Main) - h.Warm
	}
}

// metrics returns the figures Group.StartMetrics documents.
func (s *startStats) metrics() map[string]float64 {
	var last, warm, exec, hs time.Duration
	for i := range s.ready {
		last, warm = max(last, s.ready[i]), max(warm, s.warm[i])
		exec += s.exec[i]
		hs += s.handshake[i]
	}
	n := max(len(s.ready), 1)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1e3 }
	return map[string]float64{
		"worker_start_ms":     ms(last) / float64(n),
		"worker_exec_ms":      ms(exec) / float64(n),
		"worker_handshake_ms": ms(hs) / float64(n),
		"worker_warmup_ms":    ms(warm),
	}
}

// Setup is a child's side of the handshake (Group.Handshake), the same
// for every role: it reads the config frame, calls prepare with it, warms
// up (Warmup) and says hello, in a frame that carries the warm-up and,
// on Mono's clock, when RunChild began and when the hello was sent.
// prepare is the role's own setup: it looks up the workload, maps memory,
// sizes and touches its buffers, reads the tasks that follow the config
// (ReadTasks). The config's payload is valid until prepare reads the next
// frame. prepare may be nil.
func Setup(rd *FrameReader, wr *FrameWriter, prepare func(config Frame) error) error {
	f, err := rd.Next()
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	if f.Kind != FrameConfig {
		return fmt.Errorf("%w: first frame %v seq %d, want config", ErrProtocol, f.Kind, f.Seq)
	}
	if prepare != nil {
		if err := prepare(f); err != nil {
			return err
		}
	}
	return writeHello(wr, Warmup())
}

// MaxFrameTasks is the most tasks one frame of DefaultMaxFramePayload holds.
const MaxFrameTasks = DefaultMaxFramePayload / 16

// WorkerBuffers is what a frame-serving worker computes with.
type WorkerBuffers struct {
	Workload *workloads.Workload
	Tasks    []workloads.Task
	Results  []uint64
	// Done counts the tasks Answer computed since the last done frame.
	Done uint64
	// Account is the worker's time inside the task function, kept by
	// Answer and sent with the done frame (AppendDone).
	Account models.Account
}

// Answer computes the tasks of an args or pairs frame f, decoded into
// Tasks, appends their results to wr as a results frame with f's seq (not
// flushed), and adds them to Done and to the account.
func (b *WorkerBuffers) Answer(f Frame, wr *FrameWriter) error {
	tasks, err := f.Tasks(b.Tasks)
	if err != nil {
		return err
	}
	b.Tasks = tasks
	b.Account.Apply(b.Workload.Apply, tasks, b.Results)
	wr.AppendResults(f.Seq, b.Results[:len(tasks)])
	b.Done += uint64(len(tasks))
	return nil
}

// AppendDone appends the worker's done frame (not flushed): its seq is
// Done, its payload the account of the tasks since the last done frame
// (AppendAccount); Done and the account then start again, so that each
// pass of a session (models.Session.Compute) is counted on its own.
func (b *WorkerBuffers) AppendDone(wr *FrameWriter) {
	b.Account.NoteCPU()
	wr.AppendControl(FrameDone, b.Done, AppendAccount(nil, b.Account))
	b.Account = models.NewAccount()
	b.Done = 0
}

// accountSize is the payload of a done frame that carries an account:
// busy ns, CPU, chunks, and the first chunk's start and the last chunk's
// end (CLOCK_MONOTONIC ns, 0: unknown), little-endian int64s (the tasks
// are the frame's seq). Both ends of a channel are the same build.
const accountSize = 40

// AppendAccount appends a's busy time, CPU and chunks to dst, as a done
// frame carries them.
func AppendAccount(dst []byte, a models.Account) []byte {
	dst = binary.LittleEndian.AppendUint64(dst, uint64(a.Busy))
	dst = binary.LittleEndian.AppendUint64(dst, uint64(int64(a.CPU)))
	dst = binary.LittleEndian.AppendUint64(dst, uint64(int64(a.Chunks)))
	dst = binary.LittleEndian.AppendUint64(dst, uint64(a.First))
	return binary.LittleEndian.AppendUint64(dst, uint64(a.Last))
}

// DoneAccount reads the account a worker's done frame carries, with tasks
// as its task count; ok is false for a done frame without one.
func DoneAccount(f Frame, tasks int) (a models.Account, ok bool) {
	if f.Kind != FrameDone || len(f.Payload) != accountSize {
		return models.Account{}, false
	}
	busy := int64(binary.LittleEndian.Uint64(f.Payload))
	cpu := int64(binary.LittleEndian.Uint64(f.Payload[8:]))
	chunks := int64(binary.LittleEndian.Uint64(f.Payload[16:]))
	first := int64(binary.LittleEndian.Uint64(f.Payload[24:]))
	last := int64(binary.LittleEndian.Uint64(f.Payload[32:]))
	if busy < 0 || cpu < -1 || cpu > 1<<20 || chunks < 0 || chunks > 1<<40 || first < 0 || last < first {
		return models.Account{}, false
	}
	return models.Account{Busy: time.Duration(busy), Tasks: tasks, Chunks: int(chunks), CPU: int(cpu), First: first, Last: last}, true
}

// ServeSetup is Setup for a frame-serving worker (procpool, pipe): the
// config names the workload, and its Seq is the largest batch the worker
// will get; it sizes and touches every buffer, so no page fault lands in
// compute.
func ServeSetup(rd *FrameReader, wr *FrameWriter) (*WorkerBuffers, error) {
	var b *WorkerBuffers
	err := Setup(rd, wr, func(f Frame) error {
		if f.Seq < 1 || f.Seq > MaxFrameTasks {
			return fmt.Errorf("%w: config seq %d, want a frame capacity of 1..%d", ErrProtocol, f.Seq, MaxFrameTasks)
		}
		wl, err := workloads.Lookup(string(f.Payload))
		if err != nil {
			return err
		}
		capacity := int(f.Seq)
		rd.SetMaxPayload(16 * capacity)
		rd.Reserve(16 * capacity)
		wr.Reserve(FrameHeaderSize + 8*capacity)
		b = &WorkerBuffers{Workload: wl, Tasks: make([]workloads.Task, capacity), Results: make([]uint64, capacity), Account: models.NewAccount()}
		clear(b.Tasks)               // fault the pages in now (writes, not reads of the zero page)
		wl.Apply(b.Tasks, b.Results) // and touch the results
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// ReadTasks reads the n tasks that follow a config (Config.Tasks) into a
// new slice, decoding each frame in place (child side).
func ReadTasks(rd *FrameReader, n int) ([]workloads.Task, error) {
	tasks := make([]workloads.Task, n)
	for got := 0; got < n; {
		f, err := rd.Next()
		if err != nil {
			return nil, fmt.Errorf("read tasks: %w", err)
		}
		if f.Seq != uint64(got) || f.Count() > n-got {
			return nil, fmt.Errorf("%w: %v frame seq %d (%d tasks) after %d of %d tasks", ErrProtocol, f.Kind, f.Seq, f.Count(), got, n)
		}
		// Decode in place: the slice has room for exactly this frame.
		if _, err := f.Tasks(tasks[got : got : got+f.Count()]); err != nil {
			return nil, err
		}
		got += f.Count()
	}
	return tasks, nil
}

// AwaitGo waits for the parent's go frame (child side; the parent sends it
// with Group.Go). It returns io.EOF when the parent has closed the channel
// instead: the child should exit.
func AwaitGo(rd *FrameReader) error {
	f, err := rd.Next()
	if err != nil {
		return err
	}
	if f.Kind != FrameGo {
		return fmt.Errorf("%w: %v frame, want go", ErrProtocol, f.Kind)
	}
	return nil
}

// GoDone is a child's side of go / done (Group.Go, Group.AwaitDone): it
// waits for a go frame, runs part, answers with a done frame, and so on
// until the parent closes the channel, when it returns nil.
func GoDone(rd *FrameReader, wr *FrameWriter, part func() error) error {
	return goDone(rd, wr, func() ([]byte, uint64, error) { return nil, 0, part() })
}

// GoDoneAccount is GoDone for a worker that keeps an account of its part
// (models.Account): part gets a fresh one each time, and the done frame
// carries it, its tasks as the seq (Group.AwaitDoneAccounts reads it).
func GoDoneAccount(rd *FrameReader, wr *FrameWriter, part func(a *models.Account) error) error {
	return goDone(rd, wr, func() ([]byte, uint64, error) {
		a := models.NewAccount()
		if err := part(&a); err != nil {
			return nil, 0, err
		}
		a.NoteCPU()
		return AppendAccount(nil, a), uint64(a.Tasks), nil
	})
}

func goDone(rd *FrameReader, wr *FrameWriter, part func() (payload []byte, seq uint64, err error)) error {
	for {
		err := AwaitGo(rd)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		payload, seq, err := part()
		if err != nil {
			return err
		}
		if err := wr.WriteControl(FrameDone, seq, payload); err != nil {
			return err
		}
	}
}

// AwaitEnd waits until the parent closes the channel (child side): the
// end of a worker that has done its part.
func AwaitEnd(rd *FrameReader) error {
	f, err := rd.Next()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("%w: unexpected %v frame", ErrProtocol, f.Kind)
}
