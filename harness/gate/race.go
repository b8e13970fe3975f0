//go:build race

package gate

// raceEnabled is true in binaries built with -race: their absolute times
// are not comparable with a baseline recorded without it.
const raceEnabled = true
