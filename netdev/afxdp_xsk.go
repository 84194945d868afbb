package netdev

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// One AF_XDP socket: its four rings mapped from the kernel, bind, and the
// fill ring refill. The UMEM they share belongs to the AFXDP port.

type xdpRing struct {
	mem   []byte
	prod  *uint32
	cons  *uint32
	flags *uint32
	desc  unsafe.Pointer
	mask  uint32
	size  uint32
}

func (r *xdpRing) addr(i uint32) *uint64 {
	return (*uint64)(unsafe.Add(r.desc, uintptr(i&r.mask)*8))
}

func (r *xdpRing) xdesc(i uint32) *unix.XDPDesc {
	return (*unix.XDPDesc)(unsafe.Add(r.desc, uintptr(i&r.mask)*16))
}

type xsk struct {
	fd       int
	queue    int
	rx, fill xdpRing
	tx, comp xdpRing
	rxCons   uint32 // next RX entry to read
	rxTaken  uint32 // entries handed out by the last Recv
	txProd   uint32
	compCons uint32
	free     []uint64 // this queue's RX chunks not in the fill ring
}

func setsockopt(fd, level, opt int, p unsafe.Pointer, size uintptr) error {
	_, _, e := unix.Syscall6(unix.SYS_SETSOCKOPT, uintptr(fd), uintptr(level), uintptr(opt), uintptr(p), size, 0)
	if e != 0 {
		return e
	}
	return nil
}

func getsockopt(fd, level, opt int, p unsafe.Pointer, size uintptr) error {
	l := uint32(size)
	_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), uintptr(level), uintptr(opt), uintptr(p), uintptr(unsafe.Pointer(&l)), 0)
	if e != 0 {
		return e
	}
	return nil
}

func (d *AFXDP) openSocket(q int) (*xsk, error) {
	fd, err := unix.Socket(unix.AF_XDP, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socket(AF_XDP): %w", err)
	}
	s := &xsk{fd: fd, queue: q}
	shared := len(d.socks) > 0
	if !shared {
		reg := unix.XDPUmemReg{Addr: uint64(uintptr(unsafe.Pointer(&d.umem[0]))), Len: uint64(len(d.umem)), Size: xdpChunk}
		if err := setsockopt(fd, unix.SOL_XDP, unix.XDP_UMEM_REG, unsafe.Pointer(&reg), unsafe.Sizeof(reg)); err != nil {
			unix.Close(fd)
			if errors.Is(err, unix.ENOBUFS) || errors.Is(err, unix.ENOMEM) {
				return nil, fmt.Errorf("XDP_UMEM_REG of %d bytes: %w (RLIMIT_MEMLOCK too low and no CAP_IPC_LOCK?)", len(d.umem), err)
			}
			return nil, fmt.Errorf("XDP_UMEM_REG: %w", err)
		}
	}
	for _, o := range []struct{ opt, n int }{
		{unix.XDP_UMEM_FILL_RING, xdpFillRing}, {unix.XDP_UMEM_COMPLETION_RING, xdpTxRing},
		{unix.XDP_RX_RING, xdpRxRing}, {unix.XDP_TX_RING, xdpTxRing},
	} {
		if err := unix.SetsockoptInt(fd, unix.SOL_XDP, o.opt, o.n); err != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("ring size %d (opt %d): %w", o.n, o.opt, err)
		}
	}
	var off unix.XDPMmapOffsets
	if err := getsockopt(fd, unix.SOL_XDP, unix.XDP_MMAP_OFFSETS, unsafe.Pointer(&off), unsafe.Sizeof(off)); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("XDP_MMAP_OFFSETS: %w", err)
	}
	if err := s.mapRings(off); err != nil {
		s.close()
		return nil, err
	}
	// This queue's RX chunks, all in the fill ring from the start.
	for i := 0; i < xdpRxChunks; i++ {
		s.free = append(s.free, uint64((q*xdpRxChunks+i)*xdpChunk))
	}
	s.refill()
	// The kernel releases a closed socket's queue asynchronously, so a
	// port closed and reopened at once (set-port, a restart) can find the
	// queue still busy for a moment: retry EBUSY for up to a second.
	for try := 0; ; try++ {
		err = d.bind(s, q, shared)
		if !errors.Is(err, unix.EBUSY) || try == 50 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		s.close()
		return nil, fmt.Errorf("bind: %w", err)
	}
	// A larger copy-mode TX budget per kick; recent kernels only.
	_ = unix.SetsockoptInt(fd, unix.SOL_XDP, unix.XDP_MAX_TX_SKB_BUDGET, xdpTxBudget)
	return s, nil
}

