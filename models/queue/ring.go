package queue

import (
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A ring is a bounded multi-producer multi-consumer queue of 24-byte items
// living in memory shared by several processes (Dmitry Vyukov's bounded
// MPMC queue): every slot has a sequence number that says whose turn it
// is, a put claims the slot at the enqueue position with a compare-and-swap,
// fills it and publishes it by storing the next sequence number; a get
// does the same at the dequeue position. Nothing in it is a Go pointer, so
// it works the same from every process that maps the region.
//
// Blocking uses futexes on words in the shared region (not private
// futexes: the waiters are in other processes). A taker that finds the
// ring empty spins briefly, yields, then raises the readers' wait flag,
// re-checks and sleeps on the readers' futex word; a putter that finds
// the flag raised clears it, bumps the word and wakes the sleepers. The
// flag is checked after every put, an atomic load of a line that only
// changes when someone sleeps. Writers waiting for room work the same way.
// Every sleep has a timeout, after which the sleeper re-checks the ring and
// the region's abort word.
//
// Note: waking a sleeper costs a system call on both sides, so a ring can
// defer wake-ups: readers are woken when readWake items wait (or on
// flush), writers when writeWake slots are free. The task ring wakes
// consumers at once (readWake 1); the result ring wakes the parent only
// when it is half full or a consumer has put its sentinel, and the
// producer sleeps until the task ring is half empty, so that each side
// works in bursts instead of paying a wake-up per item.

// slot is one item and its sequence number: 32 bytes.
type slot struct {
	seq     atomic.Uint64
	x, y, z uint64
}

// ringCtl is a ring's control block, one cache line per field group so
// that producers and consumers do not share lines.
type ringCtl struct {
	enq       atomic.Uint64
	_         [56]byte
	deq       atomic.Uint64
	_         [56]byte
	readSeq   atomic.Uint32 // readers sleep on this word
	readWait  atomic.Uint32 // a reader may be asleep
	_         [56]byte
	writeSeq  atomic.Uint32 // writers sleep on this word
	writeWait atomic.Uint32 // a writer may be asleep
	_         [56]byte
}

const (
	ctlSize  = int(unsafe.Sizeof(ringCtl{}))
	slotSize = int(unsafe.Sizeof(slot{}))
)

// ringSize is the bytes a ring of capacity slots takes in the region.
func ringSize(capacity int) int { return ctlSize + capacity*slotSize }

type ring struct {
	ctl   *ringCtl
	slots []slot
	mask  uint64
	abort *atomic.Uint32
	// readWake and writeWake are the wake-up thresholds (see above).
	readWake, writeWake uint64
	// wakeReader, when set, replaces the futex wake of sleeping readers:
	// the result ring's one reader, the parent, waits on an eventfd in
	// Go's netpoller instead of a futex (see waitItems).
	wakeReader func()
}

// errAborted is returned by a blocked put or get when the region's abort
// word is set.
var errAborted = errors.New("queue aborted")

// mapRing returns the ring at mem[off:], of capacity slots (a power of
// two). init sets every slot's sequence number, as the creator must do
// once before anyone uses the ring.
func mapRing(mem []byte, off, capacity int, abort *atomic.Uint32, init bool) (*ring, error) {
	if capacity < 2 || capacity&(capacity-1) != 0 {
		return nil, fmt.Errorf("queue: ring capacity %d is not a power of two", capacity)
	}
	if off%64 != 0 || off+ringSize(capacity) > len(mem) {
		return nil, fmt.Errorf("queue: ring at %d of %d slots does not fit a %d-byte region", off, capacity, len(mem))
	}
	r := &ring{
		ctl:       (*ringCtl)(unsafe.Pointer(&mem[off])),
		slots:     unsafe.Slice((*slot)(unsafe.Pointer(&mem[off+ctlSize])), capacity),
		mask:      uint64(capacity - 1),
		abort:     abort,
		readWake:  1,
		writeWake: 1,
	}
	if init {
		for i := range r.slots {
			r.slots[i].seq.Store(uint64(i))
		}
	}
	return r, nil
}

// len returns the number of items in the ring (racy, a hint).
func (r *ring) len() uint64 {
	e, d := r.ctl.enq.Load(), r.ctl.deq.Load()
	if e < d {
		return 0
	}
	return e - d
}

// tryPut adds an item unless the ring is full.
func (r *ring) tryPut(x, y, z uint64) bool {
	pos := r.ctl.enq.Load()
	for {
		s := &r.slots[pos&r.mask]
		seq := s.seq.Load()
		switch dif := int64(seq - pos); {
		case dif == 0:
			if r.ctl.enq.CompareAndSwap(pos, pos+1) {
				s.x, s.y, s.z = x, y, z
				s.seq.Store(pos + 1)
				r.afterPut()
				return true
			}
			pos = r.ctl.enq.Load()
		case dif < 0:
			return false
		default:
			pos = r.ctl.enq.Load()
		}
	}
}

// tryGet takes an item unless the ring is empty.
func (r *ring) tryGet() (x, y, z uint64, ok bool) {
	pos := r.ctl.deq.Load()
	for {
		s := &r.slots[pos&r.mask]
		seq := s.seq.Load()
		switch dif := int64(seq - (pos + 1)); {
		case dif == 0:
			if r.ctl.deq.CompareAndSwap(pos, pos+1) {
				x, y, z = s.x, s.y, s.z
				s.seq.Store(pos + r.mask + 1)
				r.afterGet()
				return x, y, z, true
			}
			pos = r.ctl.deq.Load()
		case dif < 0:
			return 0, 0, 0, false
		default:
			pos = r.ctl.deq.Load()
		}
	}
}

func (r *ring) afterPut() {
	if r.ctl.readWait.Load() != 0 && (r.readWake <= 1 || r.len() >= r.readWake) {
		r.wakeReaders()
	}
}

func (r *ring) afterGet() {
	if r.ctl.writeWait.Load() != 0 && (r.writeWake <= 1 || r.mask+1-r.len() >= r.writeWake) {
		r.wakeWriters()
	}
}

func (r *ring) wakeReaders() {
	if r.ctl.readWait.Swap(0) != 0 {
		r.ctl.readSeq.Add(1)
		if r.wakeReader != nil {
			r.wakeReader()
			return
		}
		futexWake(&r.ctl.readSeq)
	}
}

func (r *ring) wakeWriters() {
	if r.ctl.writeWait.Swap(0) != 0 {
		r.ctl.writeSeq.Add(1)
		futexWake(&r.ctl.writeSeq)
	}
}

// flush wakes sleeping readers whatever the threshold: a writer calls it
// before it goes idle.
func (r *ring) flush() {
	if r.ctl.readWait.Load() != 0 {
		r.wakeReaders()
	}
}

// wakeAll wakes every sleeper, readers and writers (after abort is set).
func (r *ring) wakeAll() {
	r.ctl.readWait.Store(1)
	r.wakeReaders()
	r.ctl.writeWait.Store(1)
	r.wakeWriters()
}

const (
	spinTries  = 64
	yieldTries = 8
	// sleepMax bounds one futex sleep; the sleeper then re-checks.
	sleepMax = 20 * time.Millisecond
)

// backoff is the wait of one failed attempt: spin, then yield the CPU.
// It returns false when the caller should sleep on a futex instead.
func backoff(try int) bool {
	switch {
	case try < spinTries:
		return true
	case try < spinTries+yieldTries:
		unix.Syscall(unix.SYS_SCHED_YIELD, 0, 0, 0)
		return true
	}
	return false
}

// put adds an item, waiting for room; it fails only when aborted.
func (r *ring) put(x, y, z uint64) error {
	for try := 0; ; try++ {
		if r.tryPut(x, y, z) {
			return nil
		}
		if r.abort.Load() != 0 {
			return errAborted
		}
		if backoff(try) {
			continue
		}
		r.ctl.writeWait.Store(1)
		seq := r.ctl.writeSeq.Load()
		if r.tryPut(x, y, z) {
			return nil
		}
		futexWait(&r.ctl.writeSeq, seq, sleepMax)
	}
}

// get takes an item, waiting for one; it fails only when aborted.
func (r *ring) get() (x, y, z uint64, err error) {
	for try := 0; ; try++ {
		var ok bool
		if x, y, z, ok = r.tryGet(); ok {
			return x, y, z, nil
		}
		if r.abort.Load() != 0 {
			return 0, 0, 0, errAborted
		}
		if backoff(try) {
			continue
		}
		r.ctl.readWait.Store(1)
		seq := r.ctl.readSeq.Load()
		if x, y, z, ok = r.tryGet(); ok {
			return x, y, z, nil
		}
		futexWait(&r.ctl.readSeq, seq, sleepMax)
	}
}

// waitItems sleeps until readWake items wait or a writer flushes, at most
// d. The parent calls it when it has drained the ring, between checks of
// its workers and its context. Its writers wake it through ev, an eventfd
// (see wakeReader), which it reads in Go's netpoller.
//
// Note: a futex sleep would hold the parent's P in a system call, and
// while any P is busy the Go runtime's sysmon thread polls, every 20 µs
// (about 80 µs with timer slack) after each time it takes such a P back.
// In the cell runner those wake-ups landed on the consumers' CPUs: 54 of
// them in a median 7.8 ms cpu compute phase at c = 2 (perf sched), against
// 14 for procpool, whose parent waits in the netpoller. Parked there, the
// parent holds no P, and sysmon sleeps.
func (r *ring) waitItems(ev *os.File, d time.Duration) {
	r.ctl.readWait.Store(1)
	if r.len() >= r.readWake || r.abort.Load() != 0 {
		return
	}
	// An eventfd counts its wake-ups: one that came before this read
	// ends it at once, so none is lost between the check and the sleep.
	var b [8]byte
	if ev.SetReadDeadline(time.Now().Add(d)) == nil {
		ev.Read(b[:])
	}
}

// eventfdWaker returns a wakeReader that adds one to the eventfd ev.
//
// Note: not ev.Fd(): on a non-blocking file that makes the descriptor
// blocking, and the flag belongs to the open file, which the parent shares.
func eventfdWaker(ev *os.File) (func(), error) {
	rc, err := ev.SyscallConn()
	if err != nil {
		return nil, err
	}
	var fd int
	if err := rc.Control(func(f uintptr) { fd = int(f) }); err != nil {
		return nil, err
	}
	one := [8]byte{1}
	return func() {
		unix.Write(fd, one[:])
		runtime.KeepAlive(ev) // ev's finalizer would close fd
	}, nil
}

const (
	futexWaitOp = 0 // FUTEX_WAIT, shared (no FUTEX_PRIVATE_FLAG)
	futexWakeOp = 1 // FUTEX_WAKE, shared
)

// futexWait sleeps while *addr == val, at most d.
func futexWait(addr *atomic.Uint32, val uint32, d time.Duration) {
	ts := unix.NsecToTimespec(d.Nanoseconds())
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWaitOp, uintptr(val), uintptr(unsafe.Pointer(&ts)), 0, 0)
}

// futexWake wakes every sleeper on addr.
func futexWake(addr *atomic.Uint32) {
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWakeOp, math.MaxInt32, 0, 0, 0)
}
