package packet

import (
	"testing"

	"github.com/gvs-project/gvs/datapath/header"
)

// FuzzLayout: the walk never reads out of bounds, its offsets are ordered
// and inside the frame, a quoted walk from any offset is as safe, and
// PushVLAN/PopVLAN keep the layout equal to a fresh walk of the frame.
func FuzzLayout(f *testing.F) {
	f.Add(frame(header.EtherTypeIPv4, ipv4(header.ProtocolTCP, 0, tcp(5, 20))), uint8(1), uint16(34))
	f.Add(frame(header.EtherTypeIPv6, ipv6(header.ProtocolUDP, make([]byte, 8)), header.EtherTypeVLAN, 1), uint8(2), uint16(18))
	f.Fuzz(func(t *testing.T, fr []byte, limit uint8, qoff uint16) {
		var l Layout
		l.Parse(fr, int(limit%3))
		check(t, &l, len(fr))
		var q Layout
		q.ParseQuoted(fr, int(qoff), limit&1 == 0)
		check(t, &q, len(fr))

		pushPop(t, fr)
	})
}

func check(t *testing.T, l *Layout, n int) {
	t.Helper()
	switch {
	case !l.Has(Parsed):
		t.Fatal("not marked parsed")
	case l.L3 < 0 || l.L3 > n || l.End > n || l.L4 > l.End:
		t.Fatalf("offsets outside the frame of %d: %+v", n, *l)
	case l.L4 != 0 && (l.L3 == 0 || l.L4 <= l.L3):
		t.Fatalf("transport without a network header before it: %+v", *l)
	case l.Has(Malformed) && l.L3 != 0:
		t.Fatalf("malformed but kept: %+v", *l)
	}
}
