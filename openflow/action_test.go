package openflow

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/gvs-project/gvs/flowtable"
)

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestParseActionsErrors: malformed lists are refused with an error that
// says what is wrong, never a panic or a partial list.
func TestParseActionsErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    Version
		hex  string
		want string
	}{
		{"short", OF10, "0000 0008 0001", "truncated"},
		{"zero length", OF10, "0000 0000 0001 0000", "bad length"},
		{"odd length", OF13, "0000 000c 0000 0001 0000 0000", "bad length"},
		{"beyond end", OF10, "0000 0010 0001 0000", "bad length"},
		{"unknown 1.0 type", OF10, "0063 0008 0000 0000", "unsupported OpenFlow 1.0 action type 99"},
		{"unknown vendor", OF10, "ffff 0010 0000 2321 0001 0000 0000 0000", "unsupported vendor"},
		{"unknown subtype", OF10, "ffff 0010 0000 2320 00ff 0000 0000 0000", "subtype 255"},
		{"reg_load unknown field", OF10, "ffff 0018 0000 2320 0007 000f 0077 0004 0000 0000 0000 0005", "unknown field header"},
		{"reg_load past field end", OF10, "ffff 0018 0000 2320 0007 07ff 0001 0004 0000 0000 0000 0005", "bad subfield"},
		{"reg_load value too wide", OF10, "ffff 0018 0000 2320 0007 0003 0001 0004 0000 0000 0000 00ff", "wider than"},
		{"conjunction 3/2", OF10, "ffff 0010 0000 2320 0022 0202 0000 000a", "clause"},
		{"set_field in 1.1", OF11, "0019 0010 8000 0806 fa16 3e00 0001 0000", "unsupported"},
		{"masked set_field in 1.3", OF13, "0019 0010 0001 0108 0000 0005 0000 ffff", "needs OpenFlow 1.5"},
		{"bad version", 9, "", "unknown version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			acts, err := ParseActions(tc.v, mustHex(t, tc.hex))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, %v; want error containing %q", acts, err, tc.want)
			}
		})
	}
}

func TestParseInstructionsErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		hex  string
		want string
	}{
		{"write_actions", "0003 0008 0000 0000", "unsupported instruction type 3"},
		{"twice", "0001 0008 0500 0000 0001 0008 0600 0000", "twice"},
		{"goto 255", "0001 0008 ff00 0000", "goto_table 255"},
		{"bad inner action", "0004 0010 0000 0000 0000 0008 0000 0000", "apply_actions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseInstructions(OF13, mustHex(t, tc.hex)); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v; want error containing %q", err, tc.want)
			}
		})
	}
	if _, err := ParseInstructions(OF10, nil); err == nil {
		t.Error("OpenFlow 1.0 instructions accepted")
	}
}

// TestAppendActionsErrors: actions a version cannot carry are refused and
// leave b as it was.
func TestAppendActionsErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    Version
		a    flowtable.Action
		want string
	}{
		{"goto_table as action", OF13, flowtable.GotoTable{Table: 3}, "instruction"},
		{"push_vlan in 1.0", OF10, flowtable.PushVLAN{Ethertype: 0x8100}, "OpenFlow 1.1"},
		{"bad reason", OF10, flowtable.Controller{Reason: "bogus", ID: 1}, "reason"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := AppendActions([]byte{1, 2}, tc.v, []flowtable.Action{tc.a})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %x, %v; want error containing %q", b, err, tc.want)
			}
		})
	}
	if _, err := AppendInstructions(nil, OF10, nil); err == nil {
		t.Error("OpenFlow 1.0 instructions encoded")
	}
}

// TestInstructionsLayout: everything but goto_table goes in one
// apply_actions, goto_table after it; no actions is no instructions.
func TestInstructionsLayout(t *testing.T) {
	acts := []flowtable.Action{flowtable.Output{Port: 1}, flowtable.GotoTable{Table: 9}}
	b, err := AppendInstructions(nil, OF13, acts)
	if err != nil {
		t.Fatal(err)
	}
	want := mustHex(t, "0004 0018 0000 0000 0000 0010 0000 0001 0000 0000 0000 0000 0001 0008 0900 0000")
	if string(b) != string(want) {
		t.Fatalf("got %x, want %x", b, want)
	}
	if b, err := AppendInstructions(nil, OF13, nil); err != nil || len(b) != 0 {
		t.Fatalf("drop: %x, %v", b, err)
	}
	back, err := ParseInstructions(OF13, want)
	if err != nil || len(back) != 2 || back[1] != (flowtable.GotoTable{Table: 9}) {
		t.Fatalf("%v %v", back, err)
	}
}

func BenchmarkAppendActions(b *testing.B) {
	fm, err := flowtable.ParseFlow("ip,actions=ct(commit,zone=NXM_NX_REG6[0..15],exec(load:0x1->NXM_NX_CT_MARK[])),load:0x5->NXM_NX_REG0[0..15],resubmit(,5),output:1", flowtable.CmdAdd)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if buf, err = AppendActions(buf[:0], OF13, fm.Flow.Actions); err != nil {
			b.Fatal(err)
		}
	}
}
