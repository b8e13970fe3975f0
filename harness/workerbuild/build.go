// Package workerbuild builds the worker executable (mpbench-worker, or any
// main package that serves the cell role) of a git revision of the
// repository, in a temporary git worktree, or of the working tree itself.
// It is the one way `mpbench ab` and the regression gates (package gate)
// build the sides of an A/B run.
//
// Every build is CGO_ENABLED=0, as make build does, and -trimpath: the
// build cache then serves every package a revision shares with an earlier
// build, wherever its worktree was, so building the base of a branch that
// changed one package recompiles that package and links (about a second
// on a 2-vCPU VM) rather than the whole module. -trimpath changes only the
// file names recorded in the executable, not its code; -buildvcs=false
// leaves out the commit and "modified" flag that go build would stamp, so
// two builds of the same code have the same bytes (the callers record the
// revision themselves).
//
// What a Builds made — worktrees, their git records, the executables — is
// removed by Cleanup, which callers defer at once: a build that fails or is
// interrupted half-way leaves nothing either.
package workerbuild

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// DefaultPackage is the main package built when Builds.Package is empty.
const DefaultPackage = "./cmd/mpbench-worker"

// Builds builds workers and removes what it built. Its zero value builds
// DefaultPackage of the repository of the current folder, quietly.
type Builds struct {
	// Log, when set, gets one line per build.
	Log io.Writer
	// Dir is a folder inside the repository (default: the current folder).
	Dir string
	// Package is the main package to build, relative to the repository's
	// top folder (default DefaultPackage).
	Package string

	repo  string   // the repository's top folder, once needed
	tmp   string   // the temporary folder, once one was made
	trees []string // the worktrees added in tmp
}

// Build is one built (or found) worker executable.
type Build struct {
	Executable string
	// Commit is the commit it was built from; "" for the working tree.
	Commit string
}

// RevisionError says that a revision does not name a commit, or that there
// is no git repository to look it up in: bad input.
type RevisionError struct{ Err error }

func (e *RevisionError) Error() string { return e.Err.Error() }
func (e *RevisionError) Unwrap() error { return e.Err }

// BuildError says that a build failed (not for an interrupt): bad input
// for a command, whose user named a revision that does not build.
type BuildError struct{ Err error }

func (e *BuildError) Error() string { return e.Err.Error() }
func (e *BuildError) Unwrap() error { return e.Err }

// Repo returns the top folder of the repository, looked up once.
func (b *Builds) Repo(ctx context.Context) (string, error) {
	if b.repo != "" {
		return b.repo, nil
	}
	if _, err := exec.LookPath("git"); err != nil {
		return "", &RevisionError{errors.New("git is not installed")}
	}
	top, err := Git(ctx, b.Dir, "rev-parse", "--show-toplevel")
	if err != nil {
		dir := b.Dir
		if dir == "" {
			dir, _ = os.Getwd()
		}
		return "", &RevisionError{fmt.Errorf("%s is not in a git repository", dir)}
	}
	b.repo = top
	return top, nil
}

// Commit returns the commit that rev names in the repository.
func (b *Builds) Commit(ctx context.Context, rev string) (string, error) {
	repo, err := b.Repo(ctx)
	if err != nil {
		return "", err
	}
	commit, err := Git(ctx, repo, "rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}")
	if err != nil || commit == "" {
		return "", &RevisionError{fmt.Errorf("%q is not a revision of the repository at %s", rev, repo)}
	}
	return commit, nil
}

func (b *Builds) folder() (string, error) {
	if b.tmp == "" {
		tmp, err := os.MkdirTemp("", "mpbench-ab-*")
		if err != nil {
			return "", err
		}
		b.tmp = tmp
	}
	return b.tmp, nil
}

// TempDir returns the temporary folder of the builds, "" before the first.
func (b *Builds) TempDir() string { return b.tmp }

// Revision builds the worker of rev in a temporary worktree; name (a
// file name: "old", "new") tells its folders apart.
func (b *Builds) Revision(ctx context.Context, name, rev string) (Build, error) {
	commit, err := b.Commit(ctx, rev)
	if err != nil {
		return Build{}, err
	}
	tmp, err := b.folder()
	if err != nil {
		return Build{}, err
	}
	b.logf("building %s of %.12s (%s) in %s", b.pkg(), commit, name, tmp)
	tree := filepath.Join(tmp, name)
	// Recorded first: a worktree half added is removed too.
	b.trees = append(b.trees, tree)
	if _, err := Git(ctx, b.repo, "worktree", "add", "--detach", tree, commit); err != nil {
		return Build{}, b.buildError(ctx, rev, err)
	}
	exe, err := b.build(ctx, tree, filepath.Join(tmp, name+"-bin"))
	if err != nil {
		return Build{}, b.buildError(ctx, rev, err)
	}
	return Build{Executable: exe, Commit: commit}, nil
}

