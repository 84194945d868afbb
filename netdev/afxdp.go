package netdev

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"

	"github.com/gvs-project/gvs/datapath"
)

// AF_XDP geometry. One UMEM per port, shared by the port's queue sockets
// (XDP_SHARED_UMEM). Receive chunks are owned by the polling thread that
// owns the port; transmit chunks are a separate region guarded by the
// port's tx lock (transmit may come from any worker).
const (
	xdpChunk      = 2048
	xdpRxRing     = 4096
	xdpFillRing   = 8192 // >= the RX chunks of a queue: the kernel publishes fill consumption lazily
	xdpRxChunks   = 8192 // per queue
	xdpTxRing     = 2048
	xdpTxChunks   = 2048
	xdpTxBudget   = 2048
	xdpRxPerBatch = 64
)

// XDPMode says how the redirect program is attached.
type XDPMode string

const (
	XDPNative  XDPMode = "native"  // in the driver (XDPDriverMode)
	XDPGeneric XDPMode = "generic" // on skbs (XDPGenericMode)
	XDPBest    XDPMode = ""        // native, else generic
)

// AFXDPConfig selects what OpenAFXDP does.
type AFXDPConfig struct {
	Queues int     // RX queues to serve from 0 (0 = all the device has)
	Mode   XDPMode // attach mode
}

// AFXDP is an existing interface served through AF_XDP sockets, one per RX
// queue, with a redirect program that sends each queue's frames to its
// socket (queues without a socket fall back to the host stack). Frames are
// taken away from the host stack.
type AFXDP struct {
	name     string
	ifindex  int
	mtu      int
	mode     XDPMode
	zeroCopy bool

	umem  []byte
	socks []*xsk
	prog  *ebpf.Program
	xmap  *ebpf.Map
	lnk   link.Link
	epfd  int // epoll over all sockets when there are several

	cur int // next socket Recv starts with (round robin)
	rxq *xsk

	txMu   sync.Mutex
	txFree []uint64

	closeOnce  sync.Once
	closed     atomic.Bool
	rxOversize atomic.Uint64
	txOK       atomic.Uint64
	txDrop     atomic.Uint64
}

// OpenAFXDP attaches to the existing interface name. Its error is an
// *OpenError; Missing tells an interface that does not exist.
func OpenAFXDP(name string, cfg AFXDPConfig) (*AFXDP, error) {
	d, err := openAFXDP(name, cfg)
	if err != nil {
		return nil, &OpenError{Name: name, Err: err}
	}
	return d, nil
}

func openAFXDP(name string, cfg AFXDPConfig) (*AFXDP, error) {
	index, mtu, err := lookupLink(name)
	if err != nil {
		return nil, err
	}
	nq := rxQueues(name)
	if cfg.Queues > 0 {
		nq = min(nq, cfg.Queues)
	}
	nchunks := nq*xdpRxChunks + xdpTxChunks
	if err := checkAFXDPPrivileges(uint64(nchunks * xdpChunk)); err != nil {
		return nil, err
	}
	d := &AFXDP{name: name, ifindex: index, mtu: mtu, epfd: -1}
	ok := false
	defer func() {
		if !ok {
			d.teardown()
		}
	}()
	if d.mtu+18 > xdpChunk-unix.XDP_PACKET_HEADROOM {
		return nil, fmt.Errorf("MTU %d does not fit a %d-byte UMEM chunk", d.mtu, xdpChunk)
	}
	if err := setLinkUp(name); err != nil {
		return nil, err
	}
	d.umem, err = unix.Mmap(-1, 0, nchunks*xdpChunk, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_POPULATE)
	if err != nil {
		return nil, fmt.Errorf("mmap UMEM: %w", err)
	}
	for i := 0; i < xdpTxChunks; i++ {
		d.txFree = append(d.txFree, uint64((nq*xdpRxChunks+i)*xdpChunk))
	}
	if err := d.attachProgram(nq, cfg.Mode); err != nil {
		return nil, err
	}
	if err := d.openSockets(nq); err != nil {
		return nil, err
	}
	ok = true
	return d, nil
}

