package ipf

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/gvs-project/gvs/datapath/header"
)

func TestExpiry(t *testing.T) {
	d := payload(3000)
	tests := []struct {
		name     string
		at       int64 // when Expire runs, after a fragment at 0
		wantGone bool
	}{
		{"before the lifetime", ListLifetime - 1, false},
		{"at the lifetime", ListLifetime, false},
		{"after the lifetime", ListLifetime + 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New()
			f := v4(1, d, 0, 1480, true)
			if res := r.Add(f, layout(f), 0, 0); res.Verdict != Held {
				t.Fatalf("first fragment: %v", res.Verdict)
			}
			n := r.Expire(tt.at)
			waiting, _ := r.Lists()
			st := r.Status()
			if tt.wantGone {
				if n != 1 || waiting != 0 || st.Frags != 0 || st.V4.Expired != 1 {
					t.Errorf("removed %d, %d waiting, %d held, %d expired: want 1, 0, 0, 1", n, waiting, st.Frags, st.V4.Expired)
				}
				// The rest of the datagram starts a new list.
				g := v4(1, d, 2960, 3000, false)
				if res := r.Add(g, layout(g), 0, tt.at); res.Verdict != Held {
					t.Errorf("late fragment: %v, want held", res.Verdict)
				}
				return
			}
			if n != 0 || waiting != 1 || st.Frags != 1 || st.V4.Expired != 0 {
				t.Errorf("removed %d, %d waiting, %d held, %d expired: want 0, 1, 1, 0", n, waiting, st.Frags, st.V4.Expired)
			}
		})
	}
}

// TestAddExpires checks that Add expires what is due before it looks up
// the fragment's list.
func TestAddExpires(t *testing.T) {
	r := New()
	d := payload(3000)
	f := v4(1, d, 0, 1480, true)
	r.Add(f, layout(f), 0, 0)
	g := v4(1, d, 1480, 2960, true)
	if res := r.Add(g, layout(g), 0, ListLifetime+1); res.Verdict != Held {
		t.Fatalf("got %v", res.Verdict)
	}
	if st := r.Status(); st.V4.Expired != 1 || st.Frags != 1 {
		t.Errorf("expired %d, held %d: want 1, 1", st.V4.Expired, st.Frags)
	}
}

// complete3 feeds r a whole 3-fragment IPv4 datagram with identification
// id in zone at now and returns the result of the last fragment.
func complete3(r *Reassembler, id uint16, zone uint16, now int64) Result {
	d := payload(3000)
	var res Result
	for _, p := range [][3]int{{0, 1480, 1}, {1480, 2960, 1}, {2960, 3000, 0}} {
		f := v4(id, d, p[0], p[1], p[2] == 1)
		res = r.Add(f, layout(f), zone, now)
	}
	return res
}

