package vswitch

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/flowtable"
)

func flowDump(t *testing.T, s *Switch, bridge string) string {
	t.Helper()
	_, fs, err := s.DumpFlows(bridge, "")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range fs {
		out = append(out, stateFlow(f))
	}
	return strings.Join(out, "\n")
}

func journalSwitch(t *testing.T, dir string) (*Switch, *StateStore) {
	t.Helper()
	st, err := OpenState(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return New(datapath.New(), nil, st, nil), st
}

func restart(t *testing.T, old *StateStore, dir string) *Switch {
	t.Helper()
	old.Close()
	s, st := journalSwitch(t, dir)
	saved, err := st.Load()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Restore(saved); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestFlowJournal: flow-mods append to the journal and leave state.json
// alone; a restart replays them, including modifications and deletions;
// a full save folds the journal into state.json and empties it.
func TestFlowJournal(t *testing.T) {
	dir := t.TempDir()
	s, st := journalSwitch(t, dir)
	if err := s.AddBridge("br0", "secure", false); err != nil {
		t.Fatal(err)
	}
	state, journal := filepath.Join(dir, "state.json"), filepath.Join(dir, "state.journal")
	before, _ := os.ReadFile(state)
	steps := []struct {
		cmd   flowtable.Command
		lines []string
	}{
		{flowtable.CmdAdd, []string{"priority=1,in_port=1,actions=output:2", "priority=2,in_port=2,actions=drop", "table=3,priority=5,actions=drop"}},
		{flowtable.CmdModify, []string{"in_port=1,actions=output:3"}},
		{flowtable.CmdDeleteStrict, []string{"priority=2,in_port=2"}},
		{flowtable.CmdAdd, []string{"priority=2,in_port=2,actions=output:1"}},
	}
	for _, c := range steps {
		if _, err := s.ModFlows("br0", c.cmd, c.lines); err != nil {
			t.Fatal(err)
		}
	}
	if after, _ := os.ReadFile(state); string(after) != string(before) {
		t.Fatal("a flow-mod rewrote state.json")
	}
	if fi, err := os.Stat(journal); err != nil || fi.Size() == 0 {
		t.Fatalf("journal: %v", err)
	}
	want := flowDump(t, s, "br0")
	r := restart(t, st, dir)
	if got := flowDump(t, r, "br0"); got != want {
		t.Fatalf("after restart:\n%s\nwant\n%s", got, want)
	}
	// A full save takes the journal in.
	if err := r.AddBridge("br1", "secure", false); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(journal); fi.Size() != 0 {
		t.Fatalf("journal holds %d bytes after a full save", fi.Size())
	}
	if got := flowDump(t, restart(t, r.state, dir), "br0"); got != want {
		t.Fatalf("after a full save and restart:\n%s\nwant\n%s", got, want)
	}
}

// TestFlowJournalCrashes: records state.json already includes are not
// applied twice (a crash between the save and emptying the journal), a
// last record cut short is dropped, a damaged one before it is refused.
func TestFlowJournalCrashes(t *testing.T) {
	dir := t.TempDir()
	s, st := journalSwitch(t, dir)
	if err := s.AddBridge("br0", "secure", false); err != nil {
		t.Fatal(err)
	}
	journal := filepath.Join(dir, "state.journal")
	for _, l := range []string{"priority=1,actions=drop", "priority=2,actions=drop"} {
		if _, err := s.ModFlows("br0", flowtable.CmdAdd, []string{l}); err != nil {
			t.Fatal(err)
		}
	}
	old, _ := os.ReadFile(journal)
	if _, err := s.ModFlows("br0", flowtable.CmdDeleteStrict, []string{"priority=1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveState(); err != nil {
		t.Fatal(err)
	}
	want := flowDump(t, s, "br0")
	// The journal as it was before the save: its records are in state.json.
	if err := os.WriteFile(journal, old, 0o640); err != nil {
		t.Fatal(err)
	}
	s = restart(t, st, dir)
	if got := flowDump(t, s, "br0"); got != want {
		t.Fatalf("journal records replayed over the state that has them:\n%s\nwant\n%s", got, want)
	}
	// A record cut short by a crash is dropped.
	if _, err := s.ModFlows("br0", flowtable.CmdAdd, []string{"priority=3,actions=drop"}); err != nil {
		t.Fatal(err)
	}
	want = flowDump(t, s, "br0")
	f, _ := os.OpenFile(journal, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"seq":99,"bridge":"br0","ops":[{"add":tr`)
	f.Close()
	s = restart(t, s.state, dir)
	if got := flowDump(t, s, "br0"); got != want {
		t.Fatalf("with a torn last record:\n%s\nwant\n%s", got, want)
	}
	// A damaged record followed by others is refused.
	data, _ := os.ReadFile(journal)
	os.WriteFile(journal, append([]byte("{damaged\n"), data...), 0o640)
	s.state.Close()
	_, st2 := journalSwitch(t, dir)
	if _, err := st2.Load(); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("damaged journal: %v", err)
	}
}

// TestFlowJournalFull: a journal past its limit makes the next flow change
// a full save.
func TestFlowJournalFull(t *testing.T) {
	defer func(n int64) { journalMax = n }(journalMax)
	journalMax = 200
	dir := t.TempDir()
	s, _ := journalSwitch(t, dir)
	if err := s.AddBridge("br0", "secure", false); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if _, err := s.ModFlows("br0", flowtable.CmdAdd, []string{"priority=" + string(rune('1'+i)) + ",actions=drop"}); err != nil {
			t.Fatal(err)
		}
	}
	if fi, _ := os.Stat(filepath.Join(dir, "state.journal")); fi.Size() > 400 {
		t.Fatalf("journal grew to %d bytes past its limit of %d", fi.Size(), journalMax)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "state.json"))
	if !strings.Contains(string(data), "priority=3") {
		t.Fatal("the full save did not write the flows to state.json")
	}
}
