package conntrack

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/gvs-project/gvs/datapath/packet"
)

// Tuple is one direction of a dumped connection. For ICMP, ICMPID,
// ICMPType and ICMPCode replace the ports.
type Tuple struct {
	Src, Dst           netip.Addr
	SrcPort, DstPort   uint16
	ICMPID             uint16
	ICMPType, ICMPCode uint8
}

// Entry is a connection as Dump returns it.
type Entry struct {
	Proto    uint8
	Orig     Tuple
	Reply    Tuple
	Zone     uint16
	Mark     uint32
	Label    packet.Label
	TCPState string // "" for other protocols
	Expires  int64  // unix ns
}

func exportTuple(t *tuple) Tuple {
	var e Tuple
	if t.v6 {
		var a, b [16]byte
		binary.BigEndian.PutUint64(a[:], t.src[0])
		binary.BigEndian.PutUint64(a[8:], t.src[1])
		binary.BigEndian.PutUint64(b[:], t.dst[0])
		binary.BigEndian.PutUint64(b[8:], t.dst[1])
		e.Src, e.Dst = netip.AddrFrom16(a), netip.AddrFrom16(b)
	} else {
		var a, b [4]byte
		binary.BigEndian.PutUint32(a[:], uint32(t.src[1]))
		binary.BigEndian.PutUint32(b[:], uint32(t.dst[1]))
		e.Src, e.Dst = netip.AddrFrom4(a), netip.AddrFrom4(b)
	}
	switch t.proto {
	case protoICMP, protoICMPv6:
		e.ICMPID, e.ICMPType, e.ICMPCode = t.sport, uint8(t.dport>>8), uint8(t.dport)
	default:
		e.SrcPort, e.DstPort = t.sport, t.dport
	}
	return e
}

// Dump returns the live entries (of one zone when zone is not nil), sorted
// by their dump-conntrack line. Entries whose timeout has passed but that
// no sweep or lookup has removed yet are left out, as Open vSwitch leaves
// them out; "now" is the latest packet time the tracker has seen (replay
// runs on packet time).
func (t *Tracker) Dump(zone *uint16) []Entry {
	var now int64
	for s := range t.shards {
		sh := &t.shards[s]
		sh.mu.Lock()
		now = max(now, sh.now)
		sh.mu.Unlock()
	}
	var out []Entry
	for s := range t.shards {
		sh := &t.shards[s]
		sh.mu.Lock()
		for _, ch := range sh.chunks {
			for j := range ch {
				c := &ch[j]
				if c.flags&flagUsed == 0 || zone != nil && c.t[0].zone != *zone || c.expires <= now {
					continue
				}
				e := Entry{
					Proto: c.t[0].proto, Orig: exportTuple(&c.t[0]), Reply: exportTuple(&c.t[1]),
					Zone: c.t[0].zone, Mark: c.mark, Label: c.label, Expires: c.expires,
				}
				if e.Proto == protoTCP {
					e.TCPState = tcpStateName(c)
				}
				out = append(out, e)
			}
		}
		sh.mu.Unlock()
	}
	lines := make([]string, len(out))
	for i := range out {
		lines[i] = out[i].String()
	}
	sort.Sort(byLine{out, lines})
	return out
}

// String formats e as `ovs-appctl dpctl/dump-conntrack` prints an entry:
//
//	tcp,orig=(src=192.168.1.9,dst=192.168.1.20,sport=40000,dport=22),reply=(src=192.168.1.20,dst=192.168.1.9,sport=22,dport=40000),zone=1,mark=1,protoinfo=(state=ESTABLISHED)
func (e Entry) String() string {
	var b strings.Builder
	b.WriteString(protoName(e.Proto, e.Orig.Src.Is6() && !e.Orig.Src.Is4In6()))
	b.WriteString(",orig=(")
	writeTuple(&b, e.Proto, &e.Orig)
	b.WriteString("),reply=(")
	writeTuple(&b, e.Proto, &e.Reply)
	b.WriteString(")")
	if e.Zone != 0 {
		fmt.Fprintf(&b, ",zone=%d", e.Zone)
	}
	if e.Mark != 0 {
		fmt.Fprintf(&b, ",mark=%d", e.Mark)
	}
	if !e.Label.IsZero() {
		if e.Label.Hi != 0 {
			fmt.Fprintf(&b, ",labels=0x%x%016x", e.Label.Hi, e.Label.Lo)
		} else {
			fmt.Fprintf(&b, ",labels=0x%x", e.Label.Lo)
		}
	}
	if e.TCPState != "" {
		fmt.Fprintf(&b, ",protoinfo=(state=%s)", e.TCPState)
	}
	return b.String()
}

func protoName(p uint8, v6 bool) string {
	switch p {
	case protoTCP:
		return "tcp"
	case protoUDP:
		return "udp"
	case protoICMP:
		return "icmp"
	case protoICMPv6:
		return "icmpv6"
	case 132:
		return "sctp"
	}
	return fmt.Sprintf("%d", p)
}

func writeTuple(b *strings.Builder, proto uint8, t *Tuple) {
	fmt.Fprintf(b, "src=%s,dst=%s", t.Src, t.Dst)
	switch proto {
	case protoICMP, protoICMPv6:
		fmt.Fprintf(b, ",id=%d,type=%d,code=%d", t.ICMPID, t.ICMPType, t.ICMPCode)
	default:
		fmt.Fprintf(b, ",sport=%d,dport=%d", t.SrcPort, t.DstPort)
	}
}

// Format prints entries one per line, dump-conntrack style.
func Format(es []Entry) string {
	var b strings.Builder
	for _, e := range es {
		b.WriteString(e.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// byLine sorts entries by their precomputed dump lines.
type byLine struct {
	es    []Entry
	lines []string
}

func (b byLine) Len() int           { return len(b.es) }
func (b byLine) Less(i, j int) bool { return b.lines[i] < b.lines[j] }
func (b byLine) Swap(i, j int) {
	b.es[i], b.es[j] = b.es[j], b.es[i]
	b.lines[i], b.lines[j] = b.lines[j], b.lines[i]
}
