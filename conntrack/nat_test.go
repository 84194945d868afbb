package conntrack

import (
	"strings"
	"testing"
)

// TestNATUDPSNATPortRange: nat(src=ADDR:PMIN-PMAX) picks a port in the
// range, the reply is un-SNATed by a bare nat, and dump-conntrack shows
// the translated reply tuple.
func TestNATUDPSNATPortRange(t *testing.T) {
	basis := uint32(1)
	tr := New(Config{NATHashBasis: &basis})
	f := udpFrame(t, "192.168.1.9", 40000, "8.8.8.8", 53)
	st := natRun(tr, commit(1), snat("10.100.0.1", 5000, 5010), f, sec)
	if want := uint32(StateTrk | StateNew | StateSNAT); st != want {
		t.Fatalf("first packet: %s, want %s", stateString(st), stateString(want))
	}
	e := endsOf(t, f)
	if e.Src.String() != "10.100.0.1" || e.SPort < 5000 || e.SPort > 5010 || e.Dst.String() != "8.8.8.8" || e.DPort != 53 {
		t.Fatalf("translated to %+v", e)
	}
	port := e.SPort
	r := udpFrame(t, "8.8.8.8", 53, "10.100.0.1", port)
	st = natRun(tr, lookup(1), &natT{}, r, 2*sec)
	if want := uint32(StateTrk | StateEst | StateRpl | StateDNAT); st != want {
		t.Fatalf("reply: %s, want %s", stateString(st), stateString(want))
	}
	if e := endsOf(t, r); !e.is("8.8.8.8", 53, "192.168.1.9", 40000) {
		t.Fatalf("reply translated to %+v", e)
	}
	// The same basis picks the same port on every run.
	tr2 := New(Config{NATHashBasis: &basis})
	f2 := udpFrame(t, "192.168.1.9", 40000, "8.8.8.8", 53)
	natRun(tr2, commit(1), snat("10.100.0.1", 5000, 5010), f2, sec)
	if e := endsOf(t, f2); e.SPort != port {
		t.Errorf("same basis chose port %d, then %d", port, e.SPort)
	}
	dump := Format(tr.Dump(nil))
	want := "udp,orig=(src=192.168.1.9,dst=8.8.8.8,sport=40000,dport=53),reply=(src=8.8.8.8,dst=10.100.0.1,sport=53,dport=" + itoa(port) + "),zone=1\n"
	if dump != want {
		t.Errorf("dump:\n%s\nwant:\n%s", dump, want)
	}
	if s := tr.Stats(); s.NATEntries != 1 || s.Entries != 1 {
		t.Errorf("stats %+v", s)
	}
}

func itoa(v uint16) string {
	var b [5]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			return string(b[i:])
		}
	}
}

// TestNATTCPDNAT: a TCP connection to a virtual address is sent to the
// backend; the backend's replies come back from the virtual address, +snat
// (Open vSwitch's un-DNAT bit, checked against 3.1: a reply of a DNATed
// connection is +snat-dnat, of an SNATed one -snat+dnat), through the
// whole handshake and close.
func TestNATTCPDNAT(t *testing.T) {
	tr := New(Config{})
	nat := dnat("192.168.1.9", 0, 0)
	steps := []struct {
		fromClient bool
		flags      string
		seq, ack   uint32
		want       uint32
	}{
		{true, "S", 100, 0, StateTrk | StateNew | StateDNAT},
		{false, "SA", 500, 101, StateTrk | StateEst | StateRpl | StateSNAT},
		{true, "A", 101, 501, StateTrk | StateEst | StateDNAT},
		{true, "FA", 101, 501, StateTrk | StateEst | StateDNAT},
		{false, "FA", 501, 102, StateTrk | StateEst | StateRpl | StateSNAT},
		{true, "A", 102, 502, StateTrk | StateEst | StateDNAT},
	}
	for i, s := range steps {
		var f []byte
		req := lookup(0)
		if s.fromClient {
			f = tcpFrame(t, "1.1.1.1", 1234, "10.100.0.7", 80, s.flags, s.seq, s.ack, 1000, "")
			req = commit(0)
		} else {
			f = tcpFrame(t, "192.168.1.9", 80, "1.1.1.1", 1234, s.flags, s.seq, s.ack, 1000, "")
		}
		st := natRun(tr, req, nat, f, int64(i+1)*sec)
		if st != s.want {
			t.Fatalf("step %d: %s, want %s", i, stateString(st), stateString(s.want))
		}
		e := endsOf(t, f)
		if s.fromClient && !e.is("1.1.1.1", 1234, "192.168.1.9", 80) || !s.fromClient && !e.is("10.100.0.7", 80, "1.1.1.1", 1234) {
			t.Fatalf("step %d translated to %+v", i, e)
		}
	}
	if d := Format(tr.Dump(nil)); !strings.Contains(d, "reply=(src=192.168.1.9,dst=1.1.1.1,sport=80,dport=1234),protoinfo=(state=TIME_WAIT)") {
		t.Errorf("dump: %s", d)
	}
}

