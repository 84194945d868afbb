package tunnel

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"testing"

	"github.com/gvs-project/gvs/datapath/header"
)

// Frames captured from Open vSwitch 3.1 native tunnelling (dummy
// datapath, br0 with netdev-dummy/ip4addr 1.1.2.88/24 and ip6addr
// 2001:cafe::88, ovs/route/add, tnl/neigh/set, hwaddr aa:55:aa:55:00:01)
// with options:tx_pcap on br0's port, after netdev-dummy/receive of
// goldenInner on a port whose flow outputs to each tunnel port.
const goldenInner = "505400000007505400000005080045000030000100004011f96ac0a80001c0a80002303930390018000068656c6c6f2067767320747573696e6e656c21"

var (
	macBr0 = header.MAC{0xaa, 0x55, 0xaa, 0x55, 0x00, 0x01}
	mac92  = header.MAC{0xaa, 0x55, 0xaa, 0x55, 0x00, 0x99}
	mac93  = header.MAC{0xaa, 0x55, 0xaa, 0x55, 0x00, 0x98}
	mac6   = header.MAC{0xaa, 0x55, 0xaa, 0x55, 0x00, 0x97}
	src4   = netip.MustParseAddr("1.1.2.88")
	src6   = netip.MustParseAddr("2001:cafe::88")
)

var goldens = []struct {
	name string
	cfg  Config
	ovs  string // outer headers as OVS wrote them; goldenInner follows
	// sport is the offset of the outer UDP source port, -1 for GRE.
	sport int
}{
	{"vxlan key=123", Config{Type: TypeVXLAN, Src: src4, Dst: netip.MustParseAddr("1.1.2.92"), Key: 123, Flags: FlagDF, SrcMAC: macBr0, DstMAC: mac92},
		"aa55aa550099aa55aa55000108004500006100004000401133d7010102580101025ccda312b5004d00000800000000007b00", 34},
	{"gre key=456", Config{Type: TypeGRE, Src: src4, Dst: netip.MustParseAddr("1.1.2.92"), Key: 456, Flags: FlagDF | FlagKey, SrcMAC: macBr0, DstMAC: mac92},
		"aa55aa550099aa55aa55000108004500005900004000402f33c1010102580101025c20006558000001c8", -1},
	{"gre no key", Config{Type: TypeGRE, Src: src4, Dst: netip.MustParseAddr("1.1.2.93"), Flags: FlagDF, SrcMAC: macBr0, DstMAC: mac93},
		"aa55aa550098aa55aa55000108004500005500004000402f33c4010102580101025d00006558", -1},
	{"geneve key=789", Config{Type: TypeGeneve, Src: src4, Dst: netip.MustParseAddr("1.1.2.92"), Key: 789, Flags: FlagDF, SrcMAC: macBr0, DstMAC: mac92},
		"aa55aa550099aa55aa55000108004500006100004000401133d7010102580101025ccda317c1004d00000000655800031500", 34},
	{"vxlan ipv6 key=5", Config{Type: TypeVXLAN, Src: src6, Dst: netip.MustParseAddr("2001:cafe::92"), Key: 5, Flags: FlagDF, SrcMAC: macBr0, DstMAC: mac6},
		"aa55aa550097aa55aa55000186dd60000000004d11402001cafe0000000000000000000000882001cafe000000000000000000000092cda312b5004d365e0800000000000500", 54},
	{"vxlan csum tos ttl dst_port df_default=false", Config{Type: TypeVXLAN, Src: src4, Dst: netip.MustParseAddr("1.1.2.93"), Key: 7, TOS: 0x10, TTL: 7, Flags: FlagCsum, DstPort: 4790, SrcMAC: macBr0, DstMAC: mac93},
		"aa55aa550098aa55aa550001080045100061000000000711acc6010102580101025dcda312b6004d04c00800000000000700", 34},
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEncapGolden checks Encap's output byte for byte against OVS's, with
// OVS's hash-derived UDP source port replaced by ours (and its UDP checksum
// adjusted for that) after checking ours lies in OVS's range.
func TestEncapGolden(t *testing.T) {
	inner := mustHex(t, goldenInner)
	for _, g := range goldens {
		t.Run(g.name, func(t *testing.T) {
			want := append(mustHex(t, g.ovs), inner...)
			buf := make([]byte, 128+len(inner))
			copy(buf[128:], inner)
			start, err := Encap(buf, 128, &g.cfg)
			if err != nil {
				t.Fatal(err)
			}
			got := buf[start:]
			if g.sport >= 0 {
				sp := binary.BigEndian.Uint16(got[g.sport:])
				if sp < SrcPortMin || sp >= SrcPortMax {
					t.Fatalf("source port %d outside [%d, %d)", sp, SrcPortMin, SrcPortMax)
				}
				old := binary.BigEndian.Uint16(want[g.sport:])
				binary.BigEndian.PutUint16(want[g.sport:], sp)
				if cs := binary.BigEndian.Uint16(want[g.sport+6:]); cs != 0 {
					binary.BigEndian.PutUint16(want[g.sport+6:], header.UpdateChecksum16(cs, old, sp))
				}
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("Encap:\n got %x\nwant %x", got, want)
			}
		})
	}
}

// TestDecapGolden decapsulates OVS's frames to the inner frame and metadata.
func TestDecapGolden(t *testing.T) {
	inner := mustHex(t, goldenInner)
	ports := []UDPPort{{TypeVXLAN, 4789}, {TypeGeneve, 6081}, {TypeVXLAN, 4790}}
	for _, g := range goldens {
		t.Run(g.name, func(t *testing.T) {
			frame := append(mustHex(t, g.ovs), inner...)
			var md Metadata
			in, end, err := Decap(frame, ports, &md)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(frame[in:end], inner) {
				t.Fatalf("inner %x, want %x", frame[in:end], inner)
			}
			c := g.cfg
			wantFlags := c.Flags&(FlagDF) | FlagKey
			if c.Type == TypeGRE && c.Flags&FlagKey == 0 {
				wantFlags &^= FlagKey
			}
			if c.Dst.Is6() {
				wantFlags = wantFlags&^FlagDF | FlagCsum
			} else if c.Flags&FlagCsum != 0 {
				wantFlags |= FlagCsum
			}
			ttl := c.TTL
			if ttl == 0 {
				ttl = DefaultTTL
			}
			if md.Type != c.Type || md.Src != c.Src || md.Dst != c.Dst || md.ID != c.Key ||
				md.TOS != c.TOS || md.TTL != ttl || md.Flags != wantFlags {
				t.Fatalf("metadata %+v flags %v, want type %v %v->%v id %d tos %d ttl %d flags %v",
					md, md.Flags, c.Type, c.Src, c.Dst, c.Key, c.TOS, ttl, wantFlags)
			}
		})
	}
}