// openSockets opens one socket per RX queue 0..nq-1, the first
// registering the UMEM and the others sharing it, enters each in the
// XSKMAP, and with several sockets an epoll set over them for Fd.
func (d *AFXDP) openSockets(nq int) error {
	for q := 0; q < nq; q++ {
		s, err := d.openSocket(q)
		if err != nil {
			return fmt.Errorf("queue %d: %w", q, err)
		}
		d.socks = append(d.socks, s)
		if err := d.xmap.Put(uint32(q), uint32(s.fd)); err != nil {
			return fmt.Errorf("queue %d: XSKMAP insert: %w", q, err)
		}
	}
	if len(d.socks) > 1 {
		var err error
		if d.epfd, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
			return err
		}
		for _, s := range d.socks {
			if err := unix.EpollCtl(d.epfd, unix.EPOLL_CTL_ADD, s.fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(s.fd)}); err != nil {
				return err
			}
		}
	}
	return nil
}

// Recv implements datapath.BatchDevice: frames straight from the UMEM,
// with a zero Meta (AF_XDP reports no offload state).
func (d *AFXDP) Recv(frames []datapath.Frame) int {
	if d.rxq != nil || len(frames) == 0 {
		return 0 // previous batch not released
	}
	for k := 0; k < len(d.socks); k++ {
		s := d.socks[(d.cur+k)%len(d.socks)]
		avail := atomic.LoadUint32(s.rx.prod) - s.rxCons
		if avail == 0 {
			continue
		}
		d.cur = (d.cur + k + 1) % len(d.socks)
		n := min(int(avail), len(frames), xdpRxPerBatch)
		got := 0
		for i := 0; i < n; i++ {
			desc := s.rx.xdesc(s.rxCons + uint32(i))
			base := desc.Addr &^ (xdpChunk - 1)
			off := int(desc.Addr - base)
			end := off + int(desc.Len)
			if base+xdpChunk > uint64(len(d.umem)) || off < datapath.Headroom || end > xdpChunk || desc.Options&unix.XDP_PKT_CONTD != 0 {
				d.rxOversize.Add(1)
				s.free = append(s.free, base)
				continue
			}
			frames[got] = datapath.Frame{Buf: d.umem[base : base+uint64(end) : base+uint64(end)], Off: off, Len: int(desc.Len), Handle: base}
			got++
		}
		s.rxTaken = uint32(n)
		d.rxq = s
		if got == 0 {
			d.Release(nil)
			continue
		}
		return got
	}
	return 0
}

// Release implements datapath.BatchDevice: the chunks go back to the fill
// ring.
func (d *AFXDP) Release(frames []datapath.Frame) {
	s := d.rxq
	if s == nil {
		return
	}
	for i := range frames {
		s.free = append(s.free, frames[i].Handle)
	}
	s.rxCons += s.rxTaken
	atomic.StoreUint32(s.rx.cons, s.rxCons)
	s.rxTaken = 0
	d.rxq = nil
	s.refill()
}

// reap returns completed TX chunks to the free list. Callers hold txMu.
func (d *AFXDP) reap(s *xsk) {
	prod := atomic.LoadUint32(s.comp.prod)
	for c := s.compCons; c != prod; c++ {
		d.txFree = append(d.txFree, *s.comp.addr(c))
	}
	s.compCons = prod
	atomic.StoreUint32(s.comp.cons, prod)
}

// SendBatch implements datapath.BatchDevice: copy into TX chunks, one
// kick. Transmit uses queue 0's socket; safe for concurrent use.
func (d *AFXDP) SendBatch(frames []datapath.Frame) int {
	if d.closed.Load() {
		return 0
	}
	d.txMu.Lock()
	defer d.txMu.Unlock()
	s := d.socks[0]
	d.reap(s)
	cons := atomic.LoadUint32(s.tx.cons)
	room := int(s.tx.size - (s.txProd - cons))
	n := 0
	for i := range frames {
		f := frames[i].Bytes()
		if n == room || len(d.txFree) == 0 || len(f) > xdpChunk || len(f) == 0 {
			break
		}
		a := d.txFree[len(d.txFree)-1]
		d.txFree = d.txFree[:len(d.txFree)-1]
		copy(d.umem[a:a+xdpChunk], f)
		desc := s.tx.xdesc(s.txProd)
		desc.Addr, desc.Len, desc.Options = a, uint32(len(f)), 0
		s.txProd++
		n++
	}
	if n > 0 {
		atomic.StoreUint32(s.tx.prod, s.txProd)
		// In copy mode frames only move inside sendto; EAGAIN, EBUSY and
		// ENOBUFS mean "call again". Try a few times so the tail of a
		// burst does not wait for the next batch's kick.
		for try := 0; try < 4; try++ {
			err := unix.Sendto(s.fd, nil, unix.MSG_DONTWAIT, nil)
			if err == nil || !(errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EBUSY) || errors.Is(err, unix.ENOBUFS)) {
				break
			}
		}
	}
	d.txOK.Add(uint64(n))
	d.txDrop.Add(uint64(len(frames) - n))
	return n
}