// TestNATCollisionProbing: without a port range the original port is kept
// while it is free; further clients with the same port get the next ones
// (Open vSwitch 3.1 gives 40000, 40001, ...), and replies find each
// client.
func TestNATCollisionProbing(t *testing.T) {
	tr := New(Config{})
	nat := snat("10.100.0.1", 0, 0)
	ports := map[string]uint16{}
	for i, src := range []string{"192.168.1.9", "192.168.1.10", "192.168.1.11"} {
		f := udpFrame(t, src, 40000, "8.8.8.8", 53)
		if st := natRun(tr, commit(0), nat, f, sec); st != StateTrk|StateNew|StateSNAT {
			t.Fatalf("%s: %s", src, stateString(st))
		}
		e := endsOf(t, f)
		if want := uint16(40000 + i); e.SPort != want { // as Open vSwitch 3.1 chooses
			t.Errorf("%s got port %d, want %d", src, e.SPort, want)
		}
		ports[src] = e.SPort
	}
	for src, p := range ports {
		r := udpFrame(t, "8.8.8.8", 53, "10.100.0.1", p)
		natRun(tr, lookup(0), &natT{}, r, 2*sec)
		if e := endsOf(t, r); !e.is("8.8.8.8", 53, src, 40000) {
			t.Errorf("reply to port %d went to %+v, want %s", p, e, src)
		}
	}
}

// TestNATExhaustion: when every port of the range is taken the commit is
// refused and counted, the packet stays +new and untranslated (checked
// against Open vSwitch 3.1: +new+trk without +snat, no entry, and its
// "Unable to NAT due to tuple space exhaustion" warning).
func TestNATExhaustion(t *testing.T) {
	tr := New(Config{})
	nat := snat("10.100.0.1", 5000, 5001)
	for i, src := range []string{"192.168.1.1", "192.168.1.2", "192.168.1.3"} {
		f := udpFrame(t, src, 40000, "8.8.8.8", 53)
		st := natRun(tr, commit(0), nat, f, sec)
		e := endsOf(t, f)
		if i < 2 && (st != StateTrk|StateNew|StateSNAT || e.Src.String() != "10.100.0.1") {
			t.Errorf("%s: %s %+v", src, stateString(st), e)
		}
		if i == 2 && (st != StateTrk|StateNew || e.Src.String() != src) {
			t.Errorf("%s (no port left): %s %+v", src, stateString(st), e)
		}
	}
	if s := tr.Stats(); s.NATExhausted != 1 || s.Entries != 2 {
		t.Errorf("exhausted %d entries %d, want 1 and 2", s.NATExhausted, s.Entries)
	}
}

// TestNATAddressRange: addresses of a range are used when the ports of
// the first are taken.
func TestNATAddressRange(t *testing.T) {
	tr := New(Config{})
	nat := snat("10.100.0.1-10.100.0.2", 5000, 5000)
	seen := map[string]bool{}
	for _, src := range []string{"192.168.1.1", "192.168.1.2"} {
		f := udpFrame(t, src, 40000, "8.8.8.8", 53)
		natRun(tr, commit(0), nat, f, sec)
		e := endsOf(t, f)
		seen[e.Src.String()] = true
	}
	if !seen["10.100.0.1"] || !seen["10.100.0.2"] {
		t.Errorf("addresses used: %v", seen)
	}
}

// TestNATIPv6: SNAT of an IPv6 TCP connection, both ways.
func TestNATIPv6(t *testing.T) {
	tr := New(Config{})
	nat := snat("2001:db8:100::1", 6000, 6001)
	f := tcpFrame(t, "fd00::5", 33000, "2001:db8::1", 443, "S", 1, 0, 1000, "")
	if st := natRun(tr, commit(0), nat, f, sec); st != StateTrk|StateNew|StateSNAT {
		t.Fatalf("SYN: %s", stateString(st))
	}
	e := endsOf(t, f)
	if e.Src.String() != "2001:db8:100::1" || e.SPort < 6000 || e.SPort > 6001 {
		t.Fatalf("SYN translated to %+v", e)
	}
	r := tcpFrame(t, "2001:db8::1", 443, "2001:db8:100::1", e.SPort, "SA", 9, 2, 1000, "")
	if st := natRun(tr, lookup(0), &natT{}, r, 2*sec); st != StateTrk|StateEst|StateRpl|StateDNAT {
		t.Fatalf("SYN-ACK: %s", stateString(st))
	}
	if e := endsOf(t, r); !e.is("2001:db8::1", 443, "fd00::5", 33000) {
		t.Fatalf("SYN-ACK translated to %+v", e)
	}
}

