package datapath

import "github.com/gvs-project/gvs/flowtable"

// opKind is a datapath operation: what translation tells execution to do to
// the frame, in order.
type opKind uint8

const (
	opOutput      opKind = iota // send the frame to port
	opPushVLAN                  // a = TPID, b = TCI
	opPopVLAN                   //
	opSetVLAN                   // b = TCI
	opSetEth                    // a = src, b = dst
	opSetIPv4                   // a = src<<32 | dst, b = tos<<8 | ttl
	opSetIPv6                   // a,b = src; c,d = dst; e = tc<<32 | hlim<<24 | label
	opSetL4                     // a = src port or ICMP type, b = dst port or ICMP code; c = which changed (1 src, 2 dst)
	opSetARP                    // a = op, b = spa<<32 | tpa, c = sha, d = tha
	opSetNDTarget               // a,b = target
	opCT                        // a = index of the recirculation
	opController                // port = the bridge's LOCAL, a = in_port: a packet-in
)

// op is one datapath operation. Set operations carry the new values of the
// whole header they touch; execution reads the old ones from the frame.
type op struct {
	kind          opKind
	port          *Port
	a, b, c, d, e uint64
}

// commit emits the operations that make the frame look like x.key, given
// that it now looks like x.base, and sets base to key. Metadata (registers,
// ct fields, tunnel id) needs no operation.
func (x *xlate) commit() {
	k, b := &x.key, &x.base
	if flowtable.SameHeaders(k, b) {
		return
	}
	x.commitVLAN(k, b)
	if x.changed(k, b, fEthSrc, fEthDst) {
		x.ops = append(x.ops, op{kind: opSetEth, a: k.Get(fEthSrc).Lo, b: k.Get(fEthDst).Lo})
	}
	switch k.Get(fEthType).Lo {
	case ethTypeIPv4:
		if x.changed(k, b, fIPv4Src, fIPv4Dst, fIPTOS, fIPECN, fIPTTL) {
			x.ops = append(x.ops, op{kind: opSetIPv4,
				a: k.Get(fIPv4Src).Lo<<32 | k.Get(fIPv4Dst).Lo,
				b: (k.Get(fIPTOS).Lo|k.Get(fIPECN).Lo)<<8 | k.Get(fIPTTL).Lo})
		}
		x.commitL4(k, b)
	case ethTypeIPv6:
		if x.changed(k, b, fIPv6Src, fIPv6Dst, fIPTOS, fIPECN, fIPTTL, fIPv6Label) {
			s, d := k.Get(fIPv6Src), k.Get(fIPv6Dst)
			x.ops = append(x.ops, op{kind: opSetIPv6, a: s.Hi, b: s.Lo, c: d.Hi, d: d.Lo,
				e: (k.Get(fIPTOS).Lo|k.Get(fIPECN).Lo)<<32 | k.Get(fIPTTL).Lo<<24 | k.Get(fIPv6Label).Lo})
		}
		if x.changed(k, b, fNDTarget) {
			t := k.Get(fNDTarget)
			x.ops = append(x.ops, op{kind: opSetNDTarget, a: t.Hi, b: t.Lo})
		}
		x.commitL4(k, b)
	case ethTypeARP, ethTypeRARP:
		if x.changed(k, b, fIPProto, fIPv4Src, fIPv4Dst, fARPSHA, fARPTHA) {
			x.ops = append(x.ops, op{kind: opSetARP, a: k.Get(fIPProto).Lo,
				b: k.Get(fIPv4Src).Lo<<32 | k.Get(fIPv4Dst).Lo, c: k.Get(fARPSHA).Lo, d: k.Get(fARPTHA).Lo})
		}
	}
	*b = *k
}

func (x *xlate) commitVLAN(k, b *flowtable.Key) {
	kt, bt := uint16(k.Get(fVLANTCI).Lo), uint16(b.Get(fVLANTCI).Lo)
	if kt != bt && x.exactWC {
		x.wc.Set(fVLANTCI, fVLANTCI.FullMask())
	}
	switch {
	case kt == bt:
	case bt&vlanPresent == 0 && kt&vlanPresent != 0:
		x.ops = append(x.ops, op{kind: opPushVLAN, a: uint64(x.tpid), b: uint64(kt &^ vlanPresent)})
	case bt&vlanPresent != 0 && kt&vlanPresent == 0:
		x.ops = append(x.ops, op{kind: opPopVLAN})
	default:
		x.ops = append(x.ops, op{kind: opSetVLAN, b: uint64(kt &^ vlanPresent)})
	}
}

func (x *xlate) commitL4(k, b *flowtable.Key) {
	if x.changed(k, b, fTPSrc, fTPDst) {
		// Only what changed is written, as OVS's masked set: with the
		// fragment mode hiding a first fragment's ports (key and base
		// both 0), the other port must keep the frame's value.
		var which uint64
		if k.Get(fTPSrc) != b.Get(fTPSrc) {
			which |= 1
		}
		if k.Get(fTPDst) != b.Get(fTPDst) {
			which |= 2
		}
		x.ops = append(x.ops, op{kind: opSetL4, a: k.Get(fTPSrc).Lo, b: k.Get(fTPDst).Lo, c: which})
	}
}

// changed reports whether k and b differ in one of the fields of a header
// that one operation rewrites whole. With exactWC it then un-wildcards all
// of them: the operation writes the packet's own values into the ones the
// actions left alone.
func (x *xlate) changed(k, b *flowtable.Key, fs ...*flowtable.Field) bool {
	for _, f := range fs {
		if k.Get(f) != b.Get(f) {
			if x.exactWC {
				for _, f := range fs {
					x.wc.Set(f, f.FullMask())
				}
			}
			return true
		}
	}
	return false
}
