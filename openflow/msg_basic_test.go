package openflow

import (
	"bytes"
	"reflect"
	"testing"
)

// TestHelloLikeOVS checks hellos against what ovs-ofctl 3.1 was seen to
// send with -O OpenFlow10, OpenFlow13, OpenFlow10,...,13 and OpenFlow10,13.
func TestHelloLikeOVS(t *testing.T) {
	for _, c := range []struct {
		name     string
		versions uint32
		hex      string
	}{
		{"OpenFlow10 only", 1 << OF10, "01000008 00000001"},
		{"OpenFlow13 only", 1 << OF13, "04000010 00000001 00010008 00000010"},
		{"1.0 to 1.3", 1<<OF10 | 1<<OF11 | 1<<OF12 | 1<<OF13, "04000008 00000001"},
		{"1.0 and 1.3", 1<<OF10 | 1<<OF13, "04000010 00000001 00010008 00000012"},
	} {
		want := hexMsg(t, c.hex)
		if got := AppendHello(nil, Hello{XID: 1, Versions: c.versions}); !bytes.Equal(got, want) {
			t.Errorf("%s: %x, want %x", c.name, got, want)
		}
		h, err := ParseHello(want)
		if err != nil || h.Versions != c.versions || h.XID != 1 {
			t.Errorf("%s: parsed %+v %v", c.name, h, err)
		}
	}
	if _, err := ParseHello(hexMsg(t, "04000010 00000001 00010000 00000010")); err == nil {
		t.Error("hello element of length 0 accepted")
	}
}

func TestBasicMessagesRoundTrip(t *testing.T) {
	echo := Echo{Version: OF13, XID: 7, Reply: true, Data: []byte("hi")}
	if got, err := ParseEcho(AppendEcho(nil, echo)); err != nil || !reflect.DeepEqual(got, echo) {
		t.Errorf("echo: %+v %v", got, err)
	}
	e := Error{Version: OF13, XID: 9, Type: ErrTypeBadMatch, Code: BadMatchPrereq, Data: []byte{1, 2, 3}}
	b := AppendError(nil, e)
	if !bytes.Equal(b, hexMsg(t, "0401000f 00000009 0004 0009 010203")) {
		t.Errorf("error: %x", b)
	}
	if got, err := ParseError(b); err != nil || !reflect.DeepEqual(got, e) {
		t.Errorf("error: %+v %v", got, err)
	}
	fr := FeaturesReply{Version: OF13, XID: 2, DatapathID: 0x1234, NBuffers: 0, NTables: 254, AuxiliaryID: 0,
		Capabilities: 0x4f, Ports: []byte{}}
	b = AppendFeaturesReply(nil, fr)
	if len(b) != 32 {
		t.Errorf("features reply of %d bytes", len(b))
	}
	if got, err := ParseFeaturesReply(b); err != nil || !reflect.DeepEqual(got, fr) {
		t.Errorf("features: %+v %v", got, err)
	}
	for _, c := range []SwitchConfig{{Version: OF10, XID: 3, Flags: 0, MissSendLen: 128}, {Version: OF13, XID: 4, Set: true, MissSendLen: 0xffff}} {
		b := AppendSwitchConfig(nil, c)
		if got, err := ParseSwitchConfig(b); err != nil || got != c {
			t.Errorf("config %+v: %+v %v", c, got, err)
		}
	}
	if req, rep := BarrierTypes(OF10); req != 18 || rep != 19 {
		t.Error("OpenFlow 1.0 barrier types")
	}
	if req, rep := BarrierTypes(OF13); req != 20 || rep != 21 {
		t.Error("OpenFlow 1.3 barrier types")
	}
	if got := AppendEmpty(nil, OF13, 20, 5); !bytes.Equal(got, hexMsg(t, "04140008 00000005")) {
		t.Errorf("barrier: %x", got)
	}
}

func TestBasicMessagesRefuseBadLengths(t *testing.T) {
	for _, c := range []struct {
		name  string
		parse func([]byte) error
		hex   string
	}{
		{"error short", func(b []byte) error { _, err := ParseError(b); return err }, "0401000a 00000001 0004"},
		{"error length lies", func(b []byte) error { _, err := ParseError(b); return err }, "04010020 00000001 0004 0009"},
		{"features short", func(b []byte) error { _, err := ParseFeaturesReply(b); return err }, "04060010 00000001 0000000000000001"},
		{"config short", func(b []byte) error { _, err := ParseSwitchConfig(b); return err }, "0408000a 00000001 0000"},
		{"echo wrong type", func(b []byte) error { _, err := ParseEcho(b); return err }, "04050008 00000001"},
		{"flow mod short", func(b []byte) error { _, err := ParseFlowMod(b); return err }, "040e0010 00000001 0000000000000000"},
	} {
		if err := c.parse(hexMsg(t, c.hex)); err == nil {
			t.Errorf("%s accepted", c.name)
		}
	}
}

// FuzzParseMessages feeds every message parser arbitrary bytes: none may
// panic, and what parses must re-encode to bytes that parse the same.
func FuzzParseMessages(f *testing.F) {
	f.Add(hexMsg(f, "04000010 00000001 00010008 00000010"))
	f.Add(hexMsg(f, "0401000f 00000009 0004 0009 010203"))
	f.Add(hexMsg(f, "0408000c 00000001 0000 0080"))
	f.Add(hexMsg(f, "30000010 30303030 00010008 00000001")) // a bitmap of bit 0 alone
	f.Fuzz(func(t *testing.T, b []byte) {
		if h, err := ParseHello(b); err == nil && h.Versions != 0 {
			if h2, err := ParseHello(AppendHello(nil, h)); err != nil || h2 != h {
				t.Fatalf("hello %+v re-parses as %+v %v", h, h2, err)
			}
		}
		if e, err := ParseError(b); err == nil {
			if e2, err := ParseError(AppendError(nil, e)); err != nil || !reflect.DeepEqual(e, e2) {
				t.Fatalf("error %+v re-parses as %+v %v", e, e2, err)
			}
		}
		ParseEcho(b)
		ParseFeaturesReply(b)
		if c, err := ParseSwitchConfig(b); err == nil {
			if c2, err := ParseSwitchConfig(AppendSwitchConfig(nil, c)); err != nil || c2 != c {
				t.Fatalf("config %+v re-parses as %+v", c, c2)
			}
		}
	})
}
