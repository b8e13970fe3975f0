package shm

import (
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The states of a futex lock word (Drepper, "Futexes Are Tricky", mutex 3).
const (
	unlocked  = 0
	locked    = 1 // held, nobody sleeps on it
	contended = 2 // held, and someone may sleep on it
)

// futex operations. Note: not FUTEX_PRIVATE_FLAG: the word is in a
// MAP_SHARED mapping used by several processes, so the kernel must key the
// wait queue on the shared page, not on this process's address space.
const (
	futexWait = 0 // FUTEX_WAIT
	futexWake = 1 // FUTEX_WAKE
)

// spinTries is how many times a contended lock is polled before its caller
// goes to sleep in the kernel. A critical section here is a few
// nanoseconds, so a short poll usually wins the lock without a system call.
var spinTries = 128

// lockWord locks the cross-process mutex whose state is the 32-bit word w,
// which lives in shared memory.
func lockWord(w *atomic.Uint32) {
	if w.CompareAndSwap(unlocked, locked) {
		return
	}
	lockSlow(w)
}

func lockSlow(w *atomic.Uint32) {
	for range spinTries {
		if w.Load() == unlocked && w.CompareAndSwap(unlocked, locked) {
			return
		}
	}
	// Mark the lock contended and sleep until it is released. Whoever
	// takes it from here leaves it marked contended, so that its unlock
	// wakes the next sleeper (a spurious wake at worst).
	for w.Swap(contended) != unlocked {
		futex(w, futexWait, contended)
	}
}

// unlockWord releases the mutex and wakes one sleeper if there may be one.
func unlockWord(w *atomic.Uint32) {
	if w.Swap(unlocked) == contended {
		futex(w, futexWake, 1)
	}
}

// futex calls futex(2) on w. FUTEX_WAIT returns at once with EAGAIN when
// *w != val, and may return early with EINTR; callers re-check the word, so
// errors are not reported.
func futex(w *atomic.Uint32, op, val uintptr) {
	_, _, _ = unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(w)), op, val, 0, 0, 0)
}
