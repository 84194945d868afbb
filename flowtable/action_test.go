package flowtable

import "testing"

// TestActionAccess: the fields an action reads and writes, as a flow cache
// would unwildcard them.
func TestActionAccess(t *testing.T) {
	fm, err := ParseFlow("ip,actions=dec_ttl,move:NXM_NX_REG0[]->NXM_NX_REG1[0..31],output:NXM_NX_REG2[0..15],mod_vlan_vid:5,set_field:0x1/0x1->reg3", CmdAdd)
	if err != nil {
		t.Fatal(err)
	}
	var r, w FieldSet
	for _, a := range fm.Flow.Actions {
		a.Access(&r, &w)
	}
	for _, id := range []FieldID{FieldIPTTL, FieldEthType, FieldReg0, FieldReg0 + 2, FieldVLANTCI, FieldReg0 + 3, FieldInPort} {
		if !r.Has(id) {
			t.Errorf("%s not read", FieldByID(id).Name)
		}
	}
	for _, id := range []FieldID{FieldIPTTL, FieldReg0 + 1, FieldVLANTCI, FieldReg0 + 3} {
		if !w.Has(id) {
			t.Errorf("%s not written", FieldByID(id).Name)
		}
	}
	for _, id := range []FieldID{FieldReg0 + 1, FieldIPv4Src, FieldCTState} {
		if r.Has(id) {
			t.Errorf("%s read", FieldByID(id).Name)
		}
	}
	if w.Has(FieldReg0) || w.Has(FieldReg0+2) {
		t.Error("a source register is written")
	}
}

// TestActionNames: every registered name is lower case, as the lookup
// folds the name it looks up.
func TestActionNames(t *testing.T) {
	for n := range actionParsers {
		for _, c := range n {
			if c >= 'A' && c <= 'Z' {
				t.Errorf("action %q registered with upper case", n)
			}
		}
	}
}
