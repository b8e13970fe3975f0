//go:build !race

package gate

// Race reports whether this binary was built with -race (see race.go).
const Race = false

const raceEnabled = Race
