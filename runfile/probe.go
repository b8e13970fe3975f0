package runfile

// Probe is what `mpbench probe` measured of the machine's primitive costs
// (package harness/probe), as `mpbench run` records it in Env.ProbeStart
// and Env.ProbeEnd. Optional within version 1.
type Probe struct {
	// CPUs is the Cpus_allowed_list the probe ran on.
	CPUs   string      `json:"cpus"`
	WallNs int64       `json:"wall_ns"`
	Items  []ProbeItem `json:"items"`
	// Skipped are the parts that could not run here, each with why.
	Skipped []Skip `json:"skipped,omitempty"`
	// Error says why the probe as a whole failed; Items is then empty.
	Error string `json:"error,omitempty"`
}

// ProbeItem is one measured cost: the median of N samples and the 95 %
// CI of that median (CILevel lower when N is too small for 95 %).
type ProbeItem struct {
	Name    string  `json:"name"`
	Unit    string  `json:"unit"`
	Median  float64 `json:"median"`
	CILow   float64 `json:"ci_low"`
	CIHigh  float64 `json:"ci_high"`
	CILevel float64 `json:"ci_level"`
	N       int     `json:"n"`
	// Note says what the figure is of, where the name cannot.
	Note string `json:"note,omitempty"`
}
