package packet

// Packet is a frame in flight: a buffer with headroom before the frame so
// headers can be pushed in place, the frame's offset and length in it, and
// the metadata that travels with it. The frame is Frame() ==
// buf[off:off+n]. A Packet is owned by one goroutine at a time; its zero
// value holds no frame.
type Packet struct {
	buf []byte
	off int
	n   int

	// Meta is what travels with the frame besides its bytes.
	Meta Meta
}

// Reset points p at the frame of n bytes at buf[off:] and clears its
// metadata. The caller guarantees 0 <= off and off+n <= len(buf).
func (p *Packet) Reset(buf []byte, off, n int) {
	p.buf, p.off, p.n = buf, off, n
	p.Meta = Meta{}
}

// Frame returns the current frame bytes.
func (p *Packet) Frame() []byte { return p.buf[p.off : p.off+p.n] }

// Len returns the frame length.
func (p *Packet) Len() int { return p.n }

// Headroom returns how many bytes can be pushed in front of the frame.
func (p *Packet) Headroom() int { return p.off }

// PushVLAN inserts an 802.1Q/802.1ad tag (tpid, tci) after the MAC
// addresses, growing the frame into the headroom. It reports false, and
// changes nothing, when there are not 4 bytes of headroom or the frame is
// shorter than the two MAC addresses.
func (p *Packet) PushVLAN(tpid, tci uint16) bool {
	if p.off < 4 || p.n < 12 {
		return false
	}
	copy(p.buf[p.off-4:p.off+8], p.buf[p.off:p.off+12])
	p.off -= 4
	p.n += 4
	f := p.Frame()
	f[12], f[13] = byte(tpid>>8), byte(tpid)
	f[14], f[15] = byte(tci>>8), byte(tci)
	return true
}

// PopVLAN removes the 4 bytes of the tag that follows the MAC addresses.
// The caller knows a tag is there; a frame shorter than 16 bytes is left
// alone and PopVLAN reports false.
func (p *Packet) PopVLAN() bool {
	if p.n < 16 {
		return false
	}
	copy(p.buf[p.off+4:p.off+16], p.buf[p.off:p.off+12])
	p.off += 4
	p.n -= 4
	return true
}
