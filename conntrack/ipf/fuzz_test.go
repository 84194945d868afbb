package ipf

import (
	"encoding/binary"
	"testing"
)

// FuzzReassemble feeds a Reassembler random fragment sequences: each
// 6-byte record of the input picks a family, identification, zone, data
// range, more flag and time step for one fragment of a 3000-byte datagram
// (occasionally with bytes of the frame flipped). Add must not panic, the
// datagrams it completes must be consistent, and once everything is
// released and expired no list and no fragment may be left.
func FuzzReassemble(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 185, 1, 0, 0, 0, 185, 185, 1, 0, 0, 0, 114, 120, 0})
	f.Add([]byte{1, 0, 0, 114, 120, 0, 1, 0, 0, 0, 181, 1, 1, 0, 0, 181, 181, 1})
	f.Add([]byte{2, 1, 1, 0, 180, 1, 2, 1, 1, 180, 182, 0, 0, 3, 1, 0, 0, 1})
	d := payload(3000)
	ext, kinds := [][]byte{hbh}, []uint8{0}
	f.Fuzz(func(t *testing.T, in []byte) {
		r := New()
		_ = r.SetMinFrag(false, MinFragBound)
		_ = r.SetMinFrag(true, MinFragBound)
		var now int64
		var held []*Datagram
		// Long inputs say nothing short ones do not, and each record costs
		// a frame: bound the work per input.
		in = in[:min(len(in), 6*512)]
		for len(in) >= 6 {
			rec := in[:6]
			in = in[6:]
			start := int(rec[3]) * 8 % 3000
			end := min(start+int(rec[4])*8+8, 3000)
			more := rec[5]&1 == 1
			id := uint16(rec[1] & 3)
			var fr []byte
			switch rec[0] % 4 {
			case 0:
				fr = v4(id, d, start, end, more)
			case 1:
				fr = v6(uint32(id), nil, nil, d, start, end, more, false)
			case 2:
				fr = v6(uint32(id), ext, kinds, d, start, end, more, false)
			case 3: // a mangled frame
				fr = v4(id, d, start, end, more)
				if len(in) > 0 {
					fr[int(rec[4])%len(fr)] ^= in[0]
				}
				fr = fr[:int(binary.BigEndian.Uint16(rec[2:]))%(len(fr)+1)]
			}
			now += int64(rec[5]>>1) * sec
			res := r.Add(fr, layout(fr), uint16(rec[2]&1), now)
			switch res.Verdict {
			case Complete:
				dg := res.Datagram
				if len(dg.Frags) == 0 || len(dg.Frame) == 0 || dg.Layout.IsFragment() {
					t.Fatalf("inconsistent datagram: %d fragments, %d bytes, layout %+v", len(dg.Frags), len(dg.Frame), dg.Layout)
				}
				if rec[1]&4 != 0 {
					held = append(held, dg) // left for expiry to purge
				} else {
					r.Release(dg, rec[1]&8 == 0)
				}
			case Invalid:
				if res.Reason == ReasonNone || res.Datagram != nil {
					t.Fatalf("invalid without a reason or with a datagram: %+v", res)
				}
			default:
				if res.Reason != ReasonNone || res.Datagram != nil {
					t.Fatalf("%v with reason %v", res.Verdict, res.Reason)
				}
			}
		}
		st := r.Status()
		if st.Frags < 0 || st.Frags > st.MaxFrags {
			t.Fatalf("%d fragments held, limit %d", st.Frags, st.MaxFrags)
		}
		r.Expire(now + ListLifetime + PurgeDelay + 1)
		for _, dg := range held {
			r.Release(dg, true) // purged already: no effect
		}
		st = r.Status()
		if w, dn := r.Lists(); w != 0 || dn != 0 || st.Frags != 0 {
			t.Fatalf("after expiry: %d waiting, %d done lists, %d fragments", w, dn, st.Frags)
		}
		for _, c := range [2]Counters{st.V4, st.V6} {
			if c.Accepted != c.Completed+c.Expired+c.Purged {
				t.Fatalf("counters do not add up: %+v", c)
			}
		}
	})
}
