package conntrack

import (
	"strings"
	"testing"
	"time"

	"github.com/gvs-project/gvs/datapath/packet"
)

const (
	A, B   = "10.0.0.1", "10.0.0.2"
	A6, B6 = "2001:db8::1", "2001:db8::2"
)

// step is one packet of a table-driven sequence.
type step struct {
	name   string
	frame  []byte
	commit bool
	zone   uint16
	at     int64 // seconds
	want   uint32
	dump   string // if set, a substring the single entry's dump line must have
}

func runSteps(t *testing.T, tr *Tracker, steps []step) {
	t.Helper()
	for _, s := range steps {
		a := lookup(s.zone)
		if s.commit {
			a = commit(s.zone)
		}
		got, k := run(tr, a, s.frame, s.at*sec)
		if got != s.want {
			t.Errorf("%s: ct_state %s, want %s", s.name, stateString(got), stateString(s.want))
		}
		if z := k.Zone; z != s.zone {
			t.Errorf("%s: ct_zone %d, want %d", s.name, z, s.zone)
		}
		if s.dump != "" {
			d := Format(tr.Dump(nil))
			if !strings.Contains(d, s.dump) {
				t.Errorf("%s: dump lacks %q:\n%s", s.name, s.dump, d)
			}
		}
	}
}

const (
	trk    = StateTrk
	newS   = StateTrk | StateNew
	est    = StateTrk | StateEst
	estRpl = StateTrk | StateEst | StateRpl
	inv    = StateTrk | StateInv
	relRpl = StateTrk | StateRel | StateRpl
)

