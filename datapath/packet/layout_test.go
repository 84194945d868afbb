package packet

import (
	"encoding/binary"
	"testing"

	"github.com/gvs-project/gvs/datapath/header"
)

// frame builds an Ethernet frame: MACs, then the given tags (TPID, TCI
// pairs), ethertype and payload.
func frame(typ uint16, payload []byte, tags ...uint16) []byte {
	f := make([]byte, 12, 64+len(payload))
	for _, t := range tags {
		f = binary.BigEndian.AppendUint16(f, t)
	}
	f = binary.BigEndian.AppendUint16(f, typ)
	return append(f, payload...)
}

// ipv4 returns an IPv4 header (IHL 5) with total length tot, protocol
// proto and fragment field frag, followed by l4.
func ipv4(proto uint8, frag uint16, l4 []byte) []byte {
	b := make([]byte, 20, 20+len(l4))
	b[0], b[9] = 0x45, proto
	binary.BigEndian.PutUint16(b[2:], uint16(20+len(l4)))
	binary.BigEndian.PutUint16(b[6:], frag)
	return append(b, l4...)
}

// ipv6 returns an IPv6 header with next header next followed by rest.
func ipv6(next uint8, rest []byte) []byte {
	b := make([]byte, 40, 40+len(rest))
	b[0], b[6] = 0x60, next
	binary.BigEndian.PutUint16(b[4:], uint16(len(rest)))
	return append(b, rest...)
}

func tcp(doff uint8, n int) []byte {
	b := make([]byte, n)
	b[12] = doff << 4
	return b
}

func TestLayoutParse(t *testing.T) {
	udp := make([]byte, 8)
	ext := func(next uint8, rest []byte) []byte { return append([]byte{next, 0, 0, 0, 0, 0, 0, 0}, rest...) }
	frag6 := func(next uint8, off uint16, rest []byte) []byte {
		h := []byte{next, 0, 0, 0, 0, 0, 0, 1}
		binary.BigEndian.PutUint16(h[2:], off)
		return append(h, rest...)
	}
	for _, c := range []struct {
		name  string
		f     []byte
		limit int
		want  Layout
	}{
		{"short", make([]byte, 13), 1, Layout{Flags: Parsed}},
		{"ipv4 tcp", frame(header.EtherTypeIPv4, ipv4(header.ProtocolTCP, 0, tcp(5, 20))), 1,
			Layout{L3: 14, L4: 34, End: 54, EthType: header.EtherTypeIPv4, Proto: header.ProtocolTCP, Flags: Parsed | HasProto}},
		{"tcp data offset past the segment", frame(header.EtherTypeIPv4, ipv4(header.ProtocolTCP, 0, tcp(6, 20))), 1,
			Layout{L3: 14, End: 54, EthType: header.EtherTypeIPv4, Proto: header.ProtocolTCP, Flags: Parsed | HasProto}},
		{"ipv4 total length past the frame", frame(header.EtherTypeIPv4, ipv4(header.ProtocolUDP, 0, udp)[:27]), 1,
			Layout{EthType: header.EtherTypeIPv4, Flags: Parsed | Malformed}},
		{"ipv4 first fragment keeps l4", frame(header.EtherTypeIPv4, ipv4(header.ProtocolUDP, 0x2000, udp)), 1,
			Layout{L3: 14, L4: 34, End: 42, EthType: header.EtherTypeIPv4, Proto: header.ProtocolUDP, Flags: Parsed | HasProto | FragAny}},
		{"ipv4 later fragment has no l4", frame(header.EtherTypeIPv4, ipv4(header.ProtocolUDP, 0x0001, udp)), 1,
			Layout{L3: 14, End: 42, EthType: header.EtherTypeIPv4, Proto: header.ProtocolUDP, Flags: Parsed | HasProto | FragAny | FragLater}},
		{"one tag", frame(header.EtherTypeIPv4, ipv4(header.ProtocolUDP, 0, udp), header.EtherTypeVLAN, 10), 1,
			Layout{L3: 18, L4: 38, End: 46, EthType: header.EtherTypeIPv4, Proto: header.ProtocolUDP, Tags: 1, Flags: Parsed | HasProto}},
		{"second tag beyond the limit is the ethertype", frame(header.EtherTypeIPv4, ipv4(header.ProtocolUDP, 0, udp), header.EtherTypeQinQ, 10, header.EtherTypeVLAN, 20), 1,
			Layout{EthType: header.EtherTypeVLAN, Tags: 1, Flags: Parsed}},
		{"two tags within the limit", frame(header.EtherTypeIPv4, ipv4(header.ProtocolUDP, 0, udp), header.EtherTypeQinQ, 10, header.EtherTypeVLAN, 20), 2,
			Layout{L3: 22, L4: 42, End: 50, EthType: header.EtherTypeIPv4, Proto: header.ProtocolUDP, Tags: 2, Flags: Parsed | HasProto}},
		{"truncated tag", frame(header.EtherTypeVLAN, nil)[:14], 1, Layout{EthType: header.EtherTypeVLAN, Flags: Parsed}},
		{"802.3 without snap", frame(0x40, make([]byte, 10)), 1, Layout{EthType: header.EtherTypeNone, Flags: Parsed}},
		{"llc snap arp", frame(0x40, append([]byte{0xaa, 0xaa, 3, 0, 0, 0, 8, 6}, make([]byte, 28)...)), 1,
			Layout{L3: 22, EthType: header.EtherTypeARP, Flags: Parsed}},
		{"ipv6 udp over extension headers", frame(header.EtherTypeIPv6, ipv6(0, ext(60, ext(header.ProtocolUDP, udp)))), 1,
			Layout{L3: 14, L4: 70, End: 78, EthType: header.EtherTypeIPv6, Proto: header.ProtocolUDP, Flags: Parsed | HasProto}},
		{"ipv6 extension header past the payload", frame(header.EtherTypeIPv6, ipv6(0, make([]byte, 4))), 1,
			Layout{L3: 14, End: 58, EthType: header.EtherTypeIPv6, Flags: Parsed}},
		{"ipv6 atomic fragment is no fragment", frame(header.EtherTypeIPv6, ipv6(header.ProtocolIPv6Fragment, frag6(header.ProtocolUDP, 0, udp))), 1,
			Layout{L3: 14, L4: 62, End: 70, EthType: header.EtherTypeIPv6, Proto: header.ProtocolUDP, Flags: Parsed | HasProto}},
		{"ipv6 later fragment", frame(header.EtherTypeIPv6, ipv6(header.ProtocolIPv6Fragment, frag6(header.ProtocolUDP, 8, udp))), 1,
			Layout{L3: 14, End: 70, EthType: header.EtherTypeIPv6, Proto: header.ProtocolIPv6Fragment, Flags: Parsed | HasProto | FragAny | FragLater}},
		{"ipv6 payload past the frame", frame(header.EtherTypeIPv6, ipv6(header.ProtocolUDP, udp)[:44]), 1,
			Layout{EthType: header.EtherTypeIPv6, Flags: Parsed | Malformed}},
	} {
		var l Layout
		l.Parse(c.f, c.limit)
		if l != c.want {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, l, c.want)
		}
	}
}

