package flowtable

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzParseFlow checks that no input makes the parser panic, and that every
// flow it accepts prints (Exact) to text that parses back and prints the
// same: print→parse→print is a fixpoint.
func FuzzParseFlow(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "flows", "*"))
	for _, path := range files {
		if !strings.HasSuffix(path, ".flows") && !strings.HasSuffix(path, ".dump") {
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if i := strings.IndexByte(l, '#'); i >= 0 {
				l = l[:i]
			}
			if strings.TrimSpace(l) != "" {
				f.Add(l)
			}
		}
	}
	for _, s := range []string{
		"", ",", "actions=", "actions=(", "actions=)", "in_port=1/1,actions=drop",
		"tcp,tp_dst=65536,actions=drop", "actions=learn(table=1,NXM_OF_TCP_DST[]", "actions=ct(exec(set_field:1->ct_mark))",
		"ip,actions=ct(commit,nat(src=[::1]-[::2]:1-2))", "actions=move:reg0[0..32]->reg1[]", "actions=note:0",
		"ct_state=+trk+trk,actions=drop", "actions=resubmit(,,)", "actions=load:0x->reg0[]",
	} {
		f.Add(s)
	}
	opts := ParseOptions{Now: time.Unix(0, 0)}
	f.Fuzz(func(t *testing.T, s string) {
		for _, cmd := range []Command{CmdAdd, CmdDelete} {
			m, err := ParseFlowWith(s, cmd, opts)
			if err != nil {
				if _, ok := err.(*ParseError); !ok {
					t.Fatalf("%s %q: error %v is a %T, not a *ParseError", cmd, s, err, err)
				}
				continue
			}
			if cmd != CmdAdd {
				continue // a delete selector has no actions to print
			}
			text := m.Flow.Format(FormatOptions{NoStats: true, Exact: true})
			m2, err := ParseFlowWith(text, cmd, opts)
			if err != nil {
				if bug := knownBug(m.Flow); strings.Contains(bug, "does not parse back") {
					t.Skip(bug)
				}
				t.Fatalf("%q parsed, but its print %q does not: %v", s, text, err)
			}
			if text2 := m2.Flow.Format(FormatOptions{NoStats: true, Exact: true}); text2 != text {
				t.Fatalf("%q: print is not a fixpoint:\n first  %q\n second %q", s, text, text2)
			}
		}
	})
}

// knownBug names the bug of the (non-test) flowtable code that flow f
// hits when it does not round-trip through the Exact printer, so that the
// tests can skip it with a description and go on looking for other bugs.
func knownBug(f *Flow) string { return "" }
