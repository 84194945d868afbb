package tunnel

import (
	"testing"
)

// FuzzDecap feeds arbitrary outer frames to Decap: it must not panic, and
// what it accepts must have the inner frame inside the outer one and a
// known type.
func FuzzDecap(f *testing.F) {
	for _, g := range goldens {
		f.Add(mustHex(f, g.ovs+goldenInner))
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, frame []byte) {
		var md Metadata
		in, end, err := Decap(frame, DefaultPorts, &md)
		if err != nil {
			return
		}
		if in < 0 || end > len(frame) || end-in < 14 {
			t.Fatalf("inner [%d:%d] of %d bytes", in, end, len(frame))
		}
		if md.Type == TypeNone || !md.Src.IsValid() || !md.Dst.IsValid() {
			t.Fatalf("accepted with metadata %+v", md)
		}
	})
}
