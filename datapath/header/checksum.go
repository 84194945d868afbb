package header

import "encoding/binary"

// fold reduces a 32-bit one's complement accumulator to 16 bits with
// end-around carry.
func fold(s uint64) uint16 {
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}

// Sum adds b, as big-endian 16-bit words (an odd last byte is padded with
// zero), to the one's complement accumulator initial and returns the
// unfolded result, for chaining (pseudo-header, header, payload).
//
// It adds 32-bit words eight bytes at a time: 2^16 is 1 modulo 0xffff, so
// a 32-bit word counts as the sum of its two 16-bit halves, and the 64-bit
// accumulator cannot overflow for any frame.
func Sum(b []byte, initial uint32) uint32 {
	s := uint64(initial)
	for len(b) >= 8 {
		v := binary.BigEndian.Uint64(b)
		s += v>>32 + v&0xffffffff
		b = b[8:]
	}
	for len(b) >= 2 {
		s += uint64(b[0])<<8 | uint64(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint64(b[0]) << 8
	}
	return uint32(fold(s))
}

// Checksum returns the Internet checksum of b, starting from the partial
// sum initial (0, or a pseudo-header sum from PseudoHeaderSum): the one's
// complement of the one's complement sum. It is the value to store in a
// checksum field that was zero while summing; over data whose checksum
// field is already correct it returns 0.
func Checksum(b []byte, initial uint32) uint16 {
	return ^uint16(Sum(b, initial))
}

// PseudoHeaderSum returns the partial sum of the TCP/UDP/ICMPv6
// pseudo-header for addresses src and dst (4 bytes each for IPv4, 16 for
// IPv6), protocol proto and upper-layer length.
func PseudoHeaderSum(proto uint8, src, dst []byte, length uint32) uint32 {
	s := Sum(src, 0)
	s = Sum(dst, s)
	return uint32(fold(uint64(s) + uint64(proto) + uint64(length>>16) + uint64(length&0xffff)))
}

// IPPseudoHeaderSum is PseudoHeaderSum with the addresses taken from the
// IPv4 header ip, or the IPv6 header if v6.
func IPPseudoHeaderSum(ip []byte, v6 bool, proto uint8, length uint32) uint32 {
	if v6 {
		return PseudoHeaderSum(proto, ip[8:24], ip[24:40], length)
	}
	return PseudoHeaderSum(proto, ip[12:16], ip[16:20], length)
}

// UpdateChecksum16 returns checksum sum (as stored in a header) adjusted
// for one 16-bit word of the covered data changing from old to new, by
// RFC 1624 equation 3: HC' = ~(~HC + ~m + m').
func UpdateChecksum16(sum, old, new uint16) uint16 {
	return ^fold(uint64(^sum) + uint64(^old) + uint64(new))
}

// UpdateChecksum32 is UpdateChecksum16 for a 32-bit word (such as an IPv4
// address) changing from old to new.
func UpdateChecksum32(sum uint16, old, new uint32) uint16 {
	s := uint64(^sum) + uint64(^uint16(old>>16)) + uint64(^uint16(old)) + uint64(uint16(new>>16)) + uint64(uint16(new))
	return ^fold(s)
}
