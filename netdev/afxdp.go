package netdev

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
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

type xdpRing struct {
	mem      []byte
	prod     *uint32
	cons     *uint32
	flags    *uint32
	desc     unsafe.Pointer
	mask     uint32
	size     uint32
	isDesc16 bool
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

// checkAFXDPPrivileges says exactly what the process lacks for AF_XDP with
// a UMEM of umemBytes; it raises RLIMIT_MEMLOCK when it can.
func checkAFXDPPrivileges(umemBytes uint64) error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capget: %w", err)
	}
	has := func(c uint) bool { return data[c/32].Effective&(1<<(c%32)) != 0 }
	var missing []string
	if !has(unix.CAP_NET_RAW) {
		missing = append(missing, "CAP_NET_RAW (AF_XDP socket)")
	}
	if !has(unix.CAP_NET_ADMIN) {
		missing = append(missing, "CAP_NET_ADMIN (XDP attach)")
	}
	if !has(unix.CAP_BPF) && !has(unix.CAP_SYS_ADMIN) {
		missing = append(missing, "CAP_BPF (XSKMAP and XDP program)")
	}
	if !has(unix.CAP_IPC_LOCK) {
		var rl unix.Rlimit
		if err := unix.Getrlimit(unix.RLIMIT_MEMLOCK, &rl); err == nil && rl.Cur != unix.RLIM_INFINITY && rl.Cur < umemBytes {
			want := unix.Rlimit{Cur: umemBytes + 1<<20, Max: max(rl.Max, umemBytes+1<<20)}
			if unix.Setrlimit(unix.RLIMIT_MEMLOCK, &want) != nil {
				missing = append(missing, fmt.Sprintf("CAP_IPC_LOCK or RLIMIT_MEMLOCK >= %d bytes (it is %d; raising it needs CAP_SYS_RESOURCE)", umemBytes, rl.Cur))
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("AF_XDP needs %s", strings.Join(missing, "; "))
	}
	return nil
}

// rxQueues counts the device's RX queues (in the calling thread's netns,
// through sysfs when it reflects it), at least 1.
func rxQueues(name string) int {
	m, _ := filepath.Glob("/sys/class/net/" + name + "/queues/rx-*")
	return max(1, len(m))
}

// redirectProgram is the XDP program: redirect to the XSKMAP slot of the
// frame's rx_queue_index, or XDP_PASS (the low bits of the flags argument)
// when the slot is empty.
func redirectProgram(xmap *ebpf.Map) (*ebpf.Program, error) {
	return ebpf.NewProgram(&ebpf.ProgramSpec{
		Name: "gvs_xsk_redir",
		Type: ebpf.XDP,
		Instructions: asm.Instructions{
			asm.LoadMem(asm.R2, asm.R1, 16, asm.Word), // r2 = ctx->rx_queue_index
			asm.LoadMapPtr(asm.R1, xmap.FD()),
			asm.Mov.Imm(asm.R3, 2), // XDP_PASS when no socket
			asm.FnRedirectMap.Call(),
			asm.Return(),
		},
		License: "GPL",
	})
}

// OpenAFXDP attaches to the existing interface name.
func OpenAFXDP(name string, cfg AFXDPConfig) (*AFXDP, error) {
	d, err := openAFXDP(name, cfg)
	if err != nil {
		return nil, fmt.Errorf("afxdp port %s: %w", name, err)
	}
	return d, nil
}

func openAFXDP(name string, cfg AFXDPConfig) (*AFXDP, error) {
	ifi, err := net.InterfaceByName(name)
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
	d := &AFXDP{name: name, ifindex: ifi.Index, mtu: ifi.MTU, epfd: -1}
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
	d.xmap, err = ebpf.NewMap(&ebpf.MapSpec{Name: "gvs_xsks", Type: ebpf.XSKMap, KeySize: 4, ValueSize: 4, MaxEntries: uint32(max(nq, rxQueues(name)))})
	if err != nil {
		return nil, fmt.Errorf("XSKMAP: %w", err)
	}
	if d.prog, err = redirectProgram(d.xmap); err != nil {
		return nil, fmt.Errorf("load XDP program: %w", err)
	}
	modes := []XDPMode{XDPNative, XDPGeneric}
	if cfg.Mode != XDPBest {
		modes = []XDPMode{cfg.Mode}
	}
	var aerr error
	for _, m := range modes {
		fl := link.XDPDriverMode
		if m == XDPGeneric {
			fl = link.XDPGenericMode
		}
		if d.lnk, aerr = link.AttachXDP(link.XDPOptions{Program: d.prog, Interface: d.ifindex, Flags: fl}); aerr == nil {
			d.mode = m
			break
		}
	}
	if aerr != nil {
		return nil, fmt.Errorf("attach XDP (%v): %w", modes, aerr)
	}
	for q := 0; q < nq; q++ {
		s, err := d.openSocket(q)
		if err != nil {
			return nil, fmt.Errorf("queue %d: %w", q, err)
		}
		d.socks = append(d.socks, s)
		if err := d.xmap.Put(uint32(q), uint32(s.fd)); err != nil {
			return nil, fmt.Errorf("queue %d: XSKMAP insert: %w", q, err)
		}
	}
	if len(d.socks) > 1 {
		if d.epfd, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
			return nil, err
		}
		for _, s := range d.socks {
			if err := unix.EpollCtl(d.epfd, unix.EPOLL_CTL_ADD, s.fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(s.fd)}); err != nil {
				return nil, err
			}
		}
	}
	ok = true
	return d, nil
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
	mapRing := func(r *xdpRing, o unix.XDPRingOffset, pgoff int64, n uint32, descSize uint64) error {
		m, err := unix.Mmap(fd, pgoff, int(o.Desc+uint64(n)*descSize), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
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
			s.close()
			return nil, fmt.Errorf("mmap %s ring: %w", x.name, err)
		}
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

// Recv implements datapath.BatchDevice: frames straight from the UMEM.
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
