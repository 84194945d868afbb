package flowtable

import (
	"net/netip"
	"strconv"
)

// The OpenFlow 1.0 header rewrites: each sets one whole header field to a
// constant. OpenFlow 1.3 dumps print them as set_field.

// SetEthAddr rewrites the source (or destination) MAC: mod_dl_src/mod_dl_dst.
type SetEthAddr struct {
	Dst bool
	MAC [6]byte
}

// SetIPv4Addr rewrites the IPv4 source (or destination): mod_nw_src/dst.
type SetIPv4Addr struct {
	Dst  bool
	Addr [4]byte
}

// SetIPTOS sets the DSCP bits from a TOS byte (mod_nw_tos; the ECN bits stay).
type SetIPTOS struct{ TOS uint8 }

// SetIPECN sets the ECN bits (mod_nw_ecn).
type SetIPECN struct{ ECN uint8 }

// SetIPTTL sets the TTL or hop limit (mod_nw_ttl).
type SetIPTTL struct{ TTL uint8 }

// SetL4Port rewrites the TCP/UDP/SCTP source (or destination) port.
type SetL4Port struct {
	Dst   bool
	Port  uint16
	Proto uint8 // the flow's nw_proto when it was parsed (for printing as set_field)
}

func init() {
	registerAction(parseSetEthAddr, "mod_dl_src", "mod_dl_dst")
	registerAction(parseSetIPv4Addr, "mod_nw_src", "mod_nw_dst")
	registerAction(parseSetIPTOS, "mod_nw_tos")
	registerAction(parseSetIPECN, "mod_nw_ecn")
	registerAction(parseSetIPTTL, "mod_nw_ttl")
	registerAction(parseSetL4Port, "mod_tp_src", "mod_tp_dst")
}

func parseSetEthAddr(p *parser, a actionArg, _ *actState) (Action, error) {
	mac, ok := parseMAC(a.arg)
	if !ok {
		return nil, p.errAt(a.col, a.arg, "invalid Ethernet address %q", a.arg)
	}
	s := SetEthAddr{Dst: a.name == "mod_dl_dst"}
	putMAC(s.MAC[:], mac)
	return s, nil
}

func parseSetIPv4Addr(p *parser, a actionArg, _ *actState) (Action, error) {
	ip, err := netip.ParseAddr(a.arg)
	if err != nil || !ip.Is4() {
		return nil, p.errAt(a.col, a.arg, "invalid IPv4 address %q", a.arg)
	}
	return SetIPv4Addr{Dst: a.name == "mod_nw_dst", Addr: ip.As4()}, nil
}

func parseSetIPTOS(p *parser, a actionArg, _ *actState) (Action, error) {
	n, err := parseUint(a.arg, 255)
	if err != nil || n&3 != 0 {
		return nil, p.errAt(a.col, a.arg, "bad TOS %q: want 0..255 with the two ECN bits zero", a.arg)
	}
	return SetIPTOS{TOS: uint8(n)}, nil
}

func parseSetIPECN(p *parser, a actionArg, _ *actState) (Action, error) {
	n, err := parseUint(a.arg, 3)
	if err != nil {
		return nil, p.errAt(a.col, a.arg, "bad ECN: %v (want 0..3)", err)
	}
	return SetIPECN{ECN: uint8(n)}, nil
}

// parseSetIPTTL parses mod_nw_ttl, which needs an IP match.
func parseSetIPTTL(p *parser, a actionArg, st *actState) (Action, error) {
	n, err := parseUint(a.arg, 255)
	if err != nil {
		return nil, p.errAt(a.col, a.arg, "bad TTL: %v (want 0..255)", err)
	}
	if !st.m.Satisfies(PrereqIPAny) {
		return nil, p.errAt(a.pc.col, a.pc.s, "mod_nw_ttl requires ip or ipv6 in the match (missing prerequisite)")
	}
	return SetIPTTL{TTL: uint8(n)}, nil
}

// parseSetL4Port parses mod_tp_src/mod_tp_dst, remembering the protocol
// the match names so the OpenFlow 1.3 printer can name the field.
func parseSetL4Port(p *parser, a actionArg, st *actState) (Action, error) {
	n, err := parseUint(a.arg, 65535)
	if err != nil {
		return nil, p.errAt(a.col, a.arg, "bad port: %v (want 0..65535)", err)
	}
	proto, _ := st.m.IPProto()
	return SetL4Port{Dst: a.name == "mod_tp_dst", Port: uint16(n), Proto: proto}, nil
}

func putMAC(b []byte, v uint64) {
	for i := 5; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
}

func (a SetEthAddr) format(aw *actionWriter) {
	name := "mod_dl_src"
	if a.Dst {
		name = "mod_dl_dst"
	}
	aw.rewrite(name, a.field(), macString(mac48(a.MAC)))
}

