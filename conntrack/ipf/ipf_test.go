package ipf

import (
	"bytes"
	"testing"
)

// piece is one fragment of a test datagram and what Add must say to it.
type piece struct {
	start, end int
	more       bool
	want       Verdict
	why        Reason
}

const sec = int64(1e9)

func TestAdd(t *testing.T) {
	d4 := payload(3000) // 1480 + 1480 + 40
	d6 := payload(3000) // 1448 + 1448 + 104
	big := payload(65535)
	tests := []struct {
		name   string
		v6     bool
		ext    bool // IPv6: a hop-by-hop header before the fragment header
		data   []byte
		pieces []piece
		want   Counters // after the complete datagram, if any, is released as sent
	}{
		{"v4 in order", false, false, d4, []piece{
			{0, 1480, true, Held, 0}, {1480, 2960, true, Held, 0}, {2960, 3000, false, Complete, 0},
		}, Counters{Accepted: 3, Completed: 3}},
		{"v4 out of order", false, false, d4, []piece{
			{2960, 3000, false, Held, 0}, {0, 1480, true, Held, 0}, {1480, 2960, true, Complete, 0},
		}, Counters{Accepted: 3, Completed: 3}},
		{"v4 duplicate", false, false, d4, []piece{
			{0, 1480, true, Held, 0}, {0, 1480, true, Invalid, ReasonDuplicate},
			{1480, 2960, true, Held, 0}, {2960, 3000, false, Complete, 0},
		}, Counters{Accepted: 3, Completed: 3, Overlap: 1}},
		{"v4 overlap", false, false, d4, []piece{
			{0, 1480, true, Held, 0}, {1472, 2952, true, Invalid, ReasonOverlap},
			{1480, 2960, true, Held, 0}, {2960, 3000, false, Complete, 0},
		}, Counters{Accepted: 3, Completed: 3, Overlap: 1}},
		{"v4 contains one held", false, false, d4, []piece{
			{1480, 2960, true, Held, 0}, {0, 2960, true, Invalid, ReasonOverlap},
		}, Counters{Accepted: 1, Overlap: 1}},
		{"v4 past the last", false, false, payload(3100), []piece{
			{2960, 3000, false, Held, 0}, {1480, 3000, true, Invalid, ReasonOverlap},
			{2960, 3040, false, Invalid, ReasonOverlap},
		}, Counters{Accepted: 1, Overlap: 2}},
		{"v4 last before held data", false, false, d4, []piece{
			{1480, 2960, true, Held, 0}, {8, 1480, false, Held, 0}, // kept, as by OVS
			{0, 8, true, Invalid, ReasonTooSmall},
		}, Counters{Accepted: 2, TooSmall: 1}},
		{"v4 second last fragment", false, false, payload(3040), []piece{
			{2960, 3000, false, Held, 0}, {3000, 3040, false, Held, 0},
			{0, 1480, true, Held, 0}, {1480, 2960, true, Complete, 0},
		}, Counters{Accepted: 4, Completed: 4}},
		{"v4 too small", false, false, d4, []piece{
			{0, 1176, true, Invalid, ReasonTooSmall}, {0, 1480, true, Held, 0},
		}, Counters{Accepted: 1, TooSmall: 1}},
		{"v4 small last is fine", false, false, d4, []piece{
			{2992, 3000, false, Held, 0},
		}, Counters{Accepted: 1}},
		{"v4 oversized", false, false, big, []piece{
			{64000, 65535, false, Invalid, ReasonOversized}, {64000, 65512, false, Held, 0},
		}, Counters{Accepted: 1}},
		{"v6 in order", true, false, d6, []piece{
			{0, 1448, true, Held, 0}, {1448, 2896, true, Held, 0}, {2896, 3000, false, Complete, 0},
		}, Counters{Accepted: 3, Completed: 3}},
		{"v6 out of order", true, false, d6, []piece{
			{1448, 2896, true, Held, 0}, {2896, 3000, false, Held, 0}, {0, 1448, true, Complete, 0},
		}, Counters{Accepted: 3, Completed: 3}},
		{"v6 extension header", true, true, d6, []piece{
			{2896, 3000, false, Held, 0}, {0, 1440, true, Held, 0}, {1440, 2896, true, Complete, 0},
		}, Counters{Accepted: 3, Completed: 3}},
		{"v6 duplicate", true, true, d6, []piece{
			{0, 1440, true, Held, 0}, {0, 1440, true, Invalid, ReasonDuplicate},
		}, Counters{Accepted: 1, Overlap: 1}},
		{"v6 too small", true, false, d6, []piece{
			{0, 1184, true, Invalid, ReasonTooSmall}, {0, 1232, true, Held, 0},
		}, Counters{Accepted: 1, TooSmall: 1}},
		{"v6 oversized", true, false, big, []piece{
			{64000, 65535, false, Held, 0}, {64000, 65535, false, Invalid, ReasonDuplicate},
		}, Counters{Accepted: 1, Overlap: 1}},
		{"v6 oversized with extension header", true, true, big, []piece{
			{64000, 65535, false, Invalid, ReasonOversized},
		}, Counters{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New()
			var ext [][]byte
			var kinds []uint8
			if tt.ext {
				ext, kinds = [][]byte{hbh}, []uint8{0}
			}
			frame := func(p piece) []byte {
				if tt.v6 {
					return v6(7, ext, kinds, tt.data, p.start, p.end, p.more, false)
				}
				return v4(7, tt.data, p.start, p.end, p.more)
			}
			var sent [][]byte
			for i, p := range tt.pieces {
				f := frame(p)
				res := r.Add(f, layout(f), 0, sec)
				if res.Verdict != p.want || res.Reason != p.why {
					t.Fatalf("piece %d [%d,%d): got %v (%v), want %v (%v)", i, p.start, p.end, res.Verdict, res.Reason, p.want, p.why)
				}
				if p.want == Held || p.want == Complete {
					sent = append(sent, f)
				}
				if res.Verdict != Complete {
					continue
				}
				d := res.Datagram
				var whole []byte
				if tt.v6 {
					whole = v6(0, ext, kinds, tt.data, 0, len(tt.data), false, true)
				} else {
					whole = v4(7, tt.data, 0, len(tt.data), false)
				}
				if !bytes.Equal(d.Frame, whole) {
					t.Fatalf("reassembled frame differs:\n got % x\nwant % x", head(d.Frame), head(whole))
				}
				if d.Layout.IsFragment() || d.Layout.L4 == 0 {
					t.Errorf("reassembled layout %+v: want an unfragmented datagram with a transport header", d.Layout)
				}
				sortByOffset(sent, tt.pieces)
				if len(d.Frags) != len(sent) {
					t.Fatalf("%d fragments to send, want %d", len(d.Frags), len(sent))
				}
				for j := range sent {
					if !bytes.Equal(d.Frags[j], sent[j]) {
						t.Errorf("fragment %d to send is not the original", j)
					}
				}
				r.Release(d, true)
			}
			st := r.Status()
			got := st.V4
			if tt.v6 {
				got = st.V6
			}
			if got != tt.want {
				t.Errorf("counters %+v, want %+v", got, tt.want)
			}
		})
	}
}

