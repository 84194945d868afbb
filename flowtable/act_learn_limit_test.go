package flowtable

import (
	"strings"
	"testing"
)

// TestLearnLimitSyntax: limit= and result_dst= parse and print as
// ovs-ofctl 3.1 prints them (parse-flow output), and result_dst must be
// one writable bit.
func TestLearnLimitSyntax(t *testing.T) {
	in := "actions=learn(table=1,cookie=0x5,limit=10,result_dst=reg0[1],delete_learned,NXM_OF_VLAN_TCI[0..11]),output:1"
	want := "actions=learn(table=1,delete_learned,cookie=0x5,limit=10,result_dst=NXM_NX_REG0[1],NXM_OF_VLAN_TCI[0..11]),output:1"
	fm, err := ParseFlow(in, CmdAdd)
	if err != nil {
		t.Fatal(err)
	}
	if got := fm.Flow.Format(FormatOptions{NoStats: true}); !strings.Contains(got, want) {
		t.Fatalf("printed %q, want it to contain %q", got, want)
	}
	roundTrip(t, fm.Flow)
	for _, bad := range []string{
		"actions=learn(table=1,result_dst=reg0[1..2],NXM_OF_VLAN_TCI[0..11])",
		"actions=learn(table=1,limit=x,NXM_OF_VLAN_TCI[0..11])",
	} {
		if _, err := ParseFlow(bad, CmdAdd); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}
