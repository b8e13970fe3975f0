package harness

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
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

// ParseCores parses a --cores spec: "1..N", a list "1,2,4", a mix
// "1,2..4", and "max" (the number of CPUs available, also as a range end:
// "1..max"). The result is ascending without duplicates. A count above
// available is an error unless oversubscribe is true.
func ParseCores(spec string, available int, oversubscribe bool) ([]int, error) {
	accepted := fmt.Sprintf(`accepted: "1..N", "1,2,4", "1,2..4", "max" (this machine allows %d CPUs)`, available)
	num := func(s string) (int, error) {
		s = strings.TrimSpace(s)
		if s == "max" {
			return available, nil
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return 0, usageError("--cores %q: %q is not a core count; %s", spec, s, accepted)
		}
		if n < 1 {
			return 0, usageError("--cores %q: core counts start at 1; %s", spec, accepted)
		}
		return n, nil
	}
	if strings.TrimSpace(spec) == "" {
		return nil, usageError("--cores is empty; %s", accepted)
	}
	seen := map[int]bool{}
	for _, part := range strings.Split(spec, ",") {
		lo, hi, isRange := strings.Cut(part, "..")
		a, err := num(lo)
		if err != nil {
			return nil, err
		}
		b := a
		if isRange {
			if b, err = num(hi); err != nil {
				return nil, err
			}
			if b < a {
				return nil, usageError("--cores %q: range %d..%d runs backwards; %s", spec, a, b, accepted)
			}
		}
		for c := a; c <= b; c++ {
			seen[c] = true
		}
	}
	var cores []int
	for c := 1; len(cores) < len(seen); c++ {
		if seen[c] {
			cores = append(cores, c)
		}
	}
	if top := cores[len(cores)-1]; top > available && !oversubscribe {
		return nil, usageError("--cores %q: %d cores asked for, but only %d CPUs are available to this process; use at most %d or add --oversubscribe", spec, top, available, available)
	}
	return cores, nil
}