// mapRings maps the socket's RX, TX, fill and completion rings at the
// offsets the kernel reported. On error the rings already mapped stay in s
// for close to unmap.
func (s *xsk) mapRings(off unix.XDPMmapOffsets) error {
	mapRing := func(r *xdpRing, o unix.XDPRingOffset, pgoff int64, n uint32, descSize uint64) error {
		m, err := unix.Mmap(s.fd, pgoff, int(o.Desc+uint64(n)*descSize), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
		if err != nil {
			return err
		}
		r.mem = m
		r.prod = (*uint32)(unsafe.Pointer(&m[o.Producer]))
		r.cons = (*uint32)(unsafe.Pointer(&m[o.Consumer]))
		r.flags = (*uint32)(unsafe.Pointer(&m[o.Flags]))
		r.desc = unsafe.Pointer(&m[o.Desc])
		r.size, r.mask = n, n-1
		return nil
	}
	for _, x := range []struct {
		r    *xdpRing
		o    unix.XDPRingOffset
		pg   int64
		n    uint32
		dsz  uint64
		name string
	}{
		{&s.rx, off.Rx, unix.XDP_PGOFF_RX_RING, xdpRxRing, 16, "rx"},
		{&s.tx, off.Tx, unix.XDP_PGOFF_TX_RING, xdpTxRing, 16, "tx"},
		{&s.fill, off.Fr, unix.XDP_UMEM_PGOFF_FILL_RING, xdpFillRing, 8, "fill"},
		{&s.comp, off.Cr, unix.XDP_UMEM_PGOFF_COMPLETION_RING, xdpTxRing, 8, "completion"},
	} {
		if err := mapRing(x.r, x.o, x.pg, x.n, x.dsz); err != nil {
			return fmt.Errorf("mmap %s ring: %w", x.name, err)
		}
	}
	return nil
}

func (d *AFXDP) bind(s *xsk, q int, shared bool) error {
	sa := &unix.SockaddrXDP{Ifindex: uint32(d.ifindex), QueueID: uint32(q)}
	if shared {
		sa.Flags = unix.XDP_SHARED_UMEM
		sa.SharedUmemFD = uint32(d.socks[0].fd)
		return unix.Bind(s.fd, sa)
	}
	sa.Flags = unix.XDP_ZEROCOPY | unix.XDP_USE_NEED_WAKEUP
	if err := unix.Bind(s.fd, sa); err == nil {
		d.zeroCopy = true
		return nil
	} else if errors.Is(err, unix.EBUSY) {
		return err
	}
	sa.Flags = unix.XDP_COPY | unix.XDP_USE_NEED_WAKEUP
	return unix.Bind(s.fd, sa)
}

// refill moves free RX chunks into the fill ring as far as it has room.
func (s *xsk) refill() {
	prod := *s.fill.prod
	cons := atomic.LoadUint32(s.fill.cons)
	room := s.fill.size - (prod - cons)
	n := min(uint32(len(s.free)), room)
	if n == 0 {
		return
	}
	for i := uint32(0); i < n; i++ {
		*s.fill.addr(prod + i) = s.free[len(s.free)-1-int(i)]
	}
	s.free = s.free[:len(s.free)-int(n)]
	atomic.StoreUint32(s.fill.prod, prod+n)
	if atomic.LoadUint32(s.fill.flags)&unix.XDP_RING_NEED_WAKEUP != 0 {
		unix.Recvfrom(s.fd, nil, unix.MSG_DONTWAIT)
	}
}

func (s *xsk) close() {
	for _, r := range []*xdpRing{&s.rx, &s.tx, &s.fill, &s.comp} {
		if r.mem != nil {
			unix.Munmap(r.mem)
			r.mem = nil
		}
	}
	unix.Close(s.fd)
}