// Send implements datapath.Device.
func (d *AFXDP) Send(frame []byte) error {
	one := [1]datapath.Frame{{Buf: frame, Len: len(frame)}}
	if d.SendBatch(one[:]) != 1 {
		return unix.ENOBUFS
	}
	return nil
}

// Fd implements datapath.BatchDevice.
func (d *AFXDP) Fd() int {
	if d.epfd >= 0 {
		return d.epfd
	}
	if len(d.socks) == 0 {
		return -1
	}
	return d.socks[0].fd
}

// MTU implements datapath.BatchDevice.
func (d *AFXDP) MTU() int { return d.mtu }

// Ifindex is the index of the interface the port was opened on.
func (d *AFXDP) Ifindex() int { return d.ifindex }

// LinkUp reports the interface's link state (ok false if unknown). Called
// by the polling thread.
func (d *AFXDP) LinkUp() (up, ok bool) {
	if len(d.socks) == 0 {
		return false, false
	}
	up, err := linkRunning(d.socks[0].fd, d.name)
	return up, err == nil
}

// Mode reports how the program is attached, and whether the sockets are
// zero-copy.
func (d *AFXDP) Mode() (XDPMode, bool) { return d.mode, d.zeroCopy }

// Queues is the number of RX queues served.
func (d *AFXDP) Queues() int { return len(d.socks) }

// DeviceStats implements datapath.BatchDevice, with XDP_STATISTICS summed
// over the queues.
func (d *AFXDP) DeviceStats() datapath.DeviceStats {
	st := datapath.DeviceStats{RxOversize: d.rxOversize.Load(), TxPackets: d.txOK.Load(), TxDropped: d.txDrop.Load()}
	d.txMu.Lock() // Close holds it while tearing down
	defer d.txMu.Unlock()
	if d.closed.Load() {
		return st
	}
	for _, s := range d.socks {
		var x unix.XDPStatistics
		if getsockopt(s.fd, unix.SOL_XDP, unix.XDP_STATISTICS, unsafe.Pointer(&x), unsafe.Sizeof(x)) == nil {
			st.RxDropped += x.Rx_dropped + x.Rx_ring_full + x.Rx_fill_ring_empty_descs
		}
	}
	return st
}

func (d *AFXDP) teardown() {
	if d.lnk != nil {
		d.lnk.Close()
		d.lnk = nil
	}
	for _, s := range d.socks {
		s.close()
	}
	d.socks = nil
	if d.epfd >= 0 {
		unix.Close(d.epfd)
		d.epfd = -1
	}
	if d.prog != nil {
		d.prog.Close()
	}
	if d.xmap != nil {
		d.xmap.Close()
	}
	if d.umem != nil {
		unix.Munmap(d.umem)
		d.umem = nil
	}
}

// Close detaches the program and closes sockets, map and UMEM: nothing
// stays attached to the interface. The caller guarantees no Recv runs.
func (d *AFXDP) Close() error {
	d.closeOnce.Do(func() {
		d.closed.Store(true)
		d.txMu.Lock()
		defer d.txMu.Unlock()
		d.teardown()
	})
	return nil
}

// AFXDPSupported reports whether this kernel and process can open AF_XDP
// sockets, with the reason if not.
func AFXDPSupported() error {
	fd, err := unix.Socket(unix.AF_XDP, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket(AF_XDP): %w", err)
	}
	unix.Close(fd)
	if _, err := os.Stat("/sys/fs/bpf"); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
