package flowtable

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestConjunctionBeyondStackLimits: a conjunction whose last clause is the
// 40th matching conjunctive flow, and one whose id is the 20th of its
// priority level, are found, as Open vSwitch finds them; the classifier
// used to forget flows past 32 and ids past 16 (issue 14).
func TestConjunctionBeyondStackLimits(t *testing.T) {
	build := func(lines []string) *Tables {
		ts := NewTables()
		mods, err := ParseFlows(strings.NewReader(strings.Join(lines, "\n")), CmdAdd)
		if err != nil {
			t.Fatal(err)
		}
		if err := ts.Apply(mods, time.Unix(0, 0)); err != nil {
			t.Fatal(err)
		}
		return ts
	}
	// Distinct matches that all match a key with reg0 = reg1 = all ones.
	match := func(i int) string {
		if i < 32 {
			m := uint64(1)<<(i+1) - 1
			return fmt.Sprintf("reg0=%#x/%#x", m, m)
		}
		m := uint64(1)<<(i-31) - 1
		return fmt.Sprintf("reg1=%#x/%#x", m, m)
	}
	k := mkKey(ex(FieldReg0, 0xffffffff), ex(FieldReg0+1, 0xffffffff))

	var many []string
	for i := 0; i < 39; i++ {
		many = append(many, fmt.Sprintf("priority=10,%s,actions=conjunction(7,1/2)", match(i)))
	}
	many = append(many, fmt.Sprintf("priority=10,%s,actions=conjunction(7,2/2)", match(39)),
		"priority=5,conj_id=7,actions=output:9", "priority=1,actions=output:1")
	if f := build(many).Snapshot().Lookup(0, k, new(Key)); f == nil || f.Actions[0] != (Output{Port: 9}) {
		t.Errorf("with 40 conjunctive flows: got %v, want the conj_id=7 flow", f)
	}

	var ids []string
	for i := 0; i < 19; i++ {
		ids = append(ids, fmt.Sprintf("priority=10,%s,actions=conjunction(%d,1/2)", match(i), 100+i))
	}
	ids = append(ids, fmt.Sprintf("priority=10,%s,actions=conjunction(118,2/2)", match(19)),
		"priority=5,conj_id=118,actions=output:9", "priority=1,actions=output:1")
	if f := build(ids).Snapshot().Lookup(0, k, new(Key)); f == nil || f.Actions[0] != (Output{Port: 9}) {
		t.Errorf("with 20 conjunction ids at one priority: got %v, want the conj_id=118 flow", f)
	}
}
