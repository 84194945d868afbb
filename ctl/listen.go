package ctl

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/gvs-project/gvs/internal/lockfile"
)

// ErrRunning means another gvsd answers on the control socket.
var ErrRunning = errors.New("another gvsd is running on this socket")

// Listen creates the control socket at path: its directory is created, a
// stale socket file (left by a gvsd that died) is replaced, a live gvsd is
// an ErrRunning error. The socket is mode 0660, owned by group gid (-1
// keeps the default group).
//
// Liveness is decided by an flock on path+".lock", held until the
// listener is closed, so two daemons starting at once cannot both decide
// the socket is stale and steal it from each other; a socket that answers
// although nobody holds the lock (a gvsd without the lock, or another
// program) is also refused. Only a socket file is ever removed: a regular
// file at path is a configuration mistake, not something to delete.
// Closing the listener removes the socket file and then the lock file.
func Listen(path string, gid int) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("control socket directory: %w", err)
	}
	lock, err := lockfile.Acquire(path + ".lock")
	if errors.Is(err, lockfile.ErrHeld) {
		return nil, fmt.Errorf("listen on %s: %w (%v)", path, ErrRunning, err)
	}
	if err != nil {
		return nil, fmt.Errorf("control socket lock: %w", err)
	}
	l, err := listen(path, gid)
	if err != nil {
		lock.Release()
		return nil, err
	}
	return &lockedListener{Listener: l, lock: lock}, nil
}

func listen(path string, gid int) (net.Listener, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != os.ModeSocket {
			return nil, fmt.Errorf("control socket %s exists and is not a socket (%v): remove it or configure another socket", path, fi.Mode().Type())
		}
		c, err := net.DialTimeout("unix", path, time.Second)
		if err == nil {
			c.Close()
			return nil, fmt.Errorf("listen on %s: %w", path, ErrRunning)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("remove stale socket %s: %w", path, err)
		}
	}
	old := syscall.Umask(0o117)
	l, err := net.Listen("unix", path)
	syscall.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o660); err != nil {
		l.Close()
		return nil, fmt.Errorf("chmod %s: %w", path, err)
	}
	if gid >= 0 {
		if err := os.Chown(path, -1, gid); err != nil {
			l.Close()
			return nil, fmt.Errorf("chown %s to gid %d: %w", path, gid, err)
		}
	}
	return l, nil
}

// lockedListener releases the socket's lock when it is closed: after the
// socket file is gone (the unix listener removes the file it created), so
// a successor never sees our socket as live; the lock file goes too.
type lockedListener struct {
	net.Listener
	lock *lockfile.Lock
}

func (l *lockedListener) Close() error {
	err := l.Listener.Close()
	if lerr := l.lock.Release(); err == nil {
		err = lerr
	}
	return err
}

// LookupGroup resolves a group name (or number) to a gid; "" is -1.
func LookupGroup(name string) (int, error) {
	if name == "" {
		return -1, nil
	}
	if n, err := strconv.Atoi(name); err == nil {
		return n, nil
	}
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, fmt.Errorf("socket group %q: %w", name, err)
	}
	return strconv.Atoi(g.Gid)
}
