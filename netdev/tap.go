package netdev

import (
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/datapath/packet"
)

// This is a small TAP layer on x/sys/unix rather than songgao/water:
// water cannot set IFF_VNET_HDR or IFF_MULTI_QUEUE, has no offload control
// and always rewrites the persist flag, so opening a pre-created
// persistent tap with it would make the tap vanish when gvs exits.

const (
	vnetHdrLen = 10 // struct virtio_net_hdr

	vnetFlagNeedsCsum = 1 // VIRTIO_NET_HDR_F_NEEDS_CSUM
	vnetFlagDataValid = 2 // VIRTIO_NET_HDR_F_DATA_VALID
	vnetGSONone       = 0

	tapBatch   = 32
	tapBufSize = datapath.Headroom + vnetHdrLen + 65536
)

// Tap is a TAP device (IFF_TAP|IFF_NO_PI|IFF_VNET_HDR) serving a VM or a
// namespace. Offloads are turned off on the device (TUNSETOFFLOAD 0), so
// the kernel segments GSO super-frames and completes checksums before it
// hands frames to gvs: every frame read is wire-sized. That is the simple,
// always-correct choice; passing GSO through (and segmenting in software
// only where the output port needs it) is the faster one left for later.
// The virtio-net header is still parsed: a NEEDS_CSUM frame is completed
// in software and a GSO frame (which the kernel should never send with
// offloads off) is dropped and counted as oversize. A received frame's
// Meta is zero but for Offload.Flags = packet.CsumValid when the header
// said DATA_VALID or gvs completed a NEEDS_CSUM checksum.
type Tap struct {
	name string
	fd   int
	mtu  int

	bufs [tapBatch][]byte

	closeOnce  sync.Once
	closed     atomic.Bool
	rxOK       atomic.Uint64
	rxOversize atomic.Uint64
	txOK       atomic.Uint64
	txDrop     atomic.Uint64
}

type ifreqFlags struct {
	name  [unix.IFNAMSIZ]byte
	flags uint16
	_     [22]byte
}

// OpenTap creates the TAP device name, or attaches to it if it exists
// (its persist flag is left as it is). The device is not brought up: a tap
// for a VM or a namespace is configured by its user.
func OpenTap(name string) (*Tap, error) {
	t, err := openTap(name)
	if err != nil {
		return nil, fmt.Errorf("tap port %s: %w", name, err)
	}
	return t, nil
}

func openTap(name string) (*Tap, error) {
	if len(name) == 0 || len(name) >= unix.IFNAMSIZ {
		return nil, fmt.Errorf("bad interface name %q", name)
	}
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open /dev/net/tun: %w", err)
	}
	var ifr ifreqFlags
	copy(ifr.name[:], name)
	ifr.flags = unix.IFF_TAP | unix.IFF_NO_PI | unix.IFF_VNET_HDR
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.TUNSETIFF, uintptr(unsafe.Pointer(&ifr))); e != 0 {
		unix.Close(fd)
		return nil, fmt.Errorf("TUNSETIFF (needs CAP_NET_ADMIN): %w", e)
	}
	if err := unix.IoctlSetPointerInt(fd, unix.TUNSETVNETHDRSZ, vnetHdrLen); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("TUNSETVNETHDRSZ: %w", err)
	}
	if err := unix.IoctlSetInt(fd, unix.TUNSETOFFLOAD, 0); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("TUNSETOFFLOAD: %w", err)
	}
	t := &Tap{name: name, fd: fd, mtu: linkMTU(name)}
	if t.mtu == 0 {
		t.mtu = 1500
	}
	mem := make([]byte, tapBatch*tapBufSize)
	for i := range t.bufs {
		t.bufs[i] = mem[i*tapBufSize : (i+1)*tapBufSize : (i+1)*tapBufSize]
	}
	return t, nil
}

// Name is the device name.
func (t *Tap) Name() string { return t.name }

// Fd implements datapath.BatchDevice.
func (t *Tap) Fd() int { return t.fd }

// MTU implements datapath.BatchDevice (the MTU when the tap was opened).
func (t *Tap) MTU() int { return t.mtu }