func (a SetIPv4Addr) format(aw *actionWriter) {
	name := "mod_nw_src"
	if a.Dst {
		name = "mod_nw_dst"
	}
	aw.rewrite(name, a.field(), ip4String(uint64(be32(a.Addr[:]))))
}

// rewrite prints an OpenFlow 1.0 rewrite of f to v: as legacy where
// aw.legacy, else as set_field.
func (aw *actionWriter) rewrite(legacy string, f FieldID, v string) {
	if aw.legacy() {
		aw.add(legacy + ":" + v)
	} else {
		aw.setField(f, v)
	}
}

func (a SetIPTOS) format(aw *actionWriter) {
	if aw.legacy() {
		aw.addf("mod_nw_tos:%d", a.TOS)
	} else {
		aw.setField(FieldIPDSCP, strconv.Itoa(int(a.TOS>>2)))
	}
}

func (a SetIPECN) format(aw *actionWriter) {
	if aw.o.Exact {
		aw.addf("mod_nw_ecn:%d", a.ECN)
	} else if aw.of10() {
		aw.addf("load:%s->NXM_NX_IP_ECN[]", hex0(uint64(a.ECN)))
	} else {
		aw.setField(FieldIPECN, strconv.Itoa(int(a.ECN)))
	}
}

func (a SetIPTTL) format(aw *actionWriter) {
	if aw.of10() {
		aw.addf("load:%s->NXM_NX_IP_TTL[]", hex0(uint64(a.TTL)))
	} else {
		aw.addf("mod_nw_ttl:%d", a.TTL)
	}
}

func (a SetL4Port) format(aw *actionWriter) {
	if aw.legacy() || !isL4(a.Proto) {
		if a.Dst {
			aw.addf("mod_tp_dst:%d", a.Port)
		} else {
			aw.addf("mod_tp_src:%d", a.Port)
		}
		return
	}
	aw.setField(l4Field(a.Proto, a.Dst), strconv.Itoa(int(a.Port)))
}

func (a SetEthAddr) field() FieldID {
	if a.Dst {
		return FieldEthDst
	}
	return FieldEthSrc
}

func (a SetIPv4Addr) field() FieldID {
	if a.Dst {
		return FieldIPv4Dst
	}
	return FieldIPv4Src
}

func isL4(proto uint8) bool { return proto == ProtoTCP || proto == ProtoUDP || proto == ProtoSCTP }

// l4Field is the field a port rewrite writes for protocol proto (TCP's
// when the match named none).
func l4Field(proto uint8, dst bool) FieldID {
	switch proto {
	case ProtoUDP:
		if dst {
			return FieldUDPDst
		}
		return FieldUDPSrc
	case ProtoSCTP:
		if dst {
			return FieldSCTPDst
		}
		return FieldSCTPSrc
	}
	if dst {
		return FieldTCPDst
	}
	return FieldTCPSrc
}

// Access: each writes its one field and reads nothing.
func (a SetEthAddr) Access(_, writes *FieldSet)  { writes.Add(a.field()) }
func (a SetIPv4Addr) Access(_, writes *FieldSet) { writes.Add(a.field()) }
func (SetIPTOS) Access(_, writes *FieldSet)      { writes.Add(FieldIPTOS) }
func (SetIPECN) Access(_, writes *FieldSet)      { writes.Add(FieldIPECN) }
func (SetIPTTL) Access(_, writes *FieldSet)      { writes.Add(FieldIPTTL) }
func (a SetL4Port) Access(_, writes *FieldSet)   { writes.Add(l4Field(a.Proto, a.Dst)) }

func (a SetEthAddr) Translate(k *Key, _ Translator) bool {
	k.Set(&fields[a.field()], Value{Lo: mac48(a.MAC)})
	return true
}

func (a SetIPv4Addr) Translate(k *Key, _ Translator) bool {
	k.Set(&fields[a.field()], Value{Lo: uint64(be32(a.Addr[:]))})
	return true
}

func (a SetIPTOS) Translate(k *Key, _ Translator) bool {
	k.Set(&fields[FieldIPTOS], Value{Lo: uint64(a.TOS)})
	return true
}

func (a SetIPECN) Translate(k *Key, _ Translator) bool {
	k.Set(&fields[FieldIPECN], Value{Lo: uint64(a.ECN)})
	return true
}

func (a SetIPTTL) Translate(k *Key, _ Translator) bool {
	k.Set(&fields[FieldIPTTL], Value{Lo: uint64(a.TTL)})
	return true
}

// Translate: every L4 port field shares tp_src/tp_dst.
func (a SetL4Port) Translate(k *Key, _ Translator) bool {
	f := fTPSrc
	if a.Dst {
		f = fTPDst
	}
	k.Set(f, Value{Lo: uint64(a.Port)})
	return true
}