func TestRelease(t *testing.T) {
	tests := []struct {
		name string
		run  func(r *Reassembler, d *Datagram)
		want Counters
	}{
		{"sent", func(r *Reassembler, d *Datagram) { r.Release(d, true) }, Counters{Accepted: 3, Completed: 3}},
		{"not sent", func(r *Reassembler, d *Datagram) { r.Release(d, false) }, Counters{Accepted: 3, Purged: 3}},
		{"twice", func(r *Reassembler, d *Datagram) { r.Release(d, true); r.Release(d, true) }, Counters{Accepted: 3, Completed: 3}},
		{"never, purged", func(r *Reassembler, d *Datagram) {
			r.Expire(ListLifetime + PurgeDelay)
			if _, done := r.Lists(); done != 1 {
				t.Errorf("purged before its time")
			}
			r.Expire(ListLifetime + PurgeDelay + 1)
			r.Release(d, true) // too late: nothing
		}, Counters{Accepted: 3, Purged: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New()
			res := complete3(r, 1, 0, 0)
			if res.Verdict != Complete {
				t.Fatalf("got %v", res.Verdict)
			}
			if st := r.Status(); st.Frags != 3 {
				t.Errorf("%d held before release, want 3", st.Frags)
			}
			tt.run(r, res.Datagram)
			st := r.Status()
			if st.V4 != tt.want || st.Frags != 0 {
				t.Errorf("counters %+v with %d held, want %+v with 0", st.V4, st.Frags, tt.want)
			}
			if w, d := r.Lists(); w != 0 || d != 0 {
				t.Errorf("%d waiting, %d done lists left", w, d)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	d := payload(3000)
	first := func(id uint16) []byte { return v4(id, d, 0, 1480, true) }
	tests := []struct {
		name  string
		setup func(r *Reassembler)
		frags [][]byte
		zones []uint16 // per fragment; none: zone 0
		want  []Result
	}{
		{"max frags", func(r *Reassembler) { _ = r.SetMaxFrags(2) },
			[][]byte{first(1), first(2), first(3), v4(1, d, 1480, 2960, true)}, nil,
			[]Result{{Verdict: Held}, {Verdict: Held}, {Verdict: Invalid, Reason: ReasonTooManyFrags}, {Verdict: Invalid, Reason: ReasonTooManyFrags}}},
		{"list full", func(r *Reassembler) { r.fam[0].maxList = 1 },
			[][]byte{first(1), v4(1, d, 1480, 2960, true)}, nil,
			[]Result{{Verdict: Held}, {Verdict: Invalid, Reason: ReasonListFull}}},
		{"min frag raised", func(r *Reassembler) { _ = r.SetMinFrag(false, 1501) },
			[][]byte{first(1)}, nil, []Result{{Verdict: Invalid, Reason: ReasonTooSmall}}},
		{"min frag lowered", func(r *Reassembler) { _ = r.SetMinFrag(false, 400) },
			[][]byte{v4(1, d, 0, 400, true)}, nil, []Result{{Verdict: Held}}},
		{"v4 disabled", func(r *Reassembler) { r.SetEnabled(false, false) },
			[][]byte{first(1)}, nil, []Result{{Verdict: NotFragment}}},
		{"zones apart", nil,
			[][]byte{first(1), first(1), first(1)}, []uint16{0, 1, 1},
			[]Result{{Verdict: Held}, {Verdict: Held}, {Verdict: Invalid, Reason: ReasonDuplicate}}},
		{"not a fragment", nil,
			[][]byte{v4(1, d, 0, 3000, false), v6(1, nil, nil, d, 0, 3000, false, true)}, nil,
			[]Result{{Verdict: NotFragment}, {Verdict: NotFragment}}},
		{"bad checksum", nil,
			[][]byte{func() []byte { f := first(1); f[14+10]++; return f }()}, nil,
			[]Result{{Verdict: Invalid, Reason: ReasonBadChecksum}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New()
			if tt.setup != nil {
				tt.setup(r)
			}
			for i, f := range tt.frags {
				var zone uint16
				if tt.zones != nil {
					zone = tt.zones[i]
				}
				got := r.Add(f, layout(f), zone, 0)
				if got != tt.want[i] {
					t.Errorf("fragment %d: got %+v, want %+v", i, got, tt.want[i])
				}
			}
		})
	}
}

func TestSetters(t *testing.T) {
	r := New()
	if err := r.SetMinFrag(false, MinFragBound-1); err == nil {
		t.Error("SetMinFrag below the bound succeeded")
	}
	if err := r.SetMinFrag(true, MinFragBound); err != nil {
		t.Error(err)
	}
	if err := r.SetMaxFrags(MaxFragsBound + 1); err == nil {
		t.Error("SetMaxFrags above the bound succeeded")
	}
	if err := r.SetMaxFrags(MaxFragsBound); err != nil {
		t.Error(err)
	}
	st := r.Status()
	if st.MinFragV4 != DefaultMinFragV4 || st.MinFragV6 != MinFragBound || st.MaxFrags != MaxFragsBound {
		t.Errorf("status %+v", st)
	}
}

// TestStatusString compares with ovs-appctl dpctl/ipf-get-status of a
// fresh Open vSwitch 3.1 userspace datapath.
func TestStatusString(t *testing.T) {
	const ovs = `        Fragmentation Module Status
        ---------------------------
        v4 enabled: 1
        v6 enabled: 1
        max num frags (v4/v6): 1000
        num frag: 0
        min v4 frag size: 1200
        v4 frags accepted: 0
        v4 frags completed: 0
        v4 frags expired: 0
        v4 frags too small: 0
        v4 frags overlapped: 0
        v4 frags purged: 0
        min v6 frag size: 1280
        v6 frags accepted: 0
        v6 frags completed: 0
        v6 frags expired: 0
        v6 frags too small: 0
        v6 frags overlapped: 0
        v6 frags purged: 0
`
	if got := New().Status().String(); got != ovs {
		t.Errorf("got\n%s\nwant\n%s", got, ovs)
	}
}

// withOptions returns the IPv4 frame f with n bytes of NOP options added
// to its header.
func withOptions(f []byte, n int) []byte {
	ip := f[14:]
	hl := int(ip[0]&0xf) * 4
	g := append(append(append([]byte(nil), f[:14+hl]...), bytes.Repeat([]byte{1}, n)...), ip[hl:]...)
	h := g[14:]
	h[0] = 0x40 | byte((hl+n)/4)
	binary.BigEndian.PutUint16(h[2:], binary.BigEndian.Uint16(h[2:])+uint16(n))
	binary.BigEndian.PutUint16(h[10:], 0)
	binary.BigEndian.PutUint16(h[10:], header.Checksum(h[:hl+n], 0))
	return g
}

// TestOversizedByFirstHeader: the first fragment's header is the
// datagram's, so a longer one can push held data past 64K.
func TestOversizedByFirstHeader(t *testing.T) {
	d := payload(65535)
	tests := []struct {
		name  string
		frags [][]byte
		want  Result
	}{
		{"first with options after the tail", [][]byte{v4(1, d, 64000, 65512, false), withOptions(v4(1, d, 0, 1480, true), 40)},
			Result{Verdict: Invalid, Reason: ReasonOversized}},
		{"tail after a first with options", [][]byte{withOptions(v4(1, d, 0, 1480, true), 40), v4(1, d, 64000, 65512, false)},
			Result{Verdict: Invalid, Reason: ReasonOversized}},
		{"tail that fits", [][]byte{withOptions(v4(1, d, 0, 1480, true), 40), v4(1, d, 64000, 65472, false)},
			Result{Verdict: Held}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New()
			var got Result
			for _, f := range tt.frags {
				got = r.Add(f, nil, 0, 0) // nil: Add parses
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