// TestNATWithoutNATClause: a ct() without nat finds a NATed connection by
// its reply tuple but leaves the packet alone.
func TestNATWithoutNATClause(t *testing.T) {
	tr := New(Config{})
	f := udpFrame(t, "192.168.1.9", 40000, "8.8.8.8", 53)
	natRun(tr, commit(0), snat("10.100.0.1", 0, 0), f, sec)
	r := udpFrame(t, "8.8.8.8", 53, "10.100.0.1", 40000)
	if st := natRun(tr, lookup(0), nil, r, 2*sec); st != StateTrk|StateEst|StateRpl {
		t.Fatalf("reply without nat: %s", stateString(st))
	}
	if e := endsOf(t, r); !e.is("8.8.8.8", 53, "10.100.0.1", 40000) {
		t.Fatalf("rewritten to %+v", e)
	}
}

// TestNATICMPError: an ICMP error about a SNATed UDP flow is +rel, its
// outer destination and its quoted packet are un-SNATed, checksums right.
func TestNATICMPError(t *testing.T) {
	for _, v := range []struct{ vm, ext, gw string }{
		{"192.168.1.9", "8.8.8.8", "10.100.0.1"},
		{"fd00::9", "2001:db8::8", "2001:db8:100::1"},
	} {
		tr := New(Config{})
		f := udpFrame(t, v.vm, 40000, v.ext, 53)
		natRun(tr, commit(0), snat(v.gw, 0, 0), f, sec)
		typ := uint8(3)
		if strings.Contains(v.vm, ":") {
			typ = 1
		}
		e := errFrame(t, v.ext, v.gw, typ, 3, f)
		st := natRun(tr, lookup(0), &natT{}, e, 2*sec)
		if st != StateTrk|StateRel|StateRpl|StateDNAT {
			t.Fatalf("%s: error is %s", v.vm, stateString(st))
		}
		if o := endsOf(t, e); o.Src.String() != v.ext || o.Dst.String() != v.vm {
			t.Errorf("%s: outer %+v", v.vm, o)
		}
		if q := quotedEnds(t, e); !q.is(v.vm, 40000, v.ext, 53) {
			t.Errorf("%s: quoted %+v", v.vm, q)
		}
	}
}

// TestNATEchoID: two hosts behind one address ping one target with the
// same id; the second gets another id (Linux's behaviour, not OVS's), and
// each reply goes back to its host with its own id.
func TestNATEchoID(t *testing.T) {
	tr := New(Config{})
	nat := snat("10.100.0.1", 0, 0)
	ids := map[string]uint16{}
	for _, src := range []string{"192.168.1.9", "192.168.1.10"} {
		f := echoFrame(t, src, "8.8.8.8", 8, 7)
		if st := natRun(tr, commit(0), nat, f, sec); st != StateTrk|StateNew|StateSNAT {
			t.Fatalf("%s: %s", src, stateString(st))
		}
		ids[src] = endsOf(t, f).SPort
	}
	if ids["192.168.1.9"] != 7 || ids["192.168.1.10"] == 7 {
		t.Fatalf("ids %v", ids)
	}
	for src, id := range ids {
		r := echoFrame(t, "8.8.8.8", "10.100.0.1", 0, id)
		if st := natRun(tr, lookup(0), &natT{}, r, 2*sec); st != StateTrk|StateEst|StateRpl|StateDNAT {
			t.Fatalf("reply id %d: %s", id, stateString(st))
		}
		if e := endsOf(t, r); e.Dst.String() != src || e.SPort != 7 {
			t.Errorf("reply id %d went to %+v", id, e)
		}
	}
}

// TestNATSecondCT: after ct(nat) un-SNATed a reply, a ct(commit) in the
// same zone (the packet's earlier state says it was translated) finds the
// same connection by the translated tuple and creates none.
func TestNATSecondCT(t *testing.T) {
	tr := New(Config{})
	f := udpFrame(t, "192.168.1.9", 40000, "8.8.8.8", 53)
	natRun(tr, commit(3), snat("10.100.0.1", 0, 0), f, sec)
	r := udpFrame(t, "8.8.8.8", 53, "10.100.0.1", 40000)
	var p packetT
	p.Reset(r, 0, len(r))
	first := tr.ExecuteNAT(&p, lookup(3), &natT{}, 2*sec)
	if first.State != StateTrk|StateEst|StateRpl|StateDNAT {
		t.Fatalf("reply: %s", stateString(uint32(first.State)))
	}
	req := &Request{Zone: 3, Commit: true, Mark: 7, MarkMask: ^uint32(0), Prev: first}
	p.Reset(r, 0, len(r))
	second := tr.ExecuteNAT(&p, req, nil, 2*sec)
	if second.State != StateTrk|StateEst|StateRpl || second.Mark != 7 {
		t.Errorf("second ct: %s mark %d", stateString(uint32(second.State)), second.Mark)
	}
	if tr.Len() != 1 {
		t.Errorf("%d entries, want 1", tr.Len())
	}
}