// TestLayoutQuoted: a quoted packet cut short keeps what is there.
func TestLayoutQuoted(t *testing.T) {
	in := ipv4(header.ProtocolTCP, 0, tcp(5, 20))[:28] // 8 bytes of TCP
	f := append(make([]byte, 42), in...)
	var l Layout
	l.ParseQuoted(f, 42, false)
	want := Layout{L3: 42, L4: 62, End: 70, EthType: header.EtherTypeIPv4, Proto: header.ProtocolTCP, Flags: Parsed | HasProto}
	if l != want {
		t.Fatalf("got %+v\nwant %+v", l, want)
	}
}

// TestLayoutFollowsVLAN: PushVLAN and PopVLAN move the parsed offsets with
// the frame, so a reader after them finds the same headers.
func TestLayoutFollowsVLAN(t *testing.T) {
	f := frame(header.EtherTypeIPv4, ipv4(header.ProtocolUDP, 0, make([]byte, 8)))
	p := pushPop(t, f)
	if p == nil {
		t.Fatal("push failed")
	}
	if p.PopVLAN() {
		t.Fatal("pop of an untagged frame succeeded")
	}
}

// pushPop pushes a tag onto a copy of the untagged frame f and pops it
// again, checking after each that the kept layout equals a fresh walk. It
// returns nil, having checked nothing, if f is tagged or too short.
func pushPop(t *testing.T, f []byte) *Packet {
	t.Helper()
	buf := make([]byte, 4+len(f))
	copy(buf[4:], f)
	p := new(Packet)
	p.Reset(buf, 4, len(f))
	before := *p.Parse(1)
	if before.Tags != 0 || !p.PushVLAN(header.EtherTypeVLAN, 5) {
		return nil
	}
	var fresh Layout
	fresh.Parse(p.Frame(), 1)
	if *p.Layout() != fresh {
		t.Fatalf("after push: kept %+v, parsed %+v", *p.Layout(), fresh)
	}
	if !p.PopVLAN() || *p.Layout() != before {
		t.Fatalf("after pop: %+v, want %+v", *p.Layout(), before)
	}
	return p
}
