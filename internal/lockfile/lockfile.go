// Package lockfile holds an exclusive flock on a file for as long as a
// process needs it (a daemon's life), and removes the file when done
// without letting a newcomer lock a file that is about to be deleted.
package lockfile

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// ErrHeld means another process holds the lock.
var ErrHeld = errors.New("locked by another process")

// Lock is a held lock file.
type Lock struct {
	path string
	f    *os.File
	once sync.Once
}

// Acquire creates path (mode 0600) if needed and locks it without
// waiting. The lock holder's pid is written into the file, so an
// ErrHeld error names the process that holds it. A file at path that
// is not a regular file (a symbolic link included) is refused.
//
// Release removes the file while it is still locked; a process that
// opened the file before then and locks it afterwards would hold a lock
// on a file nobody else can find, so Acquire checks, after locking, that
// path still names the locked file and starts again if not.
func Acquire(path string) (*Lock, error) {
	for range 100 {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0o600)
		if err != nil {
			return nil, fmt.Errorf("open lock file %s: %w", path, err)
		}
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
			f.Close()
			if errors.Is(err, unix.EWOULDBLOCK) {
				return nil, fmt.Errorf("%s: %w%s", path, ErrHeld, holder(path))
			}
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		same, err := stillNamed(f, path)
		if err != nil {
			f.Close()
			return nil, err
		}
		if !same {
			f.Close() // its holder removed it as we locked it: again
			continue
		}
		if err := f.Truncate(0); err == nil {
			f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
		}
		return &Lock{path: path, f: f}, nil
	}
	return nil, fmt.Errorf("lock %s: it keeps being replaced", path)
}

// stillNamed reports whether path is (still) the file f has open.
func stillNamed(f *os.File, path string) (bool, error) {
	fi, err := f.Stat()
	if err != nil {
		return false, fmt.Errorf("lock file %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return false, fmt.Errorf("lock file %s is not a regular file", path)
	}
	pi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("lock file %s: %w", path, err)
	}
	return os.SameFile(fi, pi), nil
}

// holder describes the process that holds the lock at path, from the
// pid it wrote there ("" if unknown).
func holder(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return ""
	}
	return fmt.Sprintf(" (pid %d)", pid)
}

// Path is the lock file's name.
func (l *Lock) Path() string { return l.path }

// Release removes the lock file and then unlocks it; later calls do
// nothing. Its error is the removal's (the lock is released anyway).
func (l *Lock) Release() error {
	var err error
	l.once.Do(func() {
		if rerr := os.Remove(l.path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			err = fmt.Errorf("remove lock file: %w", rerr)
		}
		l.f.Close()
	})
	return err
}
