package flowtable

import (
	"fmt"
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
func knownBug(f *Flow) string {
	if f.Match.Has(fIPProto) && !f.Match.Satisfies(PrereqIPAny) && !f.Match.Satisfies(PrereqARP) {
		return "BUG: a protocol shorthand followed by dl_type (icmp,dl_type=0) leaves nw_proto without its prerequisite; the print (dl_type=0x0000,nw_proto=1) does not parse back"
	}
	for _, a := range f.Actions {
		switch a := a.(type) {
		case CT:
			if a.NAT != nil && (a.NAT.AddrMin.Zone() != "" || a.NAT.AddrMax.Zone() != "") {
				return "BUG: a nat address with an IPv6 zone (nat(src=[fe80::1%eth0])) is accepted; with a ) in the zone the print does not parse back"
			}
		case SetL4Port:
			if a.Proto != ProtoTCP && a.Proto != ProtoUDP && a.Proto != ProtoSCTP {
				return "BUG: mod_tp_src/mod_tp_dst without tcp/udp/sctp in the match prints (Exact) as set_field:N->tcp_src, which does not parse back"
			}
			return "BUG: Exact prints mod_tp_src/mod_tp_dst as set_field:N->tcp_src, which parses back as SetField, not SetL4Port"
		case SetEthAddr, SetIPv4Addr, SetIPTOS, SetIPECN, SetTunnel:
			return fmt.Sprintf("BUG: Exact prints the legacy action %T (mod_dl_*, mod_nw_*, set_tunnel*) as set_field, which parses back as SetField", a)
		case SetField:
			if !a.Load && a.Mask != FieldByID(a.Field).FullMask() {
				return "BUG: Exact prints a masked set_field:V/M->F as load:...->F[a..b] (one per run of mask bits), which parses back as Load SetFields"
			}
		}
	}
	return ""
}
