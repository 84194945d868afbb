package conntrack

// TCP tracking: a state per direction and the sequence-window checks of
// "Real Stateful TCP Packet Filtering" (van Rooij), as BSD pf, Linux
// nf_conntrack and Open vSwitch's conntrack-tcp apply them. Each peer
// records the highest sequence end it has sent (seqlo), the highest end
// the other side's acknowledgements and window let it send (seqhi), its
// largest window and its window scale.

// Per-peer TCP states, in Open vSwitch's CT_DPIF_TCPS order.
const (
	tcpClosed = iota
	tcpListen
	tcpSynSent
	tcpSynRecv
	tcpEstablished
	tcpCloseWait
	tcpFinWait1
	tcpClosing
	tcpLastAck
	tcpFinWait2
	tcpTimeWait
)

var tcpStateNames = [...]string{"CLOSED", "LISTEN", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "CLOSE_WAIT",
	"FIN_WAIT_1", "CLOSING", "LAST_ACK", "FIN_WAIT_2", "TIME_WAIT"}

// maxAckWindow bounds how far an acknowledgement may be from what the
// other side sent: a maximal unscaled window plus a segment.
const maxAckWindow = 65535 + 1500

const noScale = 0xff

type peer struct {
	seqlo, seqhi uint32
	maxwin       uint32
	wscale       uint8 // noScale when the SYN had no window scale option
	state        uint8
	init         bool // a packet from this side has been seen
}

// results of a state update, as Open vSwitch's ct_update_res.
const (
	updValid    = iota // +est
	updValidNew        // still +new (e.g. retransmitted SYN, UDP before a reply)
	updInvalid         // +inv
	updNew             // the old connection is over: start a new one
)

func seqGT(a, b uint32) bool  { return int32(a-b) > 0 }
func seqGEQ(a, b uint32) bool { return int32(a-b) >= 0 }

// tcpInvalidFlags rejects flag combinations no TCP sends.
func tcpInvalidFlags(f uint8) bool {
	if f&tcpSYN != 0 {
		if f&(tcpRST|tcpFIN) != 0 {
			return true
		}
	} else if f&(tcpACK|tcpRST) == 0 {
		return true
	}
	if f&tcpACK == 0 && f&(tcpFIN|tcpPSH|tcpURG) != 0 {
		return true
	}
	return false
}

// tcpValidNew reports whether a segment may start a connection: a SYN, or
// a segment of an already established connection (mid-stream pickup), but
// not a SYN-ACK (half-open).
func tcpValidNew(f uint8) bool {
	if tcpInvalidFlags(f) {
		return false
	}
	// A lone RST does start one (Open vSwitch 3.1 commits it, SYN_SENT).
	return f&tcpSYN == 0 || f&tcpACK == 0
}

func segEnd(p *pkt) uint32 {
	end := p.seq + p.payload
	if p.flags&tcpSYN != 0 {
		end++
	}
	if p.flags&tcpFIN != 0 {
		end++
	}
	return end
}

// tcpNew initialises a committed connection from its first segment.
func (t *Tracker) tcpNew(c *conn, p *pkt, now int64) {
	src, dst := &c.tcp[0], &c.tcp[1]
	end := segEnd(p)
	src.init = true
	src.seqlo = end
	src.seqhi = end + 1
	src.maxwin = max(uint32(p.win), 1)
	src.wscale = noScale
	dst.wscale = noScale
	// As in Open vSwitch, the originator is SYN_SENT whatever the first
	// segment was (a picked-up connection becomes ESTABLISHED when the far
	// side acknowledges).
	src.state = tcpSynSent
	if p.flags&tcpSYN != 0 {
		if p.wscale >= 0 {
			src.wscale = uint8(p.wscale)
		}
	} else {
		// Mid-stream pickup: the window is unknown until the other side
		// speaks; allow what this segment's window would.
		src.seqhi = end + src.maxwin
	}
	c.expires = now + t.tmo[tmTCPFirst]
}

// tcpUpdate runs segment p, in direction d, through connection c.
func (t *Tracker) tcpUpdate(c *conn, p *pkt, d uint32, now int64) int {
	src, dst := &c.tcp[d], &c.tcp[1-d]
	f := p.flags
	if tcpInvalidFlags(f) {
		return updInvalid
	}
	syn := f&tcpSYN != 0 && f&tcpACK == 0
	if syn && src.state >= tcpFinWait2 && dst.state >= tcpFinWait2 {
		return updNew // a new connection reusing the ports
	}
	if syn && d == 0 && !dst.init {
		// Retransmitted SYN before any answer.
		c.expires = now + t.tmo[tmTCPFirst]
		return updValidNew
	}
	win := uint32(p.win)
	end := segEnd(p)
	scaled := src.wscale != noScale && dst.wscale != noScale
	if f&tcpSYN == 0 && scaled {
		win <<= src.wscale
	}
	if !src.init {
		if !t.tcpFirst(src, dst, p, win, end) {
			return updInvalid
		}
	} else if !t.liberal && !tcpInWindow(src, dst, p, end, scaled) && dst.init {
		return updInvalid
	}
	if seqGT(end, src.seqlo) {
		src.seqlo = end
	}
	if f&tcpACK != 0 {
		if top := p.ack + max(win, 1); seqGEQ(top, dst.seqhi) {
			dst.seqhi = top
		}
	}
	src.maxwin = max(src.maxwin, win)
	tcpAdvance(src, dst, f)
	if d == 1 {
		c.flags |= flagReply
	}
	c.expires = now + t.tmo[tcpTimeout(src, dst)]
	return updValid
}

