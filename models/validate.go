package models

import (
	"errors"
	"fmt"

	"github.com/mpbench/mpbench/workloads"
)

// ErrChecksum is wrapped by every validation failure.
var ErrChecksum = errors.New("results do not match the workload's reference")

// ErrAccounts is wrapped by a validation failure of a trial's worker
// accounts.
var ErrAccounts = errors.New("worker accounts do not add up")

// Validate checks a trial's output against the workload's reference: one
// result per task whose position-weighted checksum (workloads.Checksum) is
// the reference, or, for a model whose results live in another runtime, the
// checksum it reported. model names the model in the error.
//
// A model that keeps accounts must account for every task once: Validate
// fails (ErrAccounts) when their tasks do not sum to the task count.
func Validate(out Output, in *workloads.Instance, model string) error {
	if out.Accounts != nil {
		if n := AccountedTasks(out.Accounts); n != len(in.Tasks) {
			return fmt.Errorf("%s: %w: workers account for %d of %d tasks", model, ErrAccounts, n, len(in.Tasks))
		}
	}
	if out.Checksum != nil && out.Results == nil {
		if *out.Checksum != in.Reference {
			return fmt.Errorf("%s: %w: checksum expected %d, got %d", model, ErrChecksum, in.Reference, *out.Checksum)
		}
		return nil
	}
	if len(out.Results) != len(in.Tasks) {
		return fmt.Errorf("%s: %w: %d results for %d tasks", model, ErrChecksum, len(out.Results), len(in.Tasks))
	}
	if got := workloads.Checksum(out.Results); got != in.Reference {
		return fmt.Errorf("%s: %w: checksum expected %d, got %d", model, ErrChecksum, in.Reference, got)
	}
	return nil
}
