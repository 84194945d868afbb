package tunnel

import (
	"encoding/hex"
	"testing"

	"github.com/gvs-project/gvs/datapath/header"
)

func TestGREHeader(t *testing.T) {
	cases := []struct {
		flags    uint16
		key, seq uint32
		hex      string
	}{
		{0, 7, 9, "00006558"},
		{GREFlagK, 0x1c8, 9, "20006558000001c8"},
		{GREFlagS, 7, 9, "1000655800000009"},
		{GREFlagC | GREFlagK | GREFlagS, 0xabcd, 0x1234, "b0006558" + "00000000" + "0000abcd" + "00001234"},
	}
	for _, c := range cases {
		b := make(GRE, GRELength(c.flags))
		b.Set(c.flags, EtherTypeTEB, c.key, c.seq)
		if got := hex.EncodeToString(b); got != c.hex {
			t.Errorf("flags %#x: %s, want %s", c.flags, got, c.hex)
		}
		wantKey, wantSeq := uint32(0), uint32(0)
		if c.flags&GREFlagK != 0 {
			wantKey = c.key
		}
		if c.flags&GREFlagS != 0 {
			wantSeq = c.seq
		}
		if b.Length() != len(b) || b.Key() != wantKey || b.Sequence() != wantSeq || b.Protocol() != EtherTypeTEB {
			t.Errorf("flags %#x: length %d key %#x seq %#x", c.flags, b.Length(), b.Key(), b.Sequence())
		}
	}
}

// TestDecapGRESequence: a GRE frame with checksum, key and sequence (as
// Linux can send) decapsulates with the key and the checksum checked.
func TestDecapGRESequence(t *testing.T) {
	inner := mustHex(t, goldenInner)
	c := goldens[1].cfg
	c.Flags |= FlagCsum
	f := encapFor(t, &c, inner)
	// Rebuild the GRE header with a sequence word inserted after the key.
	g := append([]byte{}, f[34:34+12]...)
	out := append(append(append([]byte{}, f[:34]...), g...), 0, 0, 0, 5)
	out = append(out, inner...)
	out[34] |= 0x10
	ip := header.IPv4(out[14:])
	ip.SetTotalLength(uint16(len(out) - 14))
	ip.SetChecksum(0)
	ip.SetChecksum(ip.CalculateChecksum())
	gre := GRE(out[34:])
	gre.SetChecksum(0)
	gre.SetChecksum(header.Checksum(out[34:], 0))
	var md Metadata
	in, end, err := Decap(out, nil, &md)
	if err != nil {
		t.Fatal(err)
	}
	if string(out[in:end]) != string(inner) || md.ID != 456 || md.Flags != FlagDF|FlagCsum|FlagKey || gre.Sequence() != 5 {
		t.Fatalf("md %+v flags %v seq %d", md, md.Flags, gre.Sequence())
	}
}

func TestVXLANGeneveHeaders(t *testing.T) {
	v := make(VXLAN, VXLANSize)
	v.Set(0x123456)
	if hex.EncodeToString(v) != "0800000012345600" || v.VNI() != 0x123456 || v.Reserved() {
		t.Fatalf("vxlan %x", []byte(v))
	}
	g := make(Geneve, GeneveBaseSize+8)
	opts := []byte{0x01, 0x02, 0x80, 0x01, 0xde, 0xad, 0xbe, 0xef}
	g.Set(GeneveFlagOAM, EtherTypeTEB, 0x315, opts)
	if hex.EncodeToString(g) != "0280655800031500"+"01028001deadbeef" || g.VNI() != 0x315 ||
		g.Length() != 16 || string(g.Options()) != string(opts) || g.Version() != 0 {
		t.Fatalf("geneve %x", []byte(g))
	}
}
