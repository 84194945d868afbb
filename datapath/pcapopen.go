package datapath

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// WithinDir reports whether path, once cleaned, names something strictly
// inside dir, and returns it relative to dir. Both must be absolute; a
// path with a ".." element is never within (it is refused rather than
// cleaned away, so that what the caller wrote is what is checked).
func WithinDir(dir, path string) (rel string, ok bool) {
	if dir == "" || !filepath.IsAbs(dir) || !filepath.IsAbs(path) || hasDotDot(path) {
		return "", false
	}
	dir, path = filepath.Clean(dir), filepath.Clean(path)
	prefix := dir + string(filepath.Separator)
	if dir == string(filepath.Separator) {
		prefix = dir
	}
	if !strings.HasPrefix(path, prefix) || len(path) == len(prefix) {
		return "", false
	}
	return path[len(prefix):], true
}

// hasDotDot reports whether a slash-separated path has a ".." element.
func hasDotDot(p string) bool {
	for _, e := range strings.Split(p, "/") {
		if e == ".." {
			return true
		}
	}
	return false
}

// OpenPcapFile opens a pcap file gvsd reads or writes for a port: for
// reading, or (write) for appending, created with mode 0600 if missing.
// The open never blocks (O_NONBLOCK: a FIFO cannot hold the caller) and
// anything but a regular file is refused after fstat. The last element is
// never followed if it is a symbolic link. When dir is not "" and path
// lies within it (WithinDir), path is resolved beneath dir with no
// symbolic link followed at any level (openat2 RESOLVE_BENEATH and
// RESOLVE_NO_SYMLINKS; on kernels without openat2, one element at a time
// with O_NOFOLLOW), and a file with several hard links is refused too.
// Errors name path and the reason, never anything read from the file.
func OpenPcapFile(dir, path string, write bool) (*os.File, error) {
	flags := unix.O_RDONLY
	if write {
		flags = unix.O_WRONLY | unix.O_CREAT | unix.O_APPEND
	}
	flags |= unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC
	var fd int
	var err error
	rel, beneath := WithinDir(dir, path)
	if beneath {
		fd, err = openBeneath(dir, rel, flags)
	} else {
		fd, err = unix.Open(path, flags, 0o600)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, openErr(err))
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	switch {
	case st.Mode&unix.S_IFMT != unix.S_IFREG:
		unix.Close(fd)
		return nil, fmt.Errorf("%s: not a regular file", path)
	case beneath && st.Nlink > 1:
		unix.Close(fd)
		return nil, fmt.Errorf("%s: has %d hard links (refused inside the pcap directory)", path, st.Nlink)
	}
	return os.NewFile(uintptr(fd), path), nil
}

// openErr explains the errors a refused link or special file gives.
func openErr(err error) error {
	switch {
	case errors.Is(err, unix.ELOOP):
		return errors.New("is a symbolic link or lies under one (pcap files are opened without following links)")
	case errors.Is(err, unix.EXDEV):
		return errors.New("resolves outside the pcap directory")
	case errors.Is(err, unix.ENXIO):
		return errors.New("not a regular file")
	}
	return err
}

// openat2 is unix.Openat2; tests replace it to run the fallback.
var openat2 = unix.Openat2

// openBeneath opens rel inside dir without following any symbolic link.
func openBeneath(dir, rel string, flags int) (int, error) {
	dfd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("pcap directory: %w", err)
	}
	defer unix.Close(dfd)
	how := unix.OpenHow{Flags: uint64(flags), Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS}
	if flags&unix.O_CREAT != 0 {
		how.Mode = 0o600
	}
	for range 3 { // EAGAIN: a rename raced the lookup; try again
		fd, err := openat2(dfd, rel, &how)
		switch {
		case err == nil:
			return fd, nil
		case errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EPERM):
			// No openat2 (Linux < 5.6, or a seccomp filter that refuses it).
			return openEachNoFollow(dfd, rel, flags)
		case !errors.Is(err, unix.EAGAIN):
			return -1, err
		}
	}
	return -1, unix.EAGAIN
}

// openEachNoFollow walks rel from dfd one element at a time, refusing a
// symbolic link at every step: openat2's guarantee without openat2.
func openEachNoFollow(dfd int, rel string, flags int) (int, error) {
	elems := strings.Split(rel, "/")
	cur := dfd
	defer func() {
		if cur != dfd {
			unix.Close(cur)
		}
	}()
	for _, e := range elems[:len(elems)-1] {
		if e == "" || e == "." || e == ".." {
			return -1, unix.EXDEV
		}
		next, err := unix.Openat(cur, e, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			var st unix.Stat_t
			if errors.Is(err, unix.ENOTDIR) && unix.Fstatat(cur, e, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK {
				return -1, unix.ELOOP
			}
			return -1, err
		}
		if cur != dfd {
			unix.Close(cur)
		}
		cur = next
	}
	return unix.Openat(cur, elems[len(elems)-1], flags, 0o600)
}
