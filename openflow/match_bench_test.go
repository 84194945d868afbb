package openflow

import "testing"

const benchMatch = "priority=10,ct_state=+trk+est,tcp,reg5=0x3,in_port=5,dl_dst=fa:16:3e:00:00:01,nw_src=10.0.0.0/8,tp_dst=22"

// BenchmarkAppendOXMatch encodes into a reused buffer: it must not allocate.
func BenchmarkAppendOXMatch(b *testing.B) {
	m, _ := parseMatch(&testing.T{}, benchMatch)
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var err error
		if buf, err = AppendOXMatch(buf[:0], OF13, m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseNXMatch decodes; the only allocation is the Match.
func BenchmarkParseNXMatch(b *testing.B) {
	m, _ := parseMatch(&testing.T{}, benchMatch)
	enc, _ := AppendNXMatch(nil, m)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := ParseNXMatch(enc); err != nil {
			b.Fatal(err)
		}
	}
}
