package worker

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSweepStale(t *testing.T) {
	tmp := t.TempDir()
	// A PID that is not running: a reaped child's.
	p, err := os.StartProcess("/bin/true", []string{"true"}, &os.ProcAttr{})
	if err != nil {
		t.Fatal("no /bin/true:", err)
	}
	p.Wait()
	stale := OwnedDirName("py", p.Pid) + "123"
	// An owner killed outright may stay a zombie: its folder is stale too.
	z, err := os.StartProcess("/bin/true", []string{"true"}, &os.ProcAttr{})
	if err != nil {
		t.Fatal(err)
	}
	defer z.Wait()
	for !zombie(z.Pid) {
		time.Sleep(time.Millisecond)
	}
	zombieOwned := OwnedDirName("py", z.Pid) + "789"
	live := OwnedDirName("manager", os.Getppid()) + "456"
	for _, d := range []string{stale, zombieOwned, live, "unrelated", "mpbench-gate-789"} {
		if err := os.MkdirAll(filepath.Join(tmp, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	SweepStale(tmp)
	entries, _ := os.ReadDir(tmp)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{"mpbench-gate-789", live, "unrelated"}
	if !slices.Equal(names, want) {
		t.Fatalf("after sweep: %v, want %v", names, want)
	}
}

func zombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	s := string(b)
	return err == nil && s[strings.LastIndexByte(s, ')')+2] == 'Z'
}

func TestMkdirOwned(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	dir, err := MkdirOwned("py")
	if err != nil {
		t.Fatal(err)
	}
	if pid, ok := ownerPID(filepath.Base(dir)); !ok || pid != os.Getpid() {
		t.Errorf("%s: owner %d, %v; want this process, %d", dir, pid, ok, os.Getpid())
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("%s: %v, %v; want a 0700 folder", dir, st, err)
	}
}
