package header

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// sample IPv4 header from RFC 1071 style examples: 192.168.0.1 -> 192.168.0.199, UDP.
func sampleIPv4() IPv4 {
	h := IPv4{
		0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00,
		0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
	}
	h.SetChecksum(h.CalculateChecksum())
	return h
}

func TestChecksumKnown(t *testing.T) {
	h := sampleIPv4()
	if got := h.Checksum(); got != 0xb861 {
		t.Fatalf("checksum = %#04x, want 0xb861", got)
	}
	if !h.IsChecksumValid() {
		t.Fatal("IsChecksumValid = false for a correct header")
	}
	if Checksum(h, 0) != 0 {
		t.Fatal("Checksum over a correct header must be 0")
	}
	// Odd length: the last byte is padded with zero.
	if got, want := Checksum([]byte{0x01, 0x02, 0x03}, 0), ^uint16(0x0102+0x0300); got != want {
		t.Fatalf("odd checksum = %#04x, want %#04x", got, want)
	}
}

func TestUpdateChecksumTable(t *testing.T) {
	cases := []struct {
		name     string
		sum      uint16
		old, new uint16
		want     uint16
	}{
		// RFC 1624 section 4 example: HC=0xdd2f, m=0x5555 -> m'=0x3285, HC'=0x0000.
		{"rfc1624 example", 0xdd2f, 0x5555, 0x3285, 0x0000},
		{"no change", 0x1234, 0xabcd, 0xabcd, 0x1234},
		{"zero to ffff", 0x0000, 0x0000, 0xffff, 0x0000},
	}
	for _, c := range cases {
		if got := UpdateChecksum16(c.sum, c.old, c.new); got != c.want {
			t.Errorf("%s: UpdateChecksum16(%#x, %#x, %#x) = %#x, want %#x", c.name, c.sum, c.old, c.new, got, c.want)
		}
	}
}

// checkEdit16 recomputes the checksum of data (field at ck, 2 bytes) after
// setting the 16-bit word at off to v, and compares with the incremental
// update. All-zero data is skipped: its checksum has two representations
// (0x0000 and 0xffff) and the incremental form may give either.
func checkEdit16(t *testing.T, data []byte, ck, off int, v uint16) {
	t.Helper()
	binary.BigEndian.PutUint16(data[ck:], 0)
	binary.BigEndian.PutUint16(data[ck:], Checksum(data, 0))
	sum := binary.BigEndian.Uint16(data[ck:])
	old := binary.BigEndian.Uint16(data[off:])
	binary.BigEndian.PutUint16(data[off:], v)
	inc := UpdateChecksum16(sum, old, v)
	binary.BigEndian.PutUint16(data[ck:], 0)
	if allZero(data) {
		return
	}
	full := Checksum(data, 0)
	if inc != full {
		t.Fatalf("data %x: word %d %#04x -> %#04x: incremental %#04x, full %#04x", data, off, old, v, inc, full)
	}
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func TestUpdateChecksum16Random(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 100000; i++ {
		n := 4 + 2*r.IntN(30)
		data := make([]byte, n)
		for j := range data {
			data[j] = byte(r.Uint32())
		}
		if i%7 == 0 { // sparse data reaches the 0x0000/0xffff corners
			for j := range data {
				if r.IntN(4) != 0 {
					data[j] = 0
				}
			}
		}
		ck := 2 * r.IntN(n/2)
		off := 2 * r.IntN(n/2)
		if off == ck {
			off = (off + 2) % n
		}
		v := uint16(r.Uint32())
		switch r.IntN(4) {
		case 0:
			v = 0
		case 1:
			v = 0xffff
		}
		checkEdit16(t, data, ck, off, v)
	}
}

func TestUpdateChecksum32Random(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 100000; i++ {
		h := sampleIPv4()
		for j := 12; j < 20; j++ {
			h[j] = byte(r.Uint32())
		}
		h.SetChecksum(h.CalculateChecksum())
		a := IPv4Addr{byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())}
		if i%5 == 0 {
			a = IPv4Addr{}
		}
		old := h.Src().Uint32()
		sum := UpdateChecksum32(h.Checksum(), old, a.Uint32())
		h.SetSrc(a)
		if want := h.CalculateChecksum(); sum != want {
			t.Fatalf("src %08x -> %v: incremental %#04x, full %#04x", old, a, sum, want)
		}
	}
}

