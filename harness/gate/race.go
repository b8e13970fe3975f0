//go:build race

package gate

// Race reports whether this binary was built with -race: Check skips
// there unless Options.AllowRace, and a test that runs a gate through Run
// may skip too (a side that is the race binary carries the detector's
// own slowdown of each model).
const Race = true

const raceEnabled = Race
