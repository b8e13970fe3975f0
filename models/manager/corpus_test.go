package manager

import (
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the fuzz seed corpus under testdata/fuzz")

// seedCorpus is what testdata/fuzz holds: per fuzz target, file name →
// contents in the `go test fuzz v1` format.
func seedCorpus() map[string]map[string]string {
	entry := func(b []byte) string { return fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b) }
	dec, conn := map[string]string{}, map[string]string{}
	for i, b := range seedBodies() {
		name := fmt.Sprintf("seed-%02d-op-%02x", i, b[0])
		dec[name] = entry(b)
		stream := binary.LittleEndian.AppendUint32(nil, uint32(len(b)))
		conn[name] = entry(append(stream, b...))
	}
	conn["seed-oversized"] = entry([]byte{0xff, 0xff, 0xff, 0xff})
	conn["seed-zero-length"] = entry([]byte{0, 0, 0, 0})
	conn["seed-truncated"] = entry([]byte{9, 0, 0, 0, opDictSet, 1})
	return map[string]map[string]string{"FuzzDecodeRequest": dec, "FuzzServeConn": conn}
}

// TestSeedCorpus keeps the committed seed corpus in step with seedBodies;
// `go test -run TestSeedCorpus -update` rewrites it.
func TestSeedCorpus(t *testing.T) {
	for target, files := range seedCorpus() {
		dir := filepath.Join("testdata", "fuzz", target)
		for name, want := range files {
			path := filepath.Join(dir, name)
			if *update {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestSeedCorpus -update)", err)
			}
			if string(got) != want {
				t.Errorf("%s is stale (run go test -run TestSeedCorpus -update)", path)
			}
		}
	}
}
