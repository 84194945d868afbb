package datapath

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/gvs-project/gvs/conntrack/ipf"
	"github.com/gvs-project/gvs/datapath/header"
	"github.com/gvs-project/gvs/datapath/packet"
)

// udpData is n bytes of a UDP datagram from port sport to dport (checksum
// 0: not checked).
func udpData(n int, sport, dport uint16) []byte {
	d := make([]byte, n)
	for i := 8; i < n; i++ {
		d[i] = byte(i)
	}
	binary.BigEndian.PutUint16(d[0:], sport)
	binary.BigEndian.PutUint16(d[2:], dport)
	binary.BigEndian.PutUint16(d[4:], uint16(n))
	return d
}

// fragFrame builds an Ethernet frame with an IPv4 packet from src to dst
// carrying data[start:end] at offset start of datagram id, more
// fragments following if more (start 0, end len(data), !more: no
// fragment).
func fragFrame(src, dst [4]byte, id uint16, data []byte, start, end int, more bool) []byte {
	f := make([]byte, 14+20, 14+20+end-start)
	f[0], f[11] = 2, 1
	binary.BigEndian.PutUint16(f[12:], header.EtherTypeIPv4)
	ip := f[14:]
	ip[0], ip[8], ip[9] = 0x45, 64, header.ProtocolUDP
	binary.BigEndian.PutUint16(ip[2:], uint16(20+end-start))
	binary.BigEndian.PutUint16(ip[4:], id)
	fo := uint16(start / 8)
	if more {
		fo |= 0x2000
	}
	binary.BigEndian.PutUint16(ip[6:], fo)
	copy(ip[12:], src[:])
	copy(ip[16:], dst[:])
	binary.BigEndian.PutUint16(ip[10:], header.Checksum(ip[:20], 0))
	return append(f, data[start:end]...)
}

// fragFrame6 is fragFrame for IPv6, with a hop-by-hop header before the
// fragment header.
func fragFrame6(id uint32, data []byte, start, end int, more bool) []byte {
	f := make([]byte, 14+40+8+8, 14+56+end-start)
	f[0], f[11] = 2, 1
	binary.BigEndian.PutUint16(f[12:], header.EtherTypeIPv6)
	ip := f[14:]
	ip[0], ip[6], ip[7] = 0x60, 0, 64 // next: hop-by-hop
	ip[8], ip[23], ip[24], ip[39] = 0x20, 1, 0x20, 2
	copy(ip[40:], []byte{header.ProtocolIPv6Fragment, 0, 1, 4, 0, 0, 0, 0})
	fh := ip[48:]
	fh[0] = header.ProtocolUDP
	fo := uint16(start)
	if more {
		fo |= 1
	}
	binary.BigEndian.PutUint16(fh[2:], fo)
	binary.BigEndian.PutUint32(fh[4:], id)
	f = append(f, data[start:end]...)
	binary.BigEndian.PutUint16(f[14+4:], uint16(len(f)-14-40))
	return f
}

func TestDefragTrack(t *testing.T) {
	a, b := [4]byte{10, 0, 0, 1}, [4]byte{10, 0, 0, 2}
	d4 := udpData(3000, 1000, 2000)
	d6 := udpData(3000, 1000, 2000)
	type step struct {
		frame []byte
		ok    bool  // something goes on
		state uint8 // the ct_state it goes on with
		frags int   // fragments to send on (0: the packet itself)
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"v4 out of order, then a reply", []step{
			{fragFrame(a, b, 9, d4, 1480, 2960, true), false, 0, 0},
			{fragFrame(a, b, 9, d4, 2960, 3000, false), false, 0, 0},
			{fragFrame(a, b, 9, d4, 0, 1480, true), true, packet.CTNew | packet.CTTrk, 3},
			{fragFrame(b, a, 1, udpData(100, 2000, 1000), 0, 100, false), true, packet.CTEst | packet.CTRpl | packet.CTTrk, 0},
		}},
		{"v6 with an extension header", []step{
			{fragFrame6(9, d6, 0, 1448, true), false, 0, 0},
			{fragFrame6(9, d6, 1448, 3000, false), true, packet.CTNew | packet.CTTrk, 2},
		}},
		{"too small is invalid", []step{
			{fragFrame(a, b, 9, d4, 0, 800, true), true, packet.CTInv | packet.CTTrk, 0},
		}},
		{"not a fragment", []step{
			{fragFrame(a, b, 9, d4, 0, 3000, false), true, packet.CTNew | packet.CTTrk, 0},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def, ct := NewDefrag(), NewConntrack()
			var s DefragStep
			var held [][]byte
			for i, st := range tt.steps {
				var p packet.Packet
				p.Reset(st.frame, 0, len(st.frame))
				req := packet.CTRequest{Zone: 5, Commit: true}
				got, ok := def.TrackFragments(ct, &p, &req, int64(i), &s)
				if ok != st.ok || got.State != st.state {
					t.Fatalf("step %d: state %s, ok %v (%v %v); want %s, %v", i, ctStateString(uint64(got.State)), ok,
						s.Verdict, s.Reason, ctStateString(uint64(st.state)), st.ok)
				}
				if ok && got.Zone != 5 {
					t.Errorf("step %d: zone %d, want 5", i, got.Zone)
				}
				if !ok {
					held = append(held, st.frame)
				}
				frags := s.Fragments()
				if len(frags) != st.frags {
					t.Fatalf("step %d: %d fragments to send, want %d", i, len(frags), st.frags)
				}
				if st.frags > 0 {
					for j := 1; j < len(frags); j++ {
						if fragOffset(frags[j-1]) >= fragOffset(frags[j]) {
							t.Errorf("step %d: fragments to send not in offset order", i)
						}
					}
					all := append(held, st.frame)
					for _, f := range frags {
						if !containsFrame(all, f) {
							t.Errorf("step %d: fragment to send is not one of the originals", i)
						}
					}
					held = nil
				}
				def.Done(&s, true)
			}
			status := def.Reassembler().Status()
			if status.Frags != 0 {
				t.Errorf("%d fragments still held", status.Frags)
			}
		})
	}
}

