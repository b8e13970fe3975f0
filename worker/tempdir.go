package worker

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// ownedPrefix starts the name of every folder MkdirOwned makes.
const ownedPrefix = "mpbench-"

// MkdirOwned makes a fresh private folder (0700) under os.TempDir named
// mpbench-<kind>-<PID>-<random>, the PID being this process's: its owner.
// The owner removes it when done; SweepStale removes it when the owner was
// killed outright (SIGKILL) before it could.
func MkdirOwned(kind string) (string, error) {
	dir, err := os.MkdirTemp("", ownedPrefix+kind+"-"+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return "", err
	}
	// MkdirTemp makes it 0700; say so rather than trust it.
	if err := os.Chmod(dir, 0o700); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}

// SweepStale removes the folders under root that MkdirOwned made for this
// user in a process that no longer exists. A folder whose owner PID is
// alive (or reused by another process) is left alone; so is everything
// that MkdirOwned did not name.
func SweepStale(root string) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range entries {
		pid, ok := ownerPID(e.Name())
		if !ok || !e.IsDir() || pid == os.Getpid() || pidAlive(pid) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		if st, ok := info.Sys().(*syscall.Stat_t); !ok || int(st.Uid) != os.Getuid() {
			continue
		}
		os.RemoveAll(filepath.Join(root, e.Name()))
	}
}

// ownerPID parses mpbench-<kind>-<PID>-<random>.
func ownerPID(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, ownedPrefix)
	if !ok {
		return 0, false
	}
	parts := strings.Split(rest, "-")
	if len(parts) != 3 || parts[0] == "" || parts[2] == "" {
		return 0, false
	}
	pid, err := strconv.Atoi(parts[1])
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, true
}

// pidAlive reports whether pid names a process that is not a zombie: an
// owner killed outright may stay a zombie for long where its new parent
// (PID 1 of a container, say) does not reap.
func pidAlive(pid int) bool {
	if err := unix.Kill(pid, 0); err != nil && !errors.Is(err, unix.EPERM) {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true // cannot tell: leave its folder alone
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// OwnedDirName is the name MkdirOwned gives a folder of kind owned by pid,
// before its random part (for tests).
func OwnedDirName(kind string, pid int) string {
	return fmt.Sprintf("%s%s-%d-", ownedPrefix, kind, pid)
}
