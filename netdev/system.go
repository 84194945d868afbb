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

// Ring geometry of a System port: 32 blocks of 256 KiB (8 MiB) hold about
// 5,000 full-size or 80,000 minimum-size frames, which absorbs the
// 10-100 ms scheduling stalls seen on small shared VMs. A block that is
// not full is handed to gvs after retireTOV milliseconds.
const (
	blockSize = 1 << 18
	blockNr   = 32
	frameSize = 2048 // TPACKET_V3 packs frames; this only sets the minimum
	retireTOV = 1

	tpHdrLen = 68 // TPACKET_ALIGN(sizeof(tpacket3_hdr)) + sizeof(sockaddr_ll)
	// pushRoom is room beyond Headroom for re-inserting a VLAN tag the
	// kernel took out of the frame.
	pushRoom = 8
)

// System is an existing kernel interface attached through AF_PACKET: a
// TPACKET_V3 receive ring (promiscuous, frames the host itself sends are
// ignored) and sendmmsg/write for transmit. Frames also stay in the host
// stack, as with any packet socket.
type System struct {
	name    string
	ifindex int
	mtu     int
	fd      int
	ring    []byte

	// receive state, owned by the polling goroutine
	cur, pos, num int
	off           int
	release       bool

	closeOnce    sync.Once
	statsMu      sync.Mutex
	kRx, kDrop   uint64
	rxOversize   atomic.Uint64
	txOK, txDrop atomic.Uint64
	closed       atomic.Bool
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// OpenSystem attaches to the existing interface name (in the calling
// thread's network namespace) and brings it up. Its error is an
// *OpenError; Missing tells an interface that does not exist (or vanished
// while it was being opened).
func OpenSystem(name string) (*System, error) {
	index, mtu, err := lookupLink(name)
	if err != nil {
		return nil, &OpenError{Name: name, Err: err}
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, &OpenError{Name: name, Err: fmt.Errorf("AF_PACKET socket (needs CAP_NET_RAW): %w", err)}
	}
	s := &System{name: name, ifindex: index, mtu: mtu, fd: fd}
	if err := s.setup(); err != nil {
		s.closeFd()
		return nil, &OpenError{Name: name, Err: err}
	}
	return s, nil
}

func (s *System) setup() error {
	fd := s.fd
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V3); err != nil {
		return fmt.Errorf("PACKET_VERSION v3: %w", err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_RESERVE, datapath.Headroom+pushRoom); err != nil {
		return fmt.Errorf("PACKET_RESERVE: %w", err)
	}
	// Do not re-receive what gvs (or the host) transmits on this device.
	// Older kernels lack the option; Recv filters PACKET_OUTGOING anyway.
	_ = unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1)
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, 4<<20)
	// Transmit straight to the driver: cheaper, and a device brought up a
	// moment ago (qdisc not yet activated by linkwatch) does not drop.
	_ = unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_QDISC_BYPASS, 1)
	req := unix.TpacketReq3{
		Block_size:     blockSize,
		Block_nr:       blockNr,
		Frame_size:     frameSize,
		Frame_nr:       blockSize / frameSize * blockNr,
		Retire_blk_tov: retireTOV,
	}
	if err := unix.SetsockoptTpacketReq3(fd, unix.SOL_PACKET, unix.PACKET_RX_RING, &req); err != nil {
		return fmt.Errorf("PACKET_RX_RING: %w", err)
	}
	ring, err := unix.Mmap(fd, 0, blockSize*blockNr, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return fmt.Errorf("mmap rx ring: %w", err)
	}
	s.ring = ring
	mr := unix.PacketMreq{Ifindex: int32(s.ifindex), Type: unix.PACKET_MR_PROMISC}
	if err := unix.SetsockoptPacketMreq(fd, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, &mr); err != nil {
		return fmt.Errorf("promiscuous mode: %w", err)
	}
	// Up before bind: binding to a down device leaves ENETDOWN pending on
	// the socket, which the first send would then fail with.
	if err := setLinkUp(s.name); err != nil {
		return err
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: s.ifindex}); err != nil {
		return fmt.Errorf("bind: %w", err)
	}
	unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR) // clear anything pending
	return nil
}

