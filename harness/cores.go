package harness

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseCores parses a cores spec: "1..N", a list "1,2,4", a mix "1,2..4",
// and "max" (the number of CPUs available, also as a range end: "1..max").
// The result is ascending without duplicates. A count above available is
// an error unless oversubscribe is true. Errors are *InputError of
// InputCores.
func ParseCores(spec string, available int, oversubscribe bool) ([]int, error) {
	accepted := fmt.Sprintf(`accepted: "1..N", "1,2,4", "1,2..4", "max" (this machine allows %d CPUs)`, available)
	num := func(s string) (int, error) {
		s = strings.TrimSpace(s)
		if s == "max" {
			return available, nil
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return 0, badInput(InputCores, strconv.Quote(spec), "%q is not a core count; %s", s, accepted)
		}
		if n < 1 {
			return 0, badInput(InputCores, strconv.Quote(spec), "core counts start at 1; %s", accepted)
		}
		return n, nil
	}
	if strings.TrimSpace(spec) == "" {
		return nil, badInput(InputCores, "", "empty; %s", accepted)
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
				return nil, badInput(InputCores, strconv.Quote(spec), "range %d..%d runs backwards; %s", a, b, accepted)
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
		return nil, badInput(InputCores, strconv.Quote(spec), "%d cores asked for, but only %d CPUs are available to this process; use at most %d or allow %s", top, available, available, InputOversubscribe)
	}
	return cores, nil
}