// tcpFirst takes the first segment from side src (normally the SYN-ACK):
// its sequence window and, on a SYN, the window scale both SYNs must
// offer. It reports false, leaving src uninitialised, when the segment
// acknowledges something too far from what dst sent.
func (t *Tracker) tcpFirst(src, dst *peer, p *pkt, win, end uint32) bool {
	src.init = true
	src.seqlo = end
	src.seqhi = end + 1
	src.maxwin = max(win, 1)
	if p.flags&tcpSYN != 0 {
		if p.wscale >= 0 && dst.wscale != noScale {
			src.wscale = uint8(p.wscale)
		} else {
			// Scaling is used only when both SYNs offer it.
			src.wscale, dst.wscale = noScale, noScale
		}
	}
	if !t.liberal && p.flags&tcpACK != 0 {
		skew := int32(dst.seqlo - p.ack)
		if skew < -maxAckWindow || skew > maxAckWindow {
			src.init = false
			return false
		}
	}
	return true
}

// tcpInWindow checks a segment from an initialised side against the
// sequence and acknowledgement windows.
func tcpInWindow(src, dst *peer, p *pkt, end uint32, scaled bool) bool {
	ack := p.ack
	if p.flags&tcpACK == 0 {
		ack = dst.seqlo
	}
	skew := int32(dst.seqlo - ack)
	sws := uint32(0)
	if scaled {
		sws = uint32(src.wscale)
	}
	return seqGEQ(src.seqhi, end) &&
		seqGEQ(p.seq, src.seqlo-max(dst.maxwin, 1)) &&
		skew >= -maxAckWindow && int64(skew) <= int64(maxAckWindow)<<sws
}

// tcpAdvance moves both sides' states for a segment with flags f from src.
func tcpAdvance(src, dst *peer, f uint8) {
	if f&tcpRST != 0 {
		src.state, dst.state = tcpTimeWait, tcpTimeWait
		return
	}
	if f&tcpSYN != 0 && src.state < tcpSynSent {
		src.state = tcpSynSent
	}
	if f&tcpFIN != 0 && src.state < tcpClosing {
		src.state = tcpClosing
	}
	if f&tcpACK != 0 {
		switch dst.state {
		case tcpSynSent:
			dst.state = tcpEstablished
		case tcpClosing:
			dst.state = tcpFinWait2
		}
	}
}

// tcpTimeout is the timeout class of a connection whose sides are in
// these states.
func tcpTimeout(src, dst *peer) int {
	switch {
	case src.state >= tcpFinWait2 && dst.state >= tcpFinWait2:
		return tmTCPClosed
	case src.state >= tcpClosing && dst.state >= tcpClosing:
		return tmTCPFinWait
	case src.state < tcpEstablished || dst.state < tcpEstablished:
		return tmTCPOpening
	case src.state >= tcpClosing || dst.state >= tcpClosing:
		return tmTCPClosing
	}
	return tmTCPEstablished
}

// otherUpdate handles UDP, ICMP and other protocols: first packet,
// several packets one way, both ways.
func (t *Tracker) otherUpdate(c *conn, p *pkt, d uint32, now int64) int {
	icmp := p.t.proto == protoICMP || p.t.proto == protoICMPv6
	// Until a reply is seen, packets are +new (Open vSwitch 3.1: the
	// second and third UDP datagrams before a reply are still +new).
	res := updValid
	switch {
	case d == 1:
		c.kind = otherBidir
	case c.kind == otherFirst:
		if !icmp {
			c.kind = otherMultiple
		}
		res = updValidNew
	case c.kind == otherMultiple:
		res = updValidNew
	}
	if d == 1 {
		c.flags |= flagReply
	}
	var tm int
	switch {
	case icmp && c.kind == otherBidir:
		tm = tmICMPReply
	case icmp:
		tm = tmICMPFirst
	case c.kind == otherBidir:
		tm = tmOtherBidir
	case c.kind == otherMultiple:
		tm = tmOtherMultiple
	default:
		tm = tmOtherFirst
	}
	c.expires = now + t.tmo[tm]
	return res
}

// tcpStateName is the state dump-conntrack prints: the further advanced of
// the two peers', both peers past FIN_WAIT_2 reading TIME_WAIT.
func tcpStateName(c *conn) string {
	a, b := c.tcp[0].state, c.tcp[1].state
	if a >= tcpFinWait2 && b >= tcpFinWait2 {
		return "TIME_WAIT"
	}
	s := max(a, b)
	if int(s) < len(tcpStateNames) {
		return tcpStateNames[s]
	}
	return "CLOSED"
}