// Close implements datapath.Device. A tap gvs created disappears with its
// last descriptor unless it is persistent.
func (t *Tap) Close() error {
	t.closeOnce.Do(func() {
		t.closed.Store(true)
		unix.Close(t.fd)
	})
	return nil
}

// Recv implements datapath.BatchDevice: one read per frame (a tap has no
// batched read), into buffers with Headroom before the frame.
func (t *Tap) Recv(frames []datapath.Frame) int {
	n := 0
	for n < len(frames) && n < tapBatch {
		buf := t.bufs[n]
		r, err := unix.Read(t.fd, buf[datapath.Headroom-vnetHdrLen:])
		if err != nil || r <= 0 {
			break
		}
		if r < vnetHdrLen+14 {
			continue
		}
		h := buf[datapath.Headroom-vnetHdrLen : datapath.Headroom]
		flen := r - vnetHdrLen
		frame := buf[datapath.Headroom : datapath.Headroom+flen]
		if h[1] != vnetGSONone {
			t.rxOversize.Add(1)
			continue
		}
		var off packet.Offload
		if h[0]&vnetFlagNeedsCsum != 0 {
			// Completed here, so what goes on is valid.
			if finishPartial(frame, int(binary.LittleEndian.Uint16(h[6:])), int(binary.LittleEndian.Uint16(h[8:]))) {
				off.Flags = packet.CsumValid
			}
		} else if h[0]&vnetFlagDataValid != 0 {
			off.Flags = packet.CsumValid
		}
		frames[n] = datapath.Frame{Buf: buf[:datapath.Headroom+flen], Off: datapath.Headroom, Len: flen, Handle: uint64(n), Meta: packet.Meta{Offload: off}}
		n++
	}
	t.rxOK.Add(uint64(n))
	return n
}

// Release implements datapath.BatchDevice; the buffers are reused by the
// next Recv.
func (t *Tap) Release([]datapath.Frame) {}

var zeroVnetHdr [vnetHdrLen]byte

// Send implements datapath.Device: one writev of a zero virtio-net header
// (no offload) and the frame. Safe for concurrent use.
func (t *Tap) Send(frame []byte) error {
	if t.closed.Load() {
		return unix.EBADF
	}
	if err := t.write(frame); err != nil {
		t.txDrop.Add(1)
		return err
	}
	t.txOK.Add(1)
	return nil
}

func (t *Tap) write(frame []byte) error {
	if len(frame) == 0 {
		return unix.EINVAL
	}
	var iov [2]unix.Iovec
	iov[0].Base = &zeroVnetHdr[0]
	iov[0].SetLen(vnetHdrLen)
	iov[1].Base = &frame[0]
	iov[1].SetLen(len(frame))
	for {
		_, _, e := unix.Syscall(unix.SYS_WRITEV, uintptr(t.fd), uintptr(unsafe.Pointer(&iov[0])), 2)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return e
		}
		return nil
	}
}

// SendBatch implements datapath.BatchDevice (one writev per frame: a tap
// has no batched write). Safe for concurrent use.
func (t *Tap) SendBatch(frames []datapath.Frame) int {
	if t.closed.Load() {
		return 0
	}
	n := 0
	for i := range frames {
		if t.write(frames[i].Bytes()) != nil {
			break
		}
		n++
	}
	t.txOK.Add(uint64(n))
	t.txDrop.Add(uint64(len(frames) - n))
	return n
}

// DeviceStats implements datapath.BatchDevice.
func (t *Tap) DeviceStats() datapath.DeviceStats {
	return datapath.DeviceStats{
		RxPackets: t.rxOK.Load(), RxOversize: t.rxOversize.Load(),
		TxPackets: t.txOK.Load(), TxDropped: t.txDrop.Load(),
	}
}

// OpenInternal creates a TAP-backed interface for the host (OVS "internal"
// port: the bridge's LOCAL port, qr-/qg-/fg- devices) and brings it up.
func OpenInternal(name string) (*Tap, error) {
	t, err := openTap(name)
	if err != nil {
		return nil, fmt.Errorf("internal port %s: %w", name, err)
	}
	if err := setLinkUp(name); err != nil {
		t.Close()
		return nil, fmt.Errorf("internal port %s: %w", name, err)
	}
	return t, nil
}