func TestTCP(t *testing.T) {
	syn := tcpFrame(t, A, 40000, B, 22, "S", 1000, 0, 29200, "")
	cases := []struct {
		name  string
		cfg   Config
		steps []step
	}{
		{"handshake data fin time_wait", Config{}, []step{
			{name: "SYN lookup", frame: syn, want: newS},
			{name: "SYN commit", frame: syn, commit: true, want: newS, dump: "state=SYN_SENT"},
			{name: "SYN retransmitted", frame: syn, want: newS},
			{name: "SYN-ACK", frame: tcpFrame(t, B, 22, A, 40000, "SA", 5000, 1001, 29200, ""), want: estRpl, dump: "state=ESTABLISHED"},
			{name: "ACK", frame: tcpFrame(t, A, 40000, B, 22, "A", 1001, 5001, 29200, ""), want: est},
			{name: "data", frame: tcpFrame(t, A, 40000, B, 22, "PA", 1001, 5001, 29200, "0123456789"), want: est},
			{name: "reply data", frame: tcpFrame(t, B, 22, A, 40000, "PA", 5001, 1011, 29200, "abc"), want: estRpl},
			{name: "FIN", frame: tcpFrame(t, A, 40000, B, 22, "FA", 1011, 5004, 29200, ""), want: est, dump: "state=CLOSING"},
			{name: "FIN-ACK", frame: tcpFrame(t, B, 22, A, 40000, "FA", 5004, 1012, 29200, ""), want: estRpl},
			{name: "last ACK", frame: tcpFrame(t, A, 40000, B, 22, "A", 1012, 5005, 29200, ""), want: est, dump: "state=TIME_WAIT"},
			{name: "new SYN reusing the ports", frame: tcpFrame(t, A, 40000, B, 22, "S", 90000, 0, 29200, ""), want: newS},
		}},
		{"rst", Config{}, []step{
			{name: "SYN", frame: syn, commit: true, want: newS},
			{name: "SYN-ACK", frame: tcpFrame(t, B, 22, A, 40000, "SA", 5000, 1001, 29200, ""), want: estRpl},
			{name: "RST", frame: tcpFrame(t, B, 22, A, 40000, "RA", 5001, 1001, 0, ""), want: estRpl, dump: "state=TIME_WAIT"},
			{name: "ACK after RST", frame: tcpFrame(t, A, 40000, B, 22, "A", 1001, 5001, 29200, ""), want: est},
			{name: "SYN after RST starts anew", frame: tcpFrame(t, A, 40000, B, 22, "S", 7, 0, 29200, ""), commit: true, want: newS, dump: "state=SYN_SENT"},
		}},
		{"window", Config{}, []step{
			{name: "SYN", frame: syn, commit: true, want: newS},
			{name: "SYN-ACK acking the wrong thing", frame: tcpFrame(t, B, 22, A, 40000, "SA", 5000, 1001+0x10000000, 29200, ""), want: inv},
			{name: "SYN-ACK", frame: tcpFrame(t, B, 22, A, 40000, "SA", 5000, 1001, 29200, ""), want: estRpl},
			{name: "ACK", frame: tcpFrame(t, A, 40000, B, 22, "A", 1001, 5001, 29200, ""), want: est},
			{name: "beyond the window", frame: tcpFrame(t, A, 40000, B, 22, "PA", 1001+40000, 5001, 29200, "x"), want: inv},
			{name: "far behind the window", frame: tcpFrame(t, A, 40000, B, 22, "PA", 1001+0xf0000000, 5001, 29200, "x"), want: inv},
			{name: "acking unsent data", frame: tcpFrame(t, B, 22, A, 40000, "A", 5001, 1001+0x100000, 29200, ""), want: inv},
			{name: "in the window still fine", frame: tcpFrame(t, A, 40000, B, 22, "PA", 1001, 5001, 29200, "x"), want: est},
		}},
		{"liberal", Config{Liberal: true}, []step{
			{name: "SYN", frame: syn, commit: true, want: newS},
			{name: "SYN-ACK", frame: tcpFrame(t, B, 22, A, 40000, "SA", 5000, 1001, 29200, ""), want: estRpl},
			{name: "beyond the window", frame: tcpFrame(t, A, 40000, B, 22, "PA", 1001+0x40000000, 5001, 29200, "x"), want: est},
		}},
		{"flags", Config{}, []step{
			{name: "SYN+FIN", frame: tcpFrame(t, A, 1, B, 2, "SF", 1, 0, 100, ""), commit: true, want: inv},
			{name: "SYN+RST", frame: tcpFrame(t, A, 1, B, 2, "SR", 1, 0, 100, ""), commit: true, want: inv},
			{name: "FIN without ACK", frame: tcpFrame(t, A, 1, B, 2, "F", 1, 0, 100, ""), commit: true, want: inv},
			{name: "no flags", frame: tcpFrame(t, A, 1, B, 2, "", 1, 0, 100, ""), commit: true, want: inv},
			{name: "SYN-ACK cannot start a connection", frame: tcpFrame(t, A, 1, B, 2, "SA", 1, 1, 100, ""), commit: true, want: inv},
			{name: "RST starts one (as in OVS)", frame: tcpFrame(t, A, 3, B, 4, "R", 1, 0, 0, ""), commit: true, want: newS},
			{name: "mid-stream ACK starts one", frame: tcpFrame(t, A, 5, B, 6, "A", 100, 200, 1000, ""), commit: true, want: newS},
			{name: "its answer", frame: tcpFrame(t, B, 6, A, 5, "A", 200, 100, 1000, ""), want: estRpl},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { runSteps(t, New(c.cfg), c.steps) })
	}
}

func TestTCPTimeouts(t *testing.T) {
	tr := New(Config{})
	syn := tcpFrame(t, A, 40000, B, 22, "S", 1000, 0, 29200, "")
	run(tr, commit(0), syn, 0)
	expires := func() time.Duration { return time.Duration(tr.Dump(nil)[0].Expires) }
	if e := expires(); e != 30*time.Second {
		t.Fatalf("first packet: expires at %v, want 30s", e)
	}
	run(tr, lookup(0), tcpFrame(t, B, 22, A, 40000, "SA", 5000, 1001, 29200, ""), sec)
	if e := expires(); e != 31*time.Second {
		t.Fatalf("opening: %v, want 31s", e)
	}
	run(tr, lookup(0), tcpFrame(t, A, 40000, B, 22, "A", 1001, 5001, 29200, ""), 2*sec)
	if e := expires(); e != 2*time.Second+24*time.Hour {
		t.Fatalf("established: %v, want 24h2s", e)
	}
	run(tr, lookup(0), tcpFrame(t, A, 40000, B, 22, "FA", 1001, 5001, 29200, ""), 3*sec)
	if e := expires(); e != 3*time.Second+15*time.Minute {
		t.Fatalf("closing: %v, want 15m3s", e)
	}
	run(tr, lookup(0), tcpFrame(t, B, 22, A, 40000, "FA", 5001, 1002, 29200, ""), 4*sec)
	if e := expires(); e != 4*time.Second+45*time.Second {
		t.Fatalf("fin wait: %v, want 49s", e)
	}
	run(tr, lookup(0), tcpFrame(t, A, 40000, B, 22, "A", 1002, 5002, 29200, ""), 5*sec)
	if e := expires(); e != 35*time.Second {
		t.Fatalf("closed: %v, want 35s", e)
	}
	if st, _ := run(tr, lookup(0), tcpFrame(t, A, 40000, B, 22, "A", 1002, 5002, 29200, ""), 36*sec); st != newS {
		t.Fatalf("after expiry: %s, want +new+trk", stateString(st))
	}
	if tr.Len() != 0 {
		t.Fatalf("%d entries after lazy expiry", tr.Len())
	}
}

func TestConfiguredTimeouts(t *testing.T) {
	tr := New(Config{Timeouts: Timeouts{OtherFirst: 5 * time.Second}})
	run(tr, commit(0), udpFrame(t, A, 1, B, 2), 0)
	if e := tr.Dump(nil)[0].Expires; e != 5*sec {
		t.Fatalf("udp first: %d, want 5s", e)
	}
}

func TestUDP(t *testing.T) {
	out, back := udpFrame(t, A, 1000, B, 53), udpFrame(t, B, 53, A, 1000)
	tr := New(Config{})
	runSteps(t, tr, []step{
		{name: "reply-less lookup", frame: back, want: newS},
		{name: "first", frame: out, commit: true, want: newS},
		{name: "second before a reply", frame: out, want: newS},
		{name: "third before a reply", frame: out, want: newS},
		{name: "reply", frame: back, want: estRpl},
		{name: "after the reply", frame: out, want: est},
	})
	if e := tr.Dump(nil)[0].Expires; e != 30*sec {
		t.Fatalf("replied udp expires at %d, want 30s", e)
	}
}

func TestICMP(t *testing.T) {
	for _, fam := range []struct {
		name, a, b              string
		req, rep, unreach, code uint8
	}{
		{"v4", A, B, 8, 0, 3, 3},
		{"v6", A6, B6, 128, 129, 1, 4},
	} {
		t.Run(fam.name, func(t *testing.T) {
			u := udpFrame(t, fam.a, 1000, fam.b, 53)
			tr := New(Config{})
			runSteps(t, tr, []step{
				{name: "echo reply without request", frame: echoFrame(t, fam.b, fam.a, fam.rep, 7), commit: true, want: inv},
				{name: "echo request", frame: echoFrame(t, fam.a, fam.b, fam.req, 7), commit: true, want: newS},
				{name: "echo request again", frame: echoFrame(t, fam.a, fam.b, fam.req, 7), want: newS},
				{name: "echo reply", frame: echoFrame(t, fam.b, fam.a, fam.rep, 7), want: estRpl},
				{name: "other id", frame: echoFrame(t, fam.b, fam.a, fam.rep, 8), want: inv},
				{name: "error before the udp entry", frame: errFrame(t, fam.b, fam.a, fam.unreach, fam.code, u), want: inv},
				{name: "udp", frame: u, commit: true, want: newS},
				{name: "error quoting it", frame: errFrame(t, fam.b, fam.a, fam.unreach, fam.code, u), commit: true, want: relRpl},
				{name: "error the other way", frame: errFrame(t, fam.a, fam.b, fam.unreach, fam.code, udpFrame(t, fam.b, 53, fam.a, 1000)), want: StateTrk | StateRel},
				{name: "error quoting an echo request", frame: errFrame(t, fam.b, fam.a, fam.unreach, fam.code, echoFrame(t, fam.a, fam.b, fam.req, 7)), want: relRpl},
			})
			if tr.Len() != 2 {
				t.Fatalf("%d entries, want 2 (echo, udp): errors must not create any\n%s", tr.Len(), Format(tr.Dump(nil)))
			}
		})
	}
}

func TestZones(t *testing.T) {
	tr := New(Config{})
	u, back := udpFrame(t, A, 1, B, 2), udpFrame(t, B, 2, A, 1)
	runSteps(t, tr, []step{
		{name: "commit in zone 1", frame: u, commit: true, zone: 1, want: newS},
		{name: "reply in zone 2 sees nothing", frame: back, zone: 2, want: newS},
		{name: "reply in zone 1", frame: back, zone: 1, want: estRpl},
		{name: "commit in zone 2", frame: u, commit: true, zone: 2, want: newS},
	})
	if s := tr.Stats(); s.ZoneEntries[1] != 1 || s.ZoneEntries[2] != 1 || s.Entries != 2 {
		t.Fatalf("stats %+v", s)
	}
}

// TestZoneResult: the result carries the request's zone and the entry is
// made in it (the datapath's adapter computes zone=reg6[0..15]; its test is
// in datapath/conntrack_test.go).
func TestZoneResult(t *testing.T) {
	tr := New(Config{})
	var k Result
	execute(tr, &Request{Commit: true, Zone: 9}, udpFrame(t, A, 1, B, 2), &k, 0)
	if z := k.Zone; z != 9 {
		t.Fatalf("zone %d, want 9", z)
	}
	if d := tr.Dump(nil); len(d) != 1 || d[0].Zone != 9 {
		t.Fatalf("dump %v", d)
	}
}

func TestCommitOnly(t *testing.T) {
	tr := New(Config{})
	for i := 0; i < 3; i++ {
		run(tr, lookup(0), udpFrame(t, A, 1, B, 2), 0)
		run(tr, lookup(0), tcpFrame(t, A, 1, B, 2, "S", 1, 0, 100, ""), 0)
	}
	if tr.Len() != 0 {
		t.Fatalf("lookups without commit created %d entries", tr.Len())
	}
}

func TestMarkLabel(t *testing.T) {
	tr := New(Config{})
	a := &Request{Commit: true, Mark: 0x12, MarkMask: ^uint32(0),
		Label: packet.Label{Hi: 1, Lo: 0xf0}, LabelMask: packet.Label{Hi: ^uint64(0), Lo: 0xff}}
	u := udpFrame(t, A, 1, B, 2)
	_, k := run(tr, a, u, 0)
	if k.Mark != 0x12 || k.Label != (packet.Label{Hi: 1, Lo: 0xf0}) {
		t.Fatalf("result after commit: mark %#x label %v", k.Mark, k.Label)
	}
	// A masked update keeps the other bits.
	run(tr, &Request{Commit: true, Mark: 0x100, MarkMask: 0xf00}, u, 0)
	_, k = run(tr, lookup(0), udpFrame(t, B, 2, A, 1), 0)
	if k.Mark != 0x112 || k.Label.Hi != 1 {
		t.Fatalf("reply sees mark %#x label %v", k.Mark, k.Label)
	}
	want := "udp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=1,dport=2),reply=(src=10.0.0.2,dst=10.0.0.1,sport=2,dport=1),mark=274,labels=0x100000000000000f0\n"
	if d := Format(tr.Dump(nil)); d != want {
		t.Fatalf("dump:\n%swant:\n%s", d, want)
	}
}

func TestForce(t *testing.T) {
	tr := New(Config{})
	force := &Request{Commit: true, Force: true}
	run(tr, commit(0), udpFrame(t, A, 1, B, 2), 0)
	if st, _ := run(tr, force, udpFrame(t, A, 1, B, 2), 0); st != newS {
		t.Fatalf("force on the original direction: %s, want it kept (+new before a reply)", stateString(st))
	}
	if st, _ := run(tr, force, udpFrame(t, B, 2, A, 1), 0); st != newS {
		t.Fatalf("force on the reply direction: %s, want a new entry", stateString(st))
	}
	d := tr.Dump(nil)
	if len(d) != 1 || d[0].Orig.Src.String() != B {
		t.Fatalf("after force: %s", Format(d))
	}
}

// TestAlreadyTracked: a second ct() in the same zone on the same packet
// does not run the state machine again (the commit after a lookup of a
// retransmitted SYN stays +new, a reply is not counted twice).
func TestAlreadyTracked(t *testing.T) {
	tr := New(Config{})
	u := udpFrame(t, A, 1, B, 2)
	run(tr, commit(0), u, 0)
	var k Result
	execute(tr, lookup(0), u, &k, 0)
	execute(tr, commit(0), u, &k, 0)
	if st := uint32(k.State); st != newS {
		t.Fatalf("second ct on the same packet: %s", stateString(st))
	}
	// In another zone it is a different lookup.
	execute(tr, commit(3), u, &k, 0)
	if tr.Len() != 2 {
		t.Fatalf("%d entries, want 2", tr.Len())
	}
}

func TestLimitsEarlyDrop(t *testing.T) {
	tr := New(Config{MaxEntries: 4})
	// Two replied connections, then fill with unreplied ones.
	for p := uint16(1); p <= 2; p++ {
		run(tr, commit(0), udpFrame(t, A, p, B, 9), 0)
		run(tr, lookup(0), udpFrame(t, B, 9, A, p), 0)
	}
	for p := uint16(3); p <= 10; p++ {
		run(tr, commit(0), udpFrame(t, A, p, B, 9), 0)
		if tr.Len() > 4 {
			t.Fatalf("%d entries over the limit of 4", tr.Len())
		}
	}
	s := tr.Stats()
	if s.EarlyDrop == 0 {
		t.Fatalf("no early drop: %+v", s)
	}
	// The replied connections survived.
	for p := uint16(1); p <= 2; p++ {
		if st, _ := run(tr, lookup(0), udpFrame(t, B, 9, A, p), 0); st != estRpl {
			t.Fatalf("replied connection %d evicted (%s)", p, stateString(st))
		}
	}
	// Only replied entries: a commit is refused, not forced in.
	tr2 := New(Config{MaxEntries: 2})
	for p := uint16(1); p <= 2; p++ {
		run(tr2, commit(0), udpFrame(t, A, p, B, 9), 0)
		run(tr2, lookup(0), udpFrame(t, B, 9, A, p), 0)
	}
	if st, _ := run(tr2, commit(0), udpFrame(t, A, 3, B, 9), 0); st != newS || tr2.Len() != 2 || tr2.Stats().LimitDrop != 1 {
		t.Fatalf("full of replied entries: %s, %d entries, %+v", stateString(st), tr2.Len(), tr2.Stats())
	}

	// Per-zone limit.
	tr3 := New(Config{ZoneLimits: map[uint16]int{5: 2}})
	for p := uint16(1); p <= 6; p++ {
		run(tr3, commit(5), udpFrame(t, A, p, B, 9), 0)
		run(tr3, commit(6), udpFrame(t, A, p, B, 9), 0)
	}
	if s := tr3.Stats(); s.ZoneEntries[5] != 2 || s.ZoneEntries[6] != 6 {
		t.Fatalf("zone limit: %+v", s)
	}
	tr3.SetZoneLimit(5, 0)
	run(tr3, commit(5), udpFrame(t, A, 100, B, 9), 0)
	if tr3.Stats().ZoneEntries[5] != 3 {
		t.Fatal("limit removed but zone still capped")
	}
}

func TestSweepAndFlush(t *testing.T) {
	tr := New(Config{})
	for p := uint16(1); p <= 10; p++ {
		run(tr, commit(p%2), udpFrame(t, A, p, B, 9), 0)
	}
	run(tr, commit(0), tcpFrame(t, A, 1, B, 2, "S", 1, 0, 100, ""), 0)
	if n := tr.Sweep(29 * sec); n != 0 {
		t.Fatalf("swept %d before any timeout", n)
	}
	if n := tr.Sweep(30 * sec); n != 1 || tr.Len() != 10 {
		t.Fatalf("swept %d at 30s (TCP first packet), %d left", n, tr.Len())
	}
	if n := tr.Sweep(60 * sec); n != 10 || tr.Len() != 0 {
		t.Fatalf("swept %d at 60s (UDP first), %d left", n, tr.Len())
	}
	for p := uint16(1); p <= 10; p++ {
		run(tr, commit(p%2), udpFrame(t, A, p, B, 9), 100*sec)
	}
	z := uint16(1)
	if n := tr.Flush(&z); n != 5 {
		t.Fatalf("flush zone 1: %d", n)
	}
	if d := tr.Dump(&z); len(d) != 0 {
		t.Fatalf("zone 1 after flush: %v", d)
	}
	if n := tr.Flush(nil); n != 5 || tr.Len() != 0 {
		t.Fatalf("flush all: %d, left %d", n, tr.Len())
	}
	// The slots are reused.
	for p := uint16(1); p <= 10; p++ {
		run(tr, commit(0), udpFrame(t, A, p, B, 9), 200*sec)
	}
	if tr.Len() != 10 {
		t.Fatalf("%d after refill", tr.Len())
	}
}

func TestStartClose(t *testing.T) {
	tr := New(Config{Timeouts: Timeouts{OtherFirst: time.Millisecond}})
	run(tr, commit(0), udpFrame(t, A, 1, B, 2), time.Now().UnixNano())
	tr.Start(5 * time.Millisecond)
	deadline := time.Now().Add(5 * time.Second)
	for tr.Len() != 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	tr.Close()
	tr.Close()
	if tr.Len() != 0 {
		t.Fatal("background sweep did not expire the entry")
	}
}

func TestIPv6TCP(t *testing.T) {
	tr := New(Config{})
	runSteps(t, tr, []step{
		{name: "SYN", frame: tcpFrame(t, A6, 1, B6, 2, "S", 1, 0, 1000, ""), commit: true, want: newS},
		{name: "SYN-ACK", frame: tcpFrame(t, B6, 2, A6, 1, "SA", 9, 2, 1000, ""), want: estRpl},
		{name: "ACK", frame: tcpFrame(t, A6, 1, B6, 2, "A", 2, 10, 1000, ""), want: est,
			dump: "tcp,orig=(src=2001:db8::1,dst=2001:db8::2,sport=1,dport=2),reply=(src=2001:db8::2,dst=2001:db8::1,sport=2,dport=1),protoinfo=(state=ESTABLISHED)"},
	})
}

func TestInvalidFrames(t *testing.T) {
	tr := New(Config{})
	u := udpFrame(t, A, 1, B, 2)
	bad := append([]byte(nil), u...)
	bad[14+10] ^= 0xff // IPv4 header checksum
	badUDP := append([]byte(nil), u...)
	badUDP[14+20+8] ^= 0xff // payload
	frag := append([]byte(nil), u...)
	frag[14+6] = 0x20 // MF
	for name, f := range map[string][]byte{
		"empty": nil, "short": u[:10], "arp": append(append([]byte(nil), u[:12]...), 0x08, 0x06, 0, 1),
		"truncated ip": u[:14+12], "bad ip checksum": bad, "bad udp checksum": badUDP, "fragment": frag,
	} {
		if st, _ := run(tr, commit(0), f, 0); st != inv {
			t.Errorf("%s: %s, want +inv+trk", name, stateString(st))
		}
	}
	if tr.Len() != 0 || tr.Stats().Invalid != 7 {
		t.Fatalf("%d entries, %+v", tr.Len(), tr.Stats())
	}
	nc := New(Config{NoChecksums: true})
	if st, _ := run(nc, commit(0), badUDP, 0); st != newS {
		t.Fatalf("NoChecksums: %s", stateString(st))
	}
}

func TestNATCounted(t *testing.T) {
	tr := New(Config{})
	a := commit(0)
	a.NAT = true
	run(tr, a, udpFrame(t, A, 1, B, 2), 0)
	if tr.Stats().NATIgnored != 1 {
		t.Fatal("nat clause not counted")
	}
}

func TestOtherProtocol(t *testing.T) {
	tr := New(Config{})
	f := tcpFrame(t, A, 1, B, 2, "S", 1, 0, 1, "")
	gre := append([]byte(nil), f...)
	gre[14+9] = 47
	gre[14+10], gre[14+11] = 0, 0
	// recompute the IPv4 header checksum
	var s uint32
	for i := 14; i < 34; i += 2 {
		s += uint32(gre[i])<<8 | uint32(gre[i+1])
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	gre[14+10], gre[14+11] = byte(^s>>8), byte(^s)
	if st, _ := run(tr, commit(0), gre, 0); st != newS {
		t.Fatalf("gre: %s", stateString(st))
	}
	want := "47,orig=(src=10.0.0.1,dst=10.0.0.2,sport=0,dport=0),reply=(src=10.0.0.2,dst=10.0.0.1,sport=0,dport=0)\n"
	if d := Format(tr.Dump(nil)); d != want {
		t.Fatalf("dump %q", d)
	}
}

// TestEarlyDropAcrossShards: with the table full of unreplied entries, a
// new connection that hashes to an empty shard still gets room.
func TestEarlyDropAcrossShards(t *testing.T) {
	tr := New(Config{MaxEntries: 64})
	for p := uint16(1); p <= 64; p++ {
		run(tr, commit(0), udpFrame(t, A, p, B, 9), 0)
	}
	refused := 0
	for p := uint16(1000); p < 1100; p++ {
		run(tr, commit(0), udpFrame(t, A, p, B, 9), 0)
		if tr.Len() > 64 {
			t.Fatalf("%d entries over 64", tr.Len())
		}
	}
	refused = int(tr.Stats().LimitDrop)
	if refused > 10 {
		t.Fatalf("%d of 100 new connections refused although every entry is unreplied", refused)
	}
}

// TestConcurrent runs lookups, commits, sweeps, dumps and flushes from
// several goroutines (for -race).
func TestConcurrent(t *testing.T) {
	tr := New(Config{MaxEntries: 500})
	frames := make([][]byte, 64)
	for i := range frames {
		frames[i] = udpFrame(t, A, uint16(i), B, 9)
	}
	done := make(chan bool)
	for g := 0; g < 4; g++ {
		go func(g int) {
			for i := 0; i < 2000; i++ {
				var k Result
				execute(tr, commit(uint16(g%2)), frames[(i*7+g)%len(frames)], &k, int64(i)*sec/10)
				if i%500 == 0 {
					tr.Dump(nil)
				}
			}
			done <- true
		}(g)
	}
	go func() {
		for i := 0; i < 20; i++ {
			tr.Sweep(int64(i) * 10 * sec)
			z := uint16(1)
			tr.Flush(&z)
			tr.Stats()
		}
		done <- true
	}()
	for i := 0; i < 5; i++ {
		<-done
	}
	tr.Sweep(200 * sec)
	if n := len(tr.Dump(nil)); n != tr.Len() {
		t.Fatalf("dump %d, count %d", n, tr.Len())
	}
}

// TestDumpHidesExpired: an entry past its timeout that nothing has removed
// yet is not dumped (Open vSwitch does not show it either).
func TestDumpHidesExpired(t *testing.T) {
	tr := New(Config{})
	run(tr, commit(0), udpFrame(t, A, 1, B, 2), 0)
	run(tr, commit(0), udpFrame(t, A, 3, B, 4), 50*sec)
	if d := tr.Dump(nil); len(d) != 2 {
		t.Fatalf("at 50 s: %d entries", len(d))
	}
	run(tr, lookup(0), udpFrame(t, A, 5, B, 6), 61*sec)
	if d := tr.Dump(nil); len(d) != 1 || d[0].Orig.SrcPort != 3 {
		t.Fatalf("at 61 s: %s", Format(d))
	}
}

// TestSelfTuple: a connection whose two directions have the same tuple
// (same address and port at both ends) is stored, found and removed.
func TestSelfTuple(t *testing.T) {
	tr := New(Config{})
	u := udpFrame(t, A, 7, A, 7)
	if st, _ := run(tr, commit(0), u, 0); st != newS {
		t.Fatalf("first: %s", stateString(st))
	}
	if st, _ := run(tr, lookup(0), u, 0); st&StateTrk == 0 || st&StateInv != 0 {
		t.Fatalf("second: %s", stateString(st))
	}
	if n := tr.Flush(nil); n != 1 || tr.Len() != 0 {
		t.Fatalf("flush: %d, %d left", n, tr.Len())
	}
	if st, _ := run(tr, lookup(0), u, 0); st != newS {
		t.Fatalf("after flush: %s", stateString(st))
	}
}
