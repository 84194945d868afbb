package ipf

import (
	"encoding/binary"

	"github.com/gvs-project/gvs/datapath/header"
	"github.com/gvs-project/gvs/datapath/packet"
)

// Key names the datagram a fragment belongs to: OVS's ipf_list_key
// without the recirculation id. IPv4 addresses fill the first 4 bytes of
// Src and Dst. Proto is the IPv4 protocol; it is 0 for IPv6, whose
// fragments name it only in the first one.
type Key struct {
	Src, Dst [16]byte
	ID       uint32 // IPv4's 16-bit or IPv6's 32-bit identification
	Zone     uint16
	EthType  uint16
	Proto    uint8
}

// frag is what Add learns of a fragment from its headers. Offsets count
// from the frame's first byte; data offsets (start, end) from the start
// of the datagram's fragmentable part.
type frag struct {
	key         Key
	v6          bool
	first, last bool // offset 0; no more-fragments flag
	start, end  int  // the fragment's data is [start, end) in the datagram
	data        int  // where the fragment's data starts in the frame
	dataEnd     int  // where it ends (the IP datagram's end; padding excluded)
	l3          int  // the IP header
	hdr         int  // what the reassembled IP length counts besides the data: the IPv4 header, or IPv6's unfragmentable extension headers
	// IPv6 only: where the fragment header is and where the byte naming
	// it (the previous header's next-header field) is.
	fragHdr, nextHdr int
	tags             uint8
}

// parse reads the fragment in frame f with layout l. It reports ok false
// for a packet that is not a fragment reassembly should see, and a
// non-zero reason for a fragment to drop.
func (r *Reassembler) parse(f []byte, l *packet.Layout, zone uint16, fr *frag) (ok bool, why Reason) {
	if !l.Has(packet.Parsed|packet.HasProto) || !l.IsFragment() || l.L3 <= 0 || l.End > len(f) || l.End <= l.L3 {
		return false, 0
	}
	*fr = frag{l3: l.L3, dataEnd: l.End, tags: l.Tags}
	fr.key.Zone, fr.key.EthType = zone, l.EthType
	ip := f[l.L3:l.End]
	switch l.EthType {
	case header.EtherTypeIPv4:
		if !r.fam[0].enabled {
			return false, 0
		}
		return true, r.parse4(ip, fr)
	case header.EtherTypeIPv6:
		if !r.fam[1].enabled {
			return false, 0
		}
		fr.v6 = true
		return true, r.parse6(ip, fr)
	}
	return false, 0
}

// parse4 reads an IPv4 fragment ip (the IP datagram, header first).
func (r *Reassembler) parse4(ip []byte, fr *frag) Reason {
	if len(ip) < header.IPv4MinimumSize {
		return ReasonMalformed
	}
	hl := int(ip[0]&0xf) * 4
	if hl < header.IPv4MinimumSize || hl > len(ip) {
		return ReasonMalformed
	}
	if header.Checksum(ip[:hl], 0) != 0 {
		return ReasonBadChecksum
	}
	fo := binary.BigEndian.Uint16(ip[6:])
	copy(fr.key.Src[:4], ip[12:16])
	copy(fr.key.Dst[:4], ip[16:20])
	fr.key.ID = uint32(binary.BigEndian.Uint16(ip[4:]))
	fr.key.Proto = ip[9]
	fr.start = int(fo&0x1fff) * 8
	fr.end = fr.start + len(ip) - hl
	fr.first, fr.last = fr.start == 0, fo&0x2000 == 0
	fr.data, fr.hdr = fr.l3+hl, hl
	switch {
	case fr.end == fr.start:
		return ReasonMalformed
	case !fr.last && len(ip) < r.fam[0].minFrag:
		return ReasonTooSmall
	case fr.hdr+fr.end > maxIPv4Total:
		return ReasonOversized
	}
	return 0
}

// parse6 reads an IPv6 fragment ip (the IP packet, fixed header first),
// walking the extension headers to the fragment header.
func (r *Reassembler) parse6(ip []byte, fr *frag) Reason {
	if len(ip) < 40 {
		return ReasonMalformed
	}
	copy(fr.key.Src[:], ip[8:24])
	copy(fr.key.Dst[:], ip[24:40])
	next, at, nextAt := ip[6], 40, 6
	for next != header.ProtocolIPv6Fragment {
		var n int
		switch next {
		case 0, 43, 60: // hop-by-hop, routing, destination options
			if at+8 > len(ip) {
				return ReasonMalformed
			}
			n = (int(ip[at+1]) + 1) * 8
		case 51: // authentication header
			if at+8 > len(ip) {
				return ReasonMalformed
			}
			n = (int(ip[at+1]) + 2) * 4
		default: // the layout saw a fragment header the walk cannot reach
			return ReasonMalformed
		}
		if at+n > len(ip) {
			return ReasonMalformed
		}
		next, nextAt = ip[at], at
		at += n
	}
	if at+8 > len(ip) {
		return ReasonMalformed
	}
	fo := binary.BigEndian.Uint16(ip[at+2:])
	fr.key.ID = binary.BigEndian.Uint32(ip[at+4:])
	fr.fragHdr, fr.nextHdr = fr.l3+at, fr.l3+nextAt
	fr.data, fr.hdr = fr.l3+at+8, at-40
	fr.start = int(fo & 0xfff8)
	fr.end = fr.start + len(ip) - at - 8
	fr.first, fr.last = fr.start == 0, fo&1 == 0
	switch {
	case fr.end == fr.start:
		return ReasonMalformed
	case !fr.last && len(ip) < r.fam[1].minFrag:
		return ReasonTooSmall
	case fr.hdr+fr.end > maxIPv6Data:
		return ReasonOversized
	}
	return 0
}