// fragOffset reads the fragment offset of a frame fragFrame or
// fragFrame6 built.
func fragOffset(f []byte) int {
	if binary.BigEndian.Uint16(f[12:]) == header.EtherTypeIPv6 {
		return int(binary.BigEndian.Uint16(f[14+48+2:]) & 0xfff8)
	}
	return int(binary.BigEndian.Uint16(f[14+6:])&0x1fff) * 8
}

func containsFrame(fs [][]byte, f []byte) bool {
	for _, g := range fs {
		if bytes.Equal(g, f) {
			return true
		}
	}
	return false
}

// TestDefragWithoutReassembly shows why Defrag is there: the tracker alone
// calls a fragment invalid.
func TestDefragWithoutReassembly(t *testing.T) {
	f := fragFrame([4]byte{10, 0, 0, 1}, [4]byte{10, 0, 0, 2}, 9, udpData(3000, 1, 2), 0, 1480, true)
	var p packet.Packet
	p.Reset(f, 0, len(f))
	if got := NewConntrack().Execute(&p, &packet.CTRequest{}, 0); got.State&packet.CTInv == 0 {
		t.Errorf("tracker state %s for a fragment, want +inv", ctStateString(uint64(got.State)))
	}
}

// TestDefragDoneUnsent checks that fragments dropped after the lookup
// count as purged.
func TestDefragDoneUnsent(t *testing.T) {
	a, b := [4]byte{10, 0, 0, 1}, [4]byte{10, 0, 0, 2}
	d := udpData(3000, 1, 2)
	def := NewDefrag()
	var s DefragStep
	for _, f := range [][]byte{fragFrame(a, b, 3, d, 0, 1480, true), fragFrame(a, b, 3, d, 1480, 3000, false)} {
		var p packet.Packet
		p.Reset(f, 0, len(f))
		def.Before(&p, 0, 0, &s)
	}
	if s.Verdict != ipf.Complete || s.Whole.Len() != 14+20+3000 {
		t.Fatalf("verdict %v, whole %d bytes", s.Verdict, s.Whole.Len())
	}
	def.Done(&s, false)
	def.Done(&s, false) // again: nothing
	if st := def.Reassembler().Status(); st.V4.Purged != 2 || st.V4.Completed != 0 || st.Frags != 0 {
		t.Errorf("status %+v", st.V4)
	}
}

// TestDefragAllocs checks that a datagram's passage through Before and
// Done allocates nothing once the reassembler's buffers are warm.
func TestDefragAllocs(t *testing.T) {
	a, b := [4]byte{10, 0, 0, 1}, [4]byte{10, 0, 0, 2}
	d := udpData(3000, 1, 2)
	frames := [][]byte{fragFrame(a, b, 3, d, 0, 1480, true), fragFrame(a, b, 3, d, 1480, 2960, true), fragFrame(a, b, 3, d, 2960, 3000, false)}
	def := NewDefrag()
	var s DefragStep
	var p packet.Packet
	run := func() {
		for _, f := range frames {
			p.Reset(f, 0, len(f))
			def.Before(&p, 0, 0, &s)
		}
		if s.Verdict != ipf.Complete {
			t.Fatalf("verdict %v", s.Verdict)
		}
		def.Done(&s, true)
	}
	run()
	if n := testing.AllocsPerRun(100, run); n != 0 {
		t.Errorf("%v allocations per datagram, want 0", n)
	}
}
