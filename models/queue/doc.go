// Package queue is the queue model, the analogue of Python's
// producer–consumer pattern: one producer process puts every task on a
// cross-process queue, then one None sentinel per consumer; c consumer
// processes take items until they get a sentinel, put each result on a
// result queue, and end by putting a sentinel of their own; the parent
// drains the result queue until it holds every result and every
// consumer's sentinel.
//
// # The queue
//
// Both queues are bounded rings in one shared-memory region: a memfd
// (memfd_create, so no name exists anywhere and nothing can outlive the
// run) mapped MAP_SHARED by the parent and handed to every child as fd 4.
// Each ring is Vyukov's bounded multi-producer multi-consumer queue:
// per-slot sequence numbers, a compare-and-swap on the enqueue or dequeue
// position per item, and futexes in the region for the blocked side (see
// ring.go). An item is a task index and its two arguments, or a result
// index and its value.
//
// Note: why shared memory rather than a broker process over unix sockets.
// Python's multiprocessing.Queue is a pipe, a lock and a feeder thread, and
// each item costs it microseconds. A broker would put two socket hops and at least one system
// call per item between producer and consumer, or batch items and stop
// being a queue of items. The ring keeps the queue's semantics — every put
// and every get is one item, taken by whichever consumer comes first, and
// the sentinel shutdown is Python's — while an item costs two atomic
// operations on each side, and system calls happen only when a side runs
// dry and sleeps. Wake-ups are batched where latency does not matter: the
// producer sleeps until the task ring is half empty, and the parent until
// the result ring is half full or a consumer has put its sentinel.
//
// The parent does not sleep on a futex but on an eventfd, in Go's
// netpoller, which the consumers add to where they would wake a futex: a
// futex sleep holds a P in a system call, and that keeps the Go runtime's
// sysmon thread polling in the parent, onto the consumers' CPUs (see
// ring.waitItems and docs/measurements.md).
//
// # Phases
//
// Setup creates and maps the region, starts the producer and the
// consumers ("queue-producer" and "queue-consumer" roles) as one
// worker.Group, preloads the producer with the task list in its handshake
// (the producer owns its items, as Python's producer generates them) and
// waits for every child's hello, which each sends after warming up; the
// consumers are then asleep on the empty task ring. The consumers get the
// region as fd 4 and the parent's eventfd as fd 5. Unlike the workers of
// procpool, pipe and shm, they are not pinned one per CPU: with the
// producer they are c + 1 busy processes on c CPUs.
// Compute sends the producer a go frame and drains results into their
// slots by index, so results are in task order. Teardown sets the region's
// abort word, wakes every sleeper, ends every child's input, reaps them
// and unmaps the region. A child that dies mid-trial fails Compute within
// one sleep (20 ms) with an error naming the model, its PID, its signal or
// exit status and the last lines of its stderr.
package queue
