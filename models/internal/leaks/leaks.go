// Package leaks lets the tests of the multi-process models check that a
// session left nothing behind: no child process (running or zombie) and no
// file in /dev/shm or in a given folder.
package leaks

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Children returns the PIDs of every process whose parent is this process,
// zombies included, read from /proc.
func Children() ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	self := os.Getpid()
	var kids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // exited meanwhile
		}
		// pid (comm) state ppid …; comm may contain spaces or parentheses.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 2 {
			continue
		}
		if ppid, _ := strconv.Atoi(f[1]); ppid == self {
			kids = append(kids, pid)
		}
	}
	return kids, nil
}

// NoChildren waits up to wait for this process to have no children and
// returns an error naming those left.
func NoChildren(wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		kids, err := Children()
		if err != nil {
			return err
		}
		if len(kids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("children left: %v", kids)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Alive reports whether pid exists and is not a zombie. A zombie is dead:
// once its parent is gone it waits only for init to reap it, on init's
// schedule.
func Alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// Files returns the names in dir, sorted; a missing dir has none.
func Files(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names, nil
}

// NewFiles returns the names in after that are not in before.
func NewFiles(before, after []string) []string {
	var added []string
	for _, n := range after {
		if !slices.Contains(before, n) {
			added = append(added, n)
		}
	}
	return added
}