func TestIPv4SettersWithChecksum(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 20000; i++ {
		h := sampleIPv4()
		h[4], h[5] = byte(r.Uint32()), byte(r.Uint32())
		h.SetChecksum(h.CalculateChecksum())
		switch r.IntN(4) {
		case 0:
			h.SetSrcWithChecksum(IPv4Addr{byte(r.Uint32()), byte(r.Uint32()), 0, byte(r.Uint32())})
		case 1:
			h.SetDstWithChecksum(IPv4Addr{10, byte(r.Uint32()), byte(r.Uint32()), 1})
		case 2:
			h.SetTTLWithChecksum(uint8(r.Uint32()))
		case 3:
			h.SetTOSWithChecksum(uint8(r.Uint32()))
		}
		if !h.IsChecksumValid() {
			t.Fatalf("header %x: checksum %#04x invalid, want %#04x", []byte(h), h.Checksum(), h.CalculateChecksum())
		}
	}
}

// TestTCPPseudoHeaderUpdate follows what the datapath does for NAT: IPv4
// addresses change, the TCP checksum (pseudo-header) is fixed with
// UpdateChecksum32 and ports with UpdateChecksum16.
func TestTCPPseudoHeaderUpdate(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	seg := make([]byte, 40)
	for i := 0; i < 10000; i++ {
		for j := range seg {
			seg[j] = byte(r.Uint32())
		}
		seg[12] = 5 << 4
		tcp := TCP(seg)
		src, dst := IPv4Addr{10, 0, 0, byte(i)}, IPv4Addr{192, 168, byte(i >> 8), 7}
		full := func() uint16 {
			c := tcp.Checksum()
			tcp.SetChecksum(0)
			s := Checksum(seg, PseudoHeaderSum(ProtocolTCP, src[:], dst[:], uint32(len(seg))))
			tcp.SetChecksum(c)
			return s
		}
		tcp.SetChecksum(full())
		nsrc := IPv4Addr{byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())}
		tcp.SetChecksum(UpdateChecksum32(tcp.Checksum(), src.Uint32(), nsrc.Uint32()))
		src = nsrc
		tcp.SetSrcPortWithChecksum(uint16(r.Uint32()))
		tcp.SetDstPortWithChecksum(uint16(r.Uint32()))
		if got, want := tcp.Checksum(), full(); got != want {
			t.Fatalf("incremental %#04x, full %#04x", got, want)
		}
	}
}

func TestAccessors(t *testing.T) {
	f := make([]byte, 14+20+8)
	eth := Ethernet(f)
	eth.SetDst(MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	eth.SetSrc(MAC{0x50, 0x54, 0, 0, 0, 5})
	eth.SetType(EtherTypeIPv4)
	if eth.Type() != EtherTypeIPv4 || !eth.Dst().IsMulticast() || eth.Src().String() != "50:54:00:00:00:05" {
		t.Fatalf("ethernet accessors: %x", f[:14])
	}
	copy(eth.Payload(), sampleIPv4())
	ip := IPv4(eth.Payload())
	if !ip.Valid() || ip.Version() != 4 || ip.HeaderLength() != 20 || ip.TotalLength() != 0x73 || ip.TTL() != 64 ||
		ip.Protocol() != ProtocolUDP || ip.Flags() != 2 || ip.FragmentOffset() != 0 || ip.Src().String() != "192.168.0.1" {
		t.Fatalf("ipv4 accessors: %x", []byte(ip))
	}
	udp := UDP(ip.Payload())
	udp.SetSrcPort(53)
	udp.SetDstPort(1234)
	udp.SetLength(8)
	if udp.SrcPort() != 53 || udp.DstPort() != 1234 || udp.Length() != 8 || len(udp.Payload()) != 0 {
		t.Fatalf("udp accessors: %x", []byte(udp))
	}
	if IPv4(f[:19]).Valid() || IPv4(make([]byte, 20)).Valid() {
		t.Fatal("Valid accepted a short or version-0 header")
	}

	v6 := IPv6(make([]byte, 40))
	v6[0] = 6 << 4
	v6.SetTrafficClass(0xb8)
	v6.SetFlowLabel(0x12345)
	v6.SetHopLimit(64)
	v6.SetNextHeader(ProtocolICMPv6)
	v6.SetPayloadLength(8)
	v6.SetSrc(IPv6Addr{0xfe, 0x80, 15: 1})
	if !v6.Valid() || v6.Version() != 6 || v6.TrafficClass() != 0xb8 || v6.FlowLabel() != 0x12345 || v6.HopLimit() != 64 ||
		v6.NextHeader() != ProtocolICMPv6 || v6.PayloadLength() != 8 || v6.Src().String() != "fe80::1" {
		t.Fatalf("ipv6 accessors: %x", []byte(v6))
	}

	ic := ICMPv4(make([]byte, 8))
	ic.SetType(ICMPv4EchoRequest)
	ic[5] = 7 // ident 7: all-zero data has two checksum representations
	ic.SetChecksum(Checksum(ic, 0))
	ic.SetTypeCodeWithChecksum(ICMPv4EchoReply, 0)
	if ic.Type() != ICMPv4EchoReply || ic.Ident() != 7 || Checksum(ic, 0) != 0 {
		t.Fatalf("icmp: %x", []byte(ic))
	}
}
