package manager

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// dirPrefix starts the name of every private folder; the owner's PID
// follows, so that a later run can tell a stale folder from a live one.
const dirPrefix = "mpbench-manager-"

// maxSocketPath is the longest socket path sockaddr_un holds.
const maxSocketPath = 107

// listenPrivate makes a fresh folder (0700) under os.TempDir and a unix
// socket (0600) in it, listening. It returns the folder, the socket's path
// and the listener as a file to hand to the manager process.
func listenPrivate() (dir, path string, lnFile *os.File, err error) {
	dir, err = os.MkdirTemp("", dirPrefix+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return "", "", nil, fmt.Errorf("private folder: %w", err)
	}
	fail := func(err error) (string, string, *os.File, error) {
		os.RemoveAll(dir)
		return "", "", nil, err
	}
	// MkdirTemp makes it 0700; say so rather than trust it.
	if err := os.Chmod(dir, 0o700); err != nil {
		return fail(err)
	}
	path = filepath.Join(dir, "manager.sock")
	if len(path) > maxSocketPath {
		return fail(fmt.Errorf("socket path %s is %d bytes, over the %d a unix socket allows (set TMPDIR shorter)", path, len(path), maxSocketPath))
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return fail(fmt.Errorf("listen: %w", err))
	}
	ln.SetUnlinkOnClose(false)
	defer ln.Close()
	if err := os.Chmod(path, 0o600); err != nil {
		return fail(err)
	}
	lnFile, err = ln.File()
	if err != nil {
		return fail(fmt.Errorf("listener fd: %w", err))
	}
	return dir, path, lnFile, nil
}

// sweepStale removes private folders under root that a manager run of this
// user left when its process was killed outright (SIGKILL between the
// folder's creation and the end of Setup, the only window in which one
// exists). A folder whose owner PID is alive is left alone.
func sweepStale(root string) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), dirPrefix)
		if !ok || !e.IsDir() {
			continue
		}
		pidStr, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidStr)
		if !ok || err != nil || pid <= 0 || pid == os.Getpid() || pidAlive(pid) {
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

func pidAlive(pid int) bool {
	err := unix.Kill(pid, 0)
	return err == nil || errors.Is(err, unix.EPERM)
}