// sortByOffset orders the accepted frames of pieces by fragment offset.
func sortByOffset(frames [][]byte, pieces []piece) {
	var starts []int
	for _, p := range pieces {
		if p.want == Held || p.want == Complete {
			starts = append(starts, p.start)
		}
	}
	for i := 1; i < len(frames); i++ {
		for j := i; j > 0 && starts[j-1] > starts[j]; j-- {
			starts[j-1], starts[j] = starts[j], starts[j-1]
			frames[j-1], frames[j] = frames[j], frames[j-1]
		}
	}
}

func head(b []byte) []byte { return b[:min(len(b), 80)] }

// TestConcurrent reassembles from several goroutines at once (run with
// -race): each datagram must come out whole and nothing be left.
func TestConcurrent(t *testing.T) {
	r := New()
	d := payload(3000)
	const workers, rounds = 4, 200
	errs := make(chan string, workers)
	for w := range workers {
		go func() {
			for i := range rounds {
				id := uint16(w*rounds + i)
				res := complete3(r, id, uint16(w), int64(i))
				if res.Verdict != Complete || len(res.Datagram.Frame) != 14+20+len(d) {
					errs <- res.Verdict.String()
					return
				}
				r.Release(res.Datagram, true)
			}
			errs <- ""
		}()
	}
	for range workers {
		if e := <-errs; e != "" {
			t.Errorf("a datagram came out %s", e)
		}
	}
	if st := r.Status(); st.Frags != 0 || st.V4.Completed != workers*rounds*3 {
		t.Errorf("%d held, %d completed", st.Frags, st.V4.Completed)
	}
}
