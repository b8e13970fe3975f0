package worker

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// EnvRole is the environment variable that makes the executable a child.
const EnvRole = "MPBENCH_CHILD_ROLE"

// DataFD is the file descriptor of the data channel in a child.
const DataFD = 3

// Child is what a role function is given.
type Child struct {
	// Args are Spec.Args.
	Args []string
	// Data is the child's end of the data channel (fd 3).
	Data *os.File
	// Files are Spec.Files as the child sees them (fd 4, 5, …).
	Files []*os.File
}

// RoleFunc is the body of a child role. Its context is cancelled on SIGTERM
// or SIGINT. A returned error is printed to stderr and the child exits 1.
type RoleFunc func(ctx context.Context, c *Child) error

var (
	rolesMu sync.Mutex
	roles   = map[string]RoleFunc{}
)

// Register makes a role available to RunChild. It panics if the role is
// registered twice: two packages claiming one name is a programming error.
func Register(role string, f RoleFunc) {
	rolesMu.Lock()
	defer rolesMu.Unlock()
	if _, dup := roles[role]; dup {
		panic("worker: role registered twice: " + role)
	}
	roles[role] = f
}

// Roles returns the registered role names, sorted.
func Roles() []string {
	rolesMu.Lock()
	defer rolesMu.Unlock()
	var names []string
	for r := range roles {
		names = append(names, r)
	}
	sort.Strings(names)
	return names
}

// IsChild reports whether this process was started as a child role.
func IsChild() bool { return os.Getenv(EnvRole) != "" }

// EnvFiles is the variable that tells a child how many Spec.Files it got.
const EnvFiles = "MPBENCH_CHILD_FILES"

// RunChild runs the role named by MPBENCH_CHILD_ROLE and returns the exit
// code for os.Exit.
func RunChild() int {
	childMain = Mono()
	role := os.Getenv(EnvRole)
	rolesMu.Lock()
	f, ok := roles[role]
	rolesMu.Unlock()
	if !ok {
		fmt.Fprintf(os.Stderr, "mpbench child: unknown role %q (registered: %s)\n", role, strings.Join(Roles(), ", "))
		return 2
	}
	// Children must not pass the role on to processes they start in turn
	// unless they ask for it through Start.
	os.Unsetenv(EnvRole)
	nfiles := 0
	fmt.Sscan(os.Getenv(EnvFiles), &nfiles)
	os.Unsetenv(EnvFiles)
	c := &Child{Args: os.Args[1:], Data: os.NewFile(DataFD, "data")}
	for i := range nfiles {
		c.Files = append(c.Files, os.NewFile(uintptr(DataFD+1+i), fmt.Sprintf("file%d", i)))
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := f(ctx, c); err != nil {
		fmt.Fprintf(os.Stderr, "mpbench %s[%d]: %v\n", role, os.Getpid(), err)
		return 1
	}
	return 0
}

// Pollable returns a non-blocking duplicate of f, which the Go runtime
// waits on in its netpoller, so that a goroutine reading it holds no
// thread and no P. A child uses it for its data channel (Child.Data, a
// blocking descriptor) when other goroutines of its own need every P: the
// manager process waits for the end of its data channel this way while it
// serves its connections. O_NONBLOCK belongs to the open file, so f
// becomes non-blocking too and must not be read any more: use the
// duplicate.
func Pollable(f *os.File) (*os.File, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	var nfd int
	cerr := rc.Control(func(fd uintptr) {
		nfd, err = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	})
	if cerr != nil {
		return nil, cerr
	}
	if err != nil {
		return nil, fmt.Errorf("worker: dup %s: %w", f.Name(), err)
	}
	if err := unix.SetNonblock(nfd, true); err != nil {
		unix.Close(nfd)
		return nil, fmt.Errorf("worker: %s non-blocking: %w", f.Name(), err)
	}
	return os.NewFile(uintptr(nfd), f.Name()), nil
}
