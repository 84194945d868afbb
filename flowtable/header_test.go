package flowtable

import "testing"

// TestSameHeaders: metadata fields never make two keys differ in their
// headers; every other field does.
func TestSameHeaders(t *testing.T) {
	for i := range fields {
		f := &fields[i]
		if f.ID == FieldNone {
			continue
		}
		var a, b Key
		b.Set(f, f.FullMask())
		if got := SameHeaders(&a, &b); got != f.Metadata {
			t.Errorf("%s: SameHeaders = %v, want %v", f.Name, got, f.Metadata)
		}
	}
	m := HeaderMask()
	for _, id := range []FieldID{FieldInPort, FieldCTState, FieldCTZone, FieldReg0} {
		var k Key
		f := FieldByID(id)
		k.Set(f, f.FullMask())
		for i := range k {
			if k[i]&m[i] != 0 {
				t.Errorf("%s: header mask covers it", f.Name)
			}
		}
	}
}