// WorkingTree builds the worker of the repository's working tree as it
// is, changes not committed included.
func (b *Builds) WorkingTree(ctx context.Context, name string) (Build, error) {
	repo, err := b.Repo(ctx)
	if err != nil {
		return Build{}, err
	}
	tmp, err := b.folder()
	if err != nil {
		return Build{}, err
	}
	b.logf("building %s of the working tree (%s) in %s", b.pkg(), name, tmp)
	exe, err := b.build(ctx, repo, filepath.Join(tmp, name+"-bin"))
	if err != nil {
		return Build{}, b.buildError(ctx, "the working tree", err)
	}
	return Build{Executable: exe}, nil
}

// Clean reports whether the working tree holds exactly commit: HEAD is
// commit and git status shows nothing (untracked files that are not
// ignored count as changes).
func (b *Builds) Clean(ctx context.Context, commit string) (bool, error) {
	repo, err := b.Repo(ctx)
	if err != nil {
		return false, err
	}
	head, err := Git(ctx, repo, "rev-parse", "HEAD")
	if err != nil {
		return false, err
	}
	if head != commit {
		return false, nil
	}
	st, err := Git(ctx, repo, "status", "--porcelain", "--untracked-files=normal")
	return err == nil && st == "", err
}

func (b *Builds) pkg() string {
	if b.Package == "" {
		return DefaultPackage
	}
	return b.Package
}

// build builds the package in tree into the folder out and returns the
// executable's path.
func (b *Builds) build(ctx context.Context, tree, out string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false", "-o", out+string(filepath.Separator), b.pkg())
	cmd.Dir = tree
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if o, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%w: %s", err, lastLine(o))
	}
	entries, err := os.ReadDir(out)
	if err != nil || len(entries) != 1 {
		return "", fmt.Errorf("go build of %s made %d files in %s, want one executable", b.pkg(), len(entries), out)
	}
	return filepath.Join(out, entries[0].Name()), nil
}

func (b *Builds) buildError(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s: build: %w", what, ctx.Err())
	}
	return &BuildError{fmt.Errorf("%s: build failed: %v", what, err)}
}

func (b *Builds) logf(format string, args ...any) {
	if b.Log != nil {
		fmt.Fprintf(b.Log, "mpbench: "+format+"\n", args...)
	}
}

// Cleanup removes the worktrees and the temporary folder. It may run after
// the context of the builds was cancelled, so it has its own.
func (b *Builds) Cleanup() error {
	if b.tmp == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var errs []error
	for _, tree := range b.trees {
		if _, err := os.Stat(tree); err == nil {
			if _, err := Git(ctx, b.repo, "worktree", "remove", "--force", tree); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := os.RemoveAll(b.tmp); err != nil {
		errs = append(errs, err)
	}
	// The record of a worktree whose folder is gone (removal failed
	// half-way, or git was killed while adding it) goes too.
	if len(b.trees) > 0 {
		if _, err := Git(ctx, b.repo, "worktree", "prune"); err != nil {
			errs = append(errs, err)
		}
	}
	b.tmp, b.trees = "", nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("removing the builds: %w", err)
	}
	return nil
}

// SameFile reports whether the files at a and b have the same bytes: two
// builds of the same source with the same flags do.
func SameFile(a, b string) (bool, error) {
	ha, err := hashFile(a)
	if err != nil {
		return false, err
	}
	hb, err := hashFile(b)
	return err == nil && bytes.Equal(ha, hb), err
}

func hashFile(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

// Git runs git in dir ("" for the current folder) and returns its output,
// trimmed; its error carries the last line git wrote.
func Git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if line := lastLine(stderr.Bytes()); line != "" {
			err = fmt.Errorf("git %s: %w: %s", args[0], err, line)
		} else {
			err = fmt.Errorf("git %s: %w", args[0], err)
		}
	}
	return strings.TrimSpace(string(out)), err
}

func lastLine(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
