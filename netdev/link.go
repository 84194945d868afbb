package netdev

import (
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// setLinkUp sets IFF_UP on the named interface (in the calling thread's
// network namespace).
func setLinkUp(name string) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("link %s up: %w", name, err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return fmt.Errorf("link %s up: %w", name, err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("link %s up: %w", name, err)
	}
	fl := ifr.Uint16()
	if fl&unix.IFF_UP != 0 {
		return nil
	}
	ifr.SetUint16(fl | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("link %s up: %w", name, err)
	}
	return nil
}

// linkMTU returns the MTU of the named interface, 0 if unknown.
func linkMTU(name string) int {
	_, mtu, err := lookupLink(name)
	if err != nil {
		return 0
	}
	return mtu
}

// OpenError is why an existing kernel interface could not be opened as a
// port. Its text is the one Open vSwitch records in the Interface's error
// column: "could not open network device NAME (REASON)".
type OpenError struct {
	Name string
	Err  error
}

func (e *OpenError) Error() string {
	reason := e.Err.Error()
	if errno, ok := e.Err.(unix.Errno); ok {
		reason = capitalise(errno.Error())
	}
	return fmt.Sprintf("could not open network device %s (%s)", e.Name, reason)
}

func (e *OpenError) Unwrap() error { return e.Err }

// Missing reports whether the interface does not exist (in the namespace
// it was looked for in): it may still appear.
func (e *OpenError) Missing() bool { return IsNoDevice(e.Err) }

// IsNoDevice reports whether err says a network interface does not exist.
func IsNoDevice(err error) bool {
	return errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENXIO)
}

// NoDevice is the OpenError of an interface name that does not exist.
func NoDevice(name string) *OpenError { return &OpenError{Name: name, Err: unix.ENODEV} }

// capitalise upper-cases the first letter of an errno's text, as
// strerror(3) spells it ("No such device").
func capitalise(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// lookupLink returns the index and MTU of the named interface in the
// calling thread's network namespace; an interface that does not exist is
// an error that IsNoDevice recognises.
func lookupLink(name string) (index, mtu int, err error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, 0, err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return 0, 0, err // a name longer than IFNAMSIZ
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFINDEX, ifr); err != nil {
		return 0, 0, err
	}
	index = int(ifr.Uint32())
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFMTU, ifr); err != nil {
		return 0, 0, err
	}
	return index, int(ifr.Uint32()), nil
}

var heapSink atomic.Pointer[ethtoolValue]

type ethtoolValue struct {
	cmd  uint32
	data uint32
}

type ifreqData struct {
	name [unix.IFNAMSIZ]byte
	data uintptr
	_    [16]byte
}

// DisableOffloads turns off transmit checksum, TSO, GSO and GRO on the
// named interface (ethtool -K NAME tx off tso off gso off gro off), in the
// calling thread's network namespace. A kernel stack that sends through a
// software switch must hand it complete, wire-sized frames: a frame with a
// pending checksum or a GSO super-frame cannot be forwarded as is.
func DisableOffloads(name string) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	for _, cmd := range []uint32{unix.ETHTOOL_STSO, unix.ETHTOOL_SGSO, unix.ETHTOOL_SGRO, unix.ETHTOOL_STXCSUM} {
		v := &ethtoolValue{cmd: cmd}
		heapSink.Store(v) // the kernel reads v through a uintptr: keep it off the (movable) stack
		ifr := &ifreqData{}
		copy(ifr.name[:unix.IFNAMSIZ-1], name)
		ifr.data = uintptr(unsafe.Pointer(v))
		_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SIOCETHTOOL, uintptr(unsafe.Pointer(ifr)))
		runtime.KeepAlive(v)
		if e != 0 && e != unix.EOPNOTSUPP {
			return fmt.Errorf("ethtool %s cmd %#x: %w", name, cmd, e)
		}
	}
	return nil
}

// linkRunning reports whether the named interface is up with a carrier
// (IFF_UP and IFF_RUNNING), asking through fd, any socket in the
// interface's network namespace.
func linkRunning(fd int, name string) (bool, error) {
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return false, err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return false, err
	}
	fl := ifr.Uint16()
	return fl&unix.IFF_UP != 0 && fl&unix.IFF_RUNNING != 0, nil
}

// LinkState returns the index of the named interface in the calling
// thread's network namespace and whether its link is running (IFF_UP and
// IFF_RUNNING); an interface that does not exist is an error that
// IsNoDevice recognises.
func LinkState(name string) (index int, running bool, err error) {
	index, _, err = lookupLink(name)
	if err != nil {
		return 0, false, err
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, false, err
	}
	defer unix.Close(fd)
	running, err = linkRunning(fd, name)
	return index, running, err
}
