package tunnel

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"

	"github.com/gvs-project/gvs/datapath/header"
)

// encapFor returns inner encapsulated by c, with headroom exactly the header.
func encapFor(t testing.TB, c *Config, inner []byte) []byte {
	t.Helper()
	hl := c.HeaderLen()
	buf := make([]byte, hl+len(inner))
	copy(buf[hl:], inner)
	start, err := Encap(buf, hl, c)
	if err != nil {
		t.Fatal(err)
	}
	return buf[start:]
}

func fixIPv4Checksum(f []byte) {
	ip := header.IPv4(f[14:])
	ip.SetChecksum(0)
	ip.SetChecksum(ip.CalculateChecksum())
}

func TestDecapRejects(t *testing.T) {
	inner := mustHex(t, goldenInner)
	vx := goldens[0].cfg
	gre := goldens[1].cfg
	gnv := goldens[3].cfg
	greC := gre
	greC.Flags |= FlagCsum
	vxC := vx
	vxC.Flags |= FlagCsum
	cases := []struct {
		name string
		cfg  *Config
		edit func(f []byte) []byte
		want error
	}{
		{"empty", &vx, func(f []byte) []byte { return nil }, ErrShort},
		{"arp", &vx, func(f []byte) []byte { binary.BigEndian.PutUint16(f[12:], header.EtherTypeARP); return f }, ErrNotTunnel},
		{"truncated ip", &vx, func(f []byte) []byte { return f[:30] }, ErrShort},
		{"truncated payload", &vx, func(f []byte) []byte { return f[:60] }, ErrShort},
		{"ip version", &vx, func(f []byte) []byte { f[14] = 0x55; return f }, ErrBadIP},
		{"ip checksum", &vx, func(f []byte) []byte { f[24]++; return f }, ErrBadChecksum},
		{"fragment", &vx, func(f []byte) []byte { f[20] |= 0x20; fixIPv4Checksum(f); return f }, ErrFragment},
		{"tcp", &vx, func(f []byte) []byte { f[23] = header.ProtocolTCP; fixIPv4Checksum(f); return f }, ErrNotTunnel},
		{"other udp port", &vx, func(f []byte) []byte { f[36], f[37] = 0, 53; return f }, ErrNotTunnelPort},
		{"udp length", &vx, func(f []byte) []byte { f[38], f[39] = 0xff, 0xff; return f }, ErrShort},
		{"udp checksum", &vxC, func(f []byte) []byte { f[len(f)-1]++; return f }, ErrBadChecksum},
		{"vxlan flags", &vx, func(f []byte) []byte { f[42] = 0x0c; return f }, ErrBadFlags},
		{"vxlan reserved", &vx, func(f []byte) []byte { f[49] = 1; return f }, ErrBadFlags},
		{"vxlan short inner", &vx, func(f []byte) []byte {
			f = f[:50+10]
			binary.BigEndian.PutUint16(f[16:], uint16(len(f)-14))
			binary.BigEndian.PutUint16(f[38:], uint16(len(f)-34))
			fixIPv4Checksum(f)
			return f
		}, ErrShort},
		{"geneve version", &gnv, func(f []byte) []byte { f[42] |= 0x40; return f }, ErrBadVersion},
		{"geneve options beyond", &gnv, func(f []byte) []byte { f[42] |= 0x3f; return f }, ErrShort},
		{"geneve protocol", &gnv, func(f []byte) []byte { f[44], f[45] = 0x08, 0x00; return f }, ErrBadProtocol},
		{"gre routing", &gre, func(f []byte) []byte { f[34] |= 0x40; return f }, ErrBadFlags},
		{"gre version", &gre, func(f []byte) []byte { f[35] |= 1; return f }, ErrBadVersion},
		{"gre protocol", &gre, func(f []byte) []byte { f[36], f[37] = 0x08, 0x00; return f }, ErrBadProtocol},
		{"gre checksum", &greC, func(f []byte) []byte { f[len(f)-1]++; return f }, ErrBadChecksum},
		{"gre truncated key", &gre, func(f []byte) []byte {
			f = f[:40]
			binary.BigEndian.PutUint16(f[16:], uint16(len(f)-14))
			fixIPv4Checksum(f)
			return f
		}, ErrShort},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := c.edit(encapFor(t, c.cfg, inner))
			var md Metadata
			_, _, err := Decap(f, DefaultPorts, &md)
			if !errors.Is(err, c.want) {
				t.Fatalf("Decap = %v, want %v", err, c.want)
			}
			if md.Type != TypeNone {
				t.Fatalf("metadata left set on error: %+v", md)
			}
		})
	}
}

