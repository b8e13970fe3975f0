package models

// MemoryEstimator is implemented by models that know how much memory a
// cell of theirs needs. MemoryEstimate returns the bytes that the cell
// runner and every process the model starts need together at their peak,
// the cell runner's task list included, for tasks tasks on cores cores.
// It should err high: the harness refuses a cell whose estimate exceeds
// the memory available rather than let the machine swap or kill it.
type MemoryEstimator interface {
	MemoryEstimate(tasks, cores int) int64
}

// Footprint is a linear memory estimate: Base for the cell runner, Worker
// per worker process (one per core), PerTask bytes per task and
// PerTaskCore more per task and core (memory that every worker maps or
// copies its share of).
type Footprint struct {
	Base, Worker, PerTask, PerTaskCore int64
}

// Bytes returns the estimate for tasks tasks on cores cores.
func (f Footprint) Bytes(tasks, cores int) int64 {
	t, c := int64(tasks), int64(cores)
	return f.Base + f.Worker*c + t*(f.PerTask+f.PerTaskCore*c)
}

// MiB is a mebibyte, for Footprint literals.
const MiB = 1 << 20

// DefaultFootprint is the estimate of a model without MemoryEstimate: above
// every model measured (docs/measurements.md) except those that hold a
// future or a proxy per task, which say so themselves.
var DefaultFootprint = Footprint{Base: 64 * MiB, Worker: 16 * MiB, PerTask: 256, PerTaskCore: 64}

// MemoryEstimate returns m's estimate for tasks tasks on cores cores, or
// DefaultFootprint's when m does not implement MemoryEstimator.
func MemoryEstimate(m Model, tasks, cores int) int64 {
	if e, ok := m.(MemoryEstimator); ok {
		return e.MemoryEstimate(tasks, cores)
	}
	return DefaultFootprint.Bytes(tasks, cores)
}
