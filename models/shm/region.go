package shm

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"unsafe"

	"github.com/mpbench/mpbench/workloads"
	"golang.org/x/sys/unix"
)

// The region, from offset 0 (every offset is a multiple of 64, the tasks
// and results start on pages of their own):
//
//	0      header: magic, version, mode, counts, offsets (read-only after setup)
//	128    next: the atomic claim index, alone on its cache line
//	256    lock word (uint32), value (uint64) at 264, array[c] (uint64) at 272
//	stats  two 64-byte lines per worker: tasks, chunks, lock ops, last value
//	       seen, sum of values seen, start, end, busy time, CPU (written by
//	       the worker when it is done)
//	tasks  n × 16 bytes (workloads.Task), written once by the parent
//	results n × 8 bytes, result i written by whichever worker claimed task i
//
// Note: the lock word, value and array share one cache line (for c ≤ 6), as
// the data a lock guards usually does: the holder finds all it writes in the
// line it just took ownership of. The claim index is on its own line, two
// lines away, so claiming a chunk does not steal the lock's line.
const (
	regionMagic   = 0x31304d4853504d4d // "MMPSHM01"
	regionVersion = 2
	offNext       = 128
	offLock       = 256
	offValue      = 264
	offArray      = 272
	statSize      = 128
	pageSize      = 4096
)

// Mode values in the header.
const (
	modePlain = 0 // shm
	modeLock  = 1 // shm-lock
)

// header is the start of the region, laid out as the constants above say
// (a test checks the offsets).
type header struct {
	Magic      uint64
	Version    uint32
	Mode       uint32
	Tasks      uint64
	Chunk      uint64
	Workers    uint64
	StatsOff   uint64
	TasksOff   uint64
	ResultsOff uint64
	Size       uint64
	_          [offNext - 72]byte
	Next       atomic.Uint64
	_          [offLock - offNext - 8]byte
	Lock       atomic.Uint32
	_          uint32
	Value      uint64
}

// workerStats is one worker's line in the stats area.
type workerStats struct {
	Tasks   uint64
	Chunks  uint64
	LockOps uint64
	Last    uint64 // the last value this worker set under the lock
	SeenSum uint64 // the sum of every value it set, mod 2^64
	StartNs uint64 // CLOCK_MONOTONIC when it got Go
	EndNs   uint64 // CLOCK_MONOTONIC when it found no chunk left
	BusyNs  uint64 // time inside the task function (plain mode only)
	CPU     int64  // the CPU of its last chunk, -1 when unknown
	FirstNs int64  // its first chunk's start (models.Account.First; plain mode only)
	LastNs  int64  // its last chunk's end (models.Account.Last; plain mode only)
	_       [5]uint64
}

// layout is where each part of a region of n tasks and w workers lies.
type layout struct {
	tasks, workers                       int
	statsOff, tasksOff, resultsOff, size int
}

// maxWorkers bounds the worker count a region is made for.
const maxWorkers = 4096

func newLayout(tasks, workers int) layout {
	l := layout{tasks: tasks, workers: workers}
	l.statsOff = alignUp(offArray+8*workers, 64)
	l.tasksOff = alignUp(l.statsOff+statSize*workers, pageSize)
	l.resultsOff = alignUp(l.tasksOff+16*tasks, pageSize)
	l.size = alignUp(l.resultsOff+8*tasks, pageSize)
	return l
}

func alignUp(x, a int) int { return (x + a - 1) / a * a }

// region is a mapped shared-memory region and the memfd behind it.
type region struct {
	file *os.File
	mem  []byte
}