// TestRoundTrip encapsulates and decapsulates every type and option combination.
func TestRoundTrip(t *testing.T) {
	inner := mustHex(t, goldenInner)
	d4, d6 := netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("fd00::2")
	for _, typ := range []Type{TypeVXLAN, TypeGRE, TypeGeneve} {
		for _, dst := range []netip.Addr{d4, d6} {
			for _, fl := range []Flags{0, FlagDF, FlagCsum | FlagKey, FlagDF | FlagCsum | FlagKey | FlagOAM} {
				src := netip.MustParseAddr("10.0.0.1")
				if dst.Is6() {
					src = netip.MustParseAddr("fd00::1")
				}
				c := Config{Type: typ, Src: src, Dst: dst, Key: 0xabcdef, TOS: 0x28, TTL: 9, Flags: fl}
				if typ == TypeGeneve {
					c.Options = []byte{0, 1, 2, 1, 9, 9, 9, 9}
				}
				f := encapFor(t, &c, inner)
				var md Metadata
				in, end, err := Decap(f, DefaultPorts, &md)
				if err != nil {
					t.Fatalf("%v %v %v: %v", typ, dst, fl, err)
				}
				if string(f[in:end]) != string(inner) || md.Type != typ || md.Dst != dst || md.Src != src ||
					md.TOS != 0x28 || md.TTL != 9 {
					t.Fatalf("%v %v %v: got %+v", typ, dst, fl, md)
				}
				wantKey := typ != TypeGRE || fl&FlagKey != 0
				if (md.Flags&FlagKey != 0) != wantKey || (wantKey && md.ID != 0xabcdef) {
					t.Fatalf("%v %v %v: key %v id %#x", typ, dst, fl, md.Flags, md.ID)
				}
				if wantDF := dst.Is4() && fl&FlagDF != 0; (md.Flags&FlagDF != 0) != wantDF {
					t.Fatalf("%v %v %v: df in %v", typ, dst, fl, md.Flags)
				}
				if typ == TypeGeneve && string(md.Options) != string(c.Options) {
					t.Fatalf("options %x", md.Options)
				}
				if typ == TypeGeneve && (md.Flags&FlagOAM != 0) != (fl&FlagOAM != 0) {
					t.Fatalf("oam in %v", md.Flags)
				}
			}
		}
	}
}

func TestEncapErrors(t *testing.T) {
	inner := mustHex(t, goldenInner)
	ok := goldens[0].cfg
	cases := []struct {
		name     string
		edit     func(c *Config)
		headroom int
		want     error
	}{
		{"no type", func(c *Config) { c.Type = TypeNone }, 64, ErrConfig},
		{"mixed families", func(c *Config) { c.Dst = netip.MustParseAddr("fd00::1") }, 128, ErrConfig},
		{"no source", func(c *Config) { c.Src = netip.Addr{} }, 64, ErrConfig},
		{"geneve odd options", func(c *Config) { c.Type = TypeGeneve; c.Options = []byte{1, 2} }, 64, ErrConfig},
		{"headroom", func(c *Config) {}, 49, ErrHeadroom},
		{"over mtu", func(c *Config) { c.MTU = 20 + 8 + 8 + 60 }, 64, ErrTooBig},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			buf := make([]byte, tc.headroom+len(inner))
			copy(buf[tc.headroom:], inner)
			if _, err := Encap(buf, tc.headroom, &c); !errors.Is(err, tc.want) {
				t.Fatalf("Encap = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestEncapAtMTU(t *testing.T) {
	inner := mustHex(t, goldenInner)
	c := goldens[0].cfg
	c.MTU = 20 + 8 + 8 + len(inner)
	buf := make([]byte, 64+len(inner))
	copy(buf[64:], inner)
	if _, err := Encap(buf, 64, &c); err != nil {
		t.Fatalf("frame exactly at the MTU: %v", err)
	}
}

func TestSourcePortRange(t *testing.T) {
	inner := mustHex(t, goldenInner)
	seen := map[uint16]bool{}
	for i := 0; i < 2000; i++ {
		binary.BigEndian.PutUint16(inner[34:], uint16(i))
		p := SourcePort(inner)
		if p < SrcPortMin || p >= SrcPortMax {
			t.Fatalf("port %d out of range", p)
		}
		seen[p] = true
		if SourcePort(inner) != p {
			t.Fatal("not deterministic")
		}
	}
	if len(seen) < 1500 {
		t.Fatalf("only %d distinct ports from 2000 flows", len(seen))
	}
	for _, f := range [][]byte{nil, {1, 2, 3}, inner[:20], inner[:36]} {
		if p := SourcePort(f); p < SrcPortMin || p >= SrcPortMax {
			t.Fatalf("port %d out of range", p)
		}
	}
}

func TestFlagsString(t *testing.T) {
	for _, c := range []struct {
		f    Flags
		want string
	}{{0, ""}, {FlagKey, "key"}, {FlagDF | FlagCsum | FlagKey, "df|csum|key"}, {FlagOAM | FlagKey, "oam|key"}} {
		if got := c.f.String(); got != c.want {
			t.Errorf("%#x: %q, want %q", uint16(c.f), got, c.want)
		}
	}
}
