package manager

import (
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/mpbench/mpbench/worker"
)

// maxSocketPath is the longest socket path sockaddr_un holds.
const maxSocketPath = 107

// listenPrivate makes a fresh folder (0700) under os.TempDir and a unix
// socket (0600) in it, listening. It returns the folder, the socket's path
// and the listener as a file to hand to the manager process.
func listenPrivate() (dir, path string, lnFile *os.File, err error) {
	// The owner's PID is in the folder's name, so that a later run can
	// tell a stale folder from a live one (worker.SweepStale).
	dir, err = worker.MkdirOwned("manager")
	if err != nil {
		return "", "", nil, fmt.Errorf("private folder: %w", err)
	}
	fail := func(err error) (string, string, *os.File, error) {
		os.RemoveAll(dir)
		return "", "", nil, err
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