// createRegion makes an anonymous memfd of size bytes, seals its size, and
// maps it shared and populated.
//
// Note: memfd_create rather than a file under /dev/shm: the region has no
// name at all, so no exit path, SIGKILL included, can leave a file behind;
// it is freed when the last fd and mapping go. Sealing the size means no
// process that holds the fd can shrink it under the others' mappings.
func createRegion(size int) (*region, error) {
	fd, err := unix.MemfdCreate("mpbench-shm", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	f := os.NewFile(uintptr(fd), "memfd:mpbench-shm")
	if err := unix.Ftruncate(fd, int64(size)); err != nil {
		f.Close()
		return nil, fmt.Errorf("size region to %d bytes: %w", size, err)
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, unix.F_SEAL_SHRINK|unix.F_SEAL_GROW|unix.F_SEAL_SEAL); err != nil {
		f.Close()
		return nil, fmt.Errorf("seal region: %w", err)
	}
	r, err := mapRegion(f, size)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

// openRegion maps the region behind f (a worker's inherited fd).
func openRegion(f *os.File) (*region, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return nil, fmt.Errorf("stat region: %w", err)
	}
	if st.Size < offArray || st.Size > 1<<40 {
		return nil, fmt.Errorf("region of %d bytes: %w", st.Size, errBadRegion)
	}
	return mapRegion(f, int(st.Size))
}

func mapRegion(f *os.File, size int) (*region, error) {
	// MAP_POPULATE builds the page tables now, in setup, so that compute
	// does not take a page fault per page of tasks and results.
	mem, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return nil, fmt.Errorf("map region of %d bytes: %w", size, err)
	}
	return &region{file: f, mem: mem}, nil
}

// Close unmaps the region and closes its fd. Slices into it must not be
// used afterwards.
func (r *region) Close() error {
	var errs []error
	if r.mem != nil {
		if err := unix.Munmap(r.mem); err != nil {
			errs = append(errs, fmt.Errorf("unmap region: %w", err))
		}
		r.mem = nil
	}
	if r.file != nil {
		if err := r.file.Close(); err != nil {
			errs = append(errs, err)
		}
		r.file = nil
	}
	return errors.Join(errs...)
}

var errBadRegion = errors.New("not a valid shm region")

func (r *region) header() *header { return (*header)(unsafe.Pointer(&r.mem[0])) }

// init writes the header of a fresh region.
func (r *region) init(l layout, mode uint32, chunk int) {
	h := r.header()
	h.Magic, h.Version, h.Mode = regionMagic, regionVersion, mode
	h.Tasks, h.Chunk, h.Workers = uint64(l.tasks), uint64(chunk), uint64(l.workers)
	h.StatsOff, h.TasksOff, h.ResultsOff, h.Size = uint64(l.statsOff), uint64(l.tasksOff), uint64(l.resultsOff), uint64(l.size)
}

// check validates a region's header against its size and returns its
// layout, so that a worker never indexes outside its mapping.
func (r *region) check() (layout, error) {
	h := r.header()
	if h.Magic != regionMagic || h.Version != regionVersion {
		return layout{}, fmt.Errorf("magic %#x version %d: %w", h.Magic, h.Version, errBadRegion)
	}
	if h.Workers < 1 || h.Workers > maxWorkers || h.Tasks > 1<<36 || h.Chunk < 1 || h.Mode > modeLock {
		return layout{}, fmt.Errorf("%d tasks, %d workers, chunk %d, mode %d: %w", h.Tasks, h.Workers, h.Chunk, h.Mode, errBadRegion)
	}
	l := newLayout(int(h.Tasks), int(h.Workers))
	if uint64(l.statsOff) != h.StatsOff || uint64(l.tasksOff) != h.TasksOff || uint64(l.resultsOff) != h.ResultsOff ||
		uint64(l.size) != h.Size || l.size != len(r.mem) {
		return layout{}, fmt.Errorf("offsets do not match %d tasks, %d workers in %d bytes: %w", h.Tasks, h.Workers, len(r.mem), errBadRegion)
	}
	return l, nil
}

func (r *region) tasks(l layout) []workloads.Task {
	if l.tasks == 0 {
		return nil
	}
	return unsafe.Slice((*workloads.Task)(unsafe.Pointer(&r.mem[l.tasksOff])), l.tasks)
}

func (r *region) results(l layout) []uint64 {
	if l.tasks == 0 {
		return nil
	}
	return unsafe.Slice((*uint64)(unsafe.Pointer(&r.mem[l.resultsOff])), l.tasks)
}

// array is Python's Array('i', [0]*c): one slot per worker, guarded by the
// lock.
func (r *region) array(l layout) []uint64 {
	return unsafe.Slice((*uint64)(unsafe.Pointer(&r.mem[offArray])), l.workers)
}

func (r *region) stats(l layout) []workerStats {
	return unsafe.Slice((*workerStats)(unsafe.Pointer(&r.mem[l.statsOff])), l.workers)
}
