package harness

import (
	"errors"
	"fmt"
	"slices"
)

// ErrUsage is wrapped by every error that is the user's input, not the
// machine's: the CLI exits 2 on it.
var ErrUsage = errors.New("usage")

// usageError returns an error wrapping ErrUsage whose message is msg alone.
func usageError(format string, args ...any) error {
	return &usageErr{msg: fmt.Sprintf(format, args...)}
}

type usageErr struct{ msg string }

func (e *usageErr) Error() string        { return e.msg }
func (e *usageErr) Is(target error) bool { return target == ErrUsage }

// Input names an input of a plan, in harness's words. A caller that takes
// inputs from its user names them its own way through
// InputError.Message: cmd/mpbench names each by its flag.
type Input string

// The inputs of a plan.
const (
	InputCores         Input = "cores spec"
	InputOversubscribe Input = "oversubscription"
	InputModels        Input = "models"
	InputWorkloads     Input = "workloads"
	InputParams        Input = "parameter"
	InputScaling       Input = "scaling"
	InputWarmup        Input = "warm-ups"
	InputTrials        Input = "trials"
	InputChunk         Input = "chunk"
	InputTimeout       Input = "timeout"
	InputCellBudget    Input = "cell budget"
	InputRounds        Input = "rounds"
	InputTargetCI      Input = "target CI"
	InputMaxTime       Input = "max time"
	InputMinTime       Input = "min time"
	// InputOut is the run folder given; InputResults the folder in which
	// one is made when none is given.
	InputOut     Input = "run folder"
	InputResults Input = "results folder"
	// InputReplace is the choice to replace the run in an existing run
	// folder.
	InputReplace Input = "replace"
)

// An InputError is an input of a plan that harness rejects. It wraps
// ErrUsage.
type InputError struct {
	// Input is the input that is wrong.
	Input Input
	// Value is the input as given, as it reads in a message (a spec is
	// quoted), or "" where the reason says it all.
	Value string
	// format and args say what is wrong; an arg of type Input is named
	// by the namer of the message.
	format string
	args   []any
}

// badInput returns an InputError for in with value; the reason is
// fmt.Sprintf(format, args...), with every arg of type Input named by the
// namer of the message.
func badInput(in Input, value, format string, args ...any) *InputError {
	return &InputError{Input: in, Value: value, format: format, args: args}
}

// Error says what is wrong in harness's words, e.g.
// `cores spec "0": core counts start at 1; …`.
func (e *InputError) Error() string {
	return e.Message(func(in Input) string { return string(in) })
}

// Message says what is wrong with every input named by name, e.g. by the
// flag that sets it: `--cores "0": core counts start at 1; …`.
func (e *InputError) Message(name func(Input) string) string {
	args := slices.Clone(e.args)
	for i, a := range args {
		if in, ok := a.(Input); ok {
			args[i] = name(in)
		}
	}
	s := name(e.Input)
	if e.Value != "" {
		s += " " + e.Value
	}
	return s + ": " + fmt.Sprintf(e.format, args...)
}

// Is reports whether target is ErrUsage.
func (e *InputError) Is(target error) bool { return target == ErrUsage }