func (s *System) closeFd() {
	if s.ring != nil {
		unix.Munmap(s.ring)
		s.ring = nil
	}
	unix.Close(s.fd)
}

// Close releases the socket and the ring (promiscuous mode is dropped with
// the socket). The caller guarantees no Recv is running.
func (s *System) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.closeFd()
	})
	return nil
}

// Fd implements datapath.BatchDevice.
func (s *System) Fd() int { return s.fd }

// MTU implements datapath.BatchDevice.
func (s *System) MTU() int { return s.mtu }

// Name is the interface name.
func (s *System) Name() string { return s.name }

// Ifindex is the index of the interface the port was opened on: an
// interface of the same name with another index is another device.
func (s *System) Ifindex() int { return s.ifindex }

// LinkUp reports the interface's link state (ok false if unknown). Called
// by the polling thread.
func (s *System) LinkUp() (up, ok bool) {
	up, err := linkRunning(s.fd, s.name)
	return up, err == nil
}

func (s *System) blockStatus(b int) *uint32 {
	return (*uint32)(unsafe.Pointer(&s.ring[b*blockSize+8]))
}

// Recv implements datapath.BatchDevice. It returns frames of at most one
// ring block; Release gives the block back once all its frames are used.
// A frame's Meta is zero but for Offload.Flags = packet.CsumValid when
// the ring said TP_STATUS_CSUM_VALID or gvs completed a partial checksum
// (TP_STATUS_CSUMNOTREADY).
func (s *System) Recv(frames []datapath.Frame) int {
	n := 0
	if len(frames) == 0 {
		return 0
	}
	for n == 0 {
		if s.release {
			return 0 // the caller has not released the previous block
		}
		base := s.cur * blockSize
		if atomic.LoadUint32(s.blockStatus(s.cur))&unix.TP_STATUS_USER == 0 {
			return 0
		}
		if s.pos == 0 {
			h := (*unix.TpacketHdrV1)(unsafe.Pointer(&s.ring[base+8]))
			s.num = int(h.Num_pkts)
			s.off = int(h.Offset_to_first_pkt)
		}
		blk := s.ring[base : base+blockSize]
		for s.pos < s.num && n < len(frames) {
			if s.off < 0 || s.off+tpHdrLen > blockSize {
				s.pos = s.num // corrupt block: give it back
				break
			}
			fh := (*unix.Tpacket3Hdr)(unsafe.Pointer(&blk[s.off]))
			sll := (*unix.RawSockaddrLinklayer)(unsafe.Pointer(&blk[s.off+48]))
			off := s.off
			s.off += int(fh.Next_offset)
			s.pos++
			if sll.Pkttype == unix.PACKET_OUTGOING {
				continue
			}
			mac := off + int(fh.Mac)
			snap, length := int(fh.Snaplen), int(fh.Len)
			start := mac - datapath.Headroom - pushRoom
			if snap != length || start < off+tpHdrLen || mac+snap > blockSize {
				s.rxOversize.Add(1) // truncated by the ring: drop, never forward a partial frame
				continue
			}
			// The whole Frame is assigned: Meta from the last use is cleared.
			f := &frames[n]
			*f = datapath.Frame{Buf: blk[start : mac+snap : mac+snap], Off: datapath.Headroom + pushRoom, Len: snap, Handle: uint64(s.cur)}
			if fh.Status&unix.TP_STATUS_VLAN_VALID != 0 && snap >= 12 {
				putVLAN(f, fh)
			}
			switch {
			case fh.Status&unix.TP_STATUS_CSUMNOTREADY != 0:
				// A partial checksum from the local stack: completed
				// here, so what goes on is valid.
				completeChecksum(f.Buf[f.Off : f.Off+f.Len])
				f.Meta.Offload.Flags = packet.CsumValid
			case fh.Status&unix.TP_STATUS_CSUM_VALID != 0:
				f.Meta.Offload.Flags = packet.CsumValid
			}
			n++
		}
		if s.pos >= s.num {
			s.release = true
			if n == 0 {
				s.Release(nil) // nothing for us in this block: next one
			}
		}
	}
	return n
}

