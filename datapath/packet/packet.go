package packet

import "github.com/gvs-project/gvs/datapath/header"

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

	layout Layout
}

// Reset points p at the frame of n bytes at buf[off:] and clears its
// metadata. The caller guarantees 0 <= off and off+n <= len(buf).
func (p *Packet) Reset(buf []byte, off, n int) {
	p.buf, p.off, p.n = buf, off, n
	p.Meta = Meta{}
	p.layout = Layout{}
}

// Parse walks the frame (Layout.Parse, at most vlanLimit tags) and returns
// its layout, which PushVLAN and PopVLAN keep up to date from then on.
func (p *Packet) Parse(vlanLimit int) *Layout {
	p.layout.Parse(p.Frame(), vlanLimit)
	return &p.layout
}

// Layout returns the frame's layout, parsing it with DefaultVLANLimit if
// nothing has parsed it since Reset. A caller that rewrites the frame other
// than through PushVLAN and PopVLAN keeps the offsets valid or parses
// again.
func (p *Packet) Layout() *Layout {
	if p.layout.Flags&Parsed == 0 {
		p.layout.Parse(p.Frame(), DefaultVLANLimit)
	}
	return &p.layout
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
// shorter than an Ethernet header.
func (p *Packet) PushVLAN(tpid, tci uint16) bool {
	if p.off < 4 || p.n < header.EthernetMinimumSize {
		return false
	}
	copy(p.buf[p.off-4:p.off+8], p.buf[p.off:p.off+12])
	p.off -= 4
	p.n += 4
	f := p.Frame()
	f[12], f[13] = byte(tpid>>8), byte(tpid)
	f[14], f[15] = byte(tci>>8), byte(tci)
	if p.layout.Tags < 255 {
		p.layout.Tags++
	}
	p.layout.shift(4)
	return true
}

// PopVLAN removes the outermost tag. It reports false, and changes
// nothing, when the layout has no tag.
func (p *Packet) PopVLAN() bool {
	if p.Layout().Tags == 0 {
		return false
	}
	copy(p.buf[p.off+4:p.off+16], p.buf[p.off:p.off+12])
	p.off += 4
	p.n -= 4
	p.layout.Tags--
	p.layout.shift(-4)
	return true
}
