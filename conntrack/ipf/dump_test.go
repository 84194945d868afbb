package ipf

import (
	"slices"
	"testing"
)

func TestDumpLists(t *testing.T) {
	d := payload(3000)
	tests := []struct {
		name  string
		frags [][]byte
		want  []string
	}{
		{"empty", nil, nil},
		{"v4 first", [][]byte{v4(7, d, 0, 1480, true)},
			[]string{"(src=10.0.0.1,dst=10.0.0.2,recirc_id=0,ip_id=7,dl_type=0x800,zone=3,nw_proto=17,num_fragments=1,state=first frag)"}},
		{"v4 first and last, a gap", [][]byte{v4(7, d, 0, 1480, true), v4(7, d, 2960, 3000, false)},
			[]string{"(src=10.0.0.1,dst=10.0.0.2,recirc_id=0,ip_id=7,dl_type=0x800,zone=3,nw_proto=17,num_fragments=2,state=first/last frag)"}},
		{"v6 other, then v4 last", [][]byte{v6(70000, nil, nil, d, 1448, 2896, true, false), v4(8, d, 2960, 3000, false)},
			[]string{
				"(src=2000::1,dst=2000::2,recirc_id=0,ip_id=70000,dl_type=0x86dd,zone=3,nw_proto=0,num_fragments=1,state=other frag)",
				"(src=10.0.0.1,dst=10.0.0.2,recirc_id=0,ip_id=8,dl_type=0x800,zone=3,nw_proto=17,num_fragments=1,state=last frag)",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New()
			for _, f := range tt.frags {
				r.Add(f, layout(f), 3, 0)
			}
			if got := r.DumpLists(); !slices.Equal(got, tt.want) {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}