// putVLAN puts back the 802.1Q (or the ring's TPID) tag the kernel
// stripped into f, in the headroom before its MAC addresses.
func putVLAN(f *datapath.Frame, fh *unix.Tpacket3Hdr) {
	tpid := uint16(0x8100)
	if fh.Status&unix.TP_STATUS_VLAN_TPID_VALID != 0 && fh.Hv1.Vlan_tpid != 0 {
		tpid = fh.Hv1.Vlan_tpid
	}
	b := f.Buf
	copy(b[f.Off-4:f.Off+8], b[f.Off:f.Off+12])
	f.Off -= 4
	binary.BigEndian.PutUint16(b[f.Off+12:], tpid)
	binary.BigEndian.PutUint16(b[f.Off+14:], uint16(fh.Hv1.Vlan_tci))
	f.Len += 4
}

// Release implements datapath.BatchDevice.
func (s *System) Release([]datapath.Frame) {
	if !s.release {
		return
	}
	atomic.StoreUint32(s.blockStatus(s.cur), unix.TP_STATUS_KERNEL)
	s.cur = (s.cur + 1) % blockNr
	s.pos, s.num, s.release = 0, 0, false
}

// Send implements datapath.Device; safe for concurrent use.
func (s *System) Send(frame []byte) error {
	if s.closed.Load() {
		return unix.EBADF
	}
	if _, err := unix.Write(s.fd, frame); err != nil {
		s.txDrop.Add(1)
		return err
	}
	s.txOK.Add(1)
	return nil
}

// SendBatch implements datapath.BatchDevice with sendmmsg; safe for
// concurrent use.
func (s *System) SendBatch(frames []datapath.Frame) int {
	if s.closed.Load() {
		return 0
	}
	sent := 0
	for sent < len(frames) {
		k, err := sendmmsg(s.fd, frames[sent:])
		sent += k
		if err != nil || k == 0 {
			break
		}
	}
	s.txOK.Add(uint64(sent))
	s.txDrop.Add(uint64(len(frames) - sent))
	return sent
}

const mmsgBatch = 64

// sendmmsg sends up to mmsgBatch frames in one system call, with no
// allocation.
func sendmmsg(fd int, frames []datapath.Frame) (int, error) {
	var msgs [mmsgBatch]unix.Mmsghdr
	var iovs [mmsgBatch]unix.Iovec
	n := 0
	for i := range frames {
		f := frames[i].Bytes()
		if n == mmsgBatch {
			break
		}
		if len(f) == 0 {
			continue
		}
		iovs[n].Base = &f[0]
		iovs[n].SetLen(len(f))
		msgs[n].Hdr.Iov = &iovs[n]
		msgs[n].Hdr.SetIovlen(1)
		n++
	}
	if n == 0 {
		return 0, nil
	}
	for {
		r, _, e := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(fd), uintptr(unsafe.Pointer(&msgs[0])), uintptr(n), unix.MSG_DONTWAIT, 0, 0)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return 0, e
		}
		return int(r), nil
	}
}

// DeviceStats implements datapath.BatchDevice. Kernel ring counters come
// from PACKET_STATISTICS (which resets them on read, so they are summed).
func (s *System) DeviceStats() datapath.DeviceStats {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	if !s.closed.Load() {
		if st, err := unix.GetsockoptTpacketStatsV3(s.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS); err == nil {
			s.kRx += uint64(st.Packets)
			s.kDrop += uint64(st.Drops)
		}
	}
	return datapath.DeviceStats{
		RxPackets: s.kRx, RxDropped: s.kDrop, RxOversize: s.rxOversize.Load(),
		TxPackets: s.txOK.Load(), TxDropped: s.txDrop.Load(),
	}
}
