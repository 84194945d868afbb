package flowtable

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// badFlows are flows ovs-ofctl rejects. col is the 1-based byte column
// where the offending token tok starts; msg a substring of the message.
// bug, when set, describes a known bug of the parser that makes the
// column assertion fail: the case is then skipped with it.
var badFlows = []struct {
	name string
	cmd  Command
	in   string
	col  int
	tok  string
	msg  string
	bug  string
}{
	// Match fields.
	{name: "unknown field", in: "priority=1,foo=1,actions=drop", col: 12, tok: "foo", msg: "unknown field"},
	{name: "field without value", in: "priority=1,nw_src,actions=drop", col: 12, tok: "nw_src", msg: "needs a value"},
	{name: "bad MAC too short", in: "dl_src=00:11:22:33:44,actions=drop", col: 8, tok: "00:11:22:33:44", msg: "invalid Ethernet address"},
	{name: "bad MAC digit", in: "dl_dst=zz:11:22:33:44:55,actions=drop", col: 8, tok: "zz:11", msg: "invalid Ethernet address"},
	{name: "bad MAC mask", in: "dl_dst=00:11:22:33:44:55/ff:ff,actions=drop", col: 26, tok: "ff:ff", msg: "invalid Ethernet mask"},
	{name: "bad IPv4 address", in: "ip,nw_src=10.0.0.256,actions=drop", col: 11, tok: "10.0.0.256", msg: "invalid IPv4 address"},
	{name: "IPv6 address in nw_dst", in: "ip,nw_dst=fe80::1,actions=drop", col: 11, tok: "fe80::1", msg: "invalid IPv4 address"},
	{name: "bad IPv6 address", in: "ipv6,ipv6_src=fe80:::1,actions=drop", col: 15, tok: "fe80:::1", msg: "invalid IPv6 address"},
	{name: "IPv4 prefix out of range", in: "ip,nw_dst=10.0.0.0/33,actions=drop", col: 20, tok: "33", msg: "between 0 and 32"},
	{name: "IPv6 prefix out of range", in: "ipv6,ipv6_dst=2001:db8::/129,actions=drop", col: 26, tok: "129", msg: "between 0 and 128"},
	// Like ovs-ofctl ("1/1: invalid or unknown port for in_port").
	{name: "in_port mask", in: "in_port=1/1,actions=drop", col: 9, tok: "1/1", msg: "unknown port"},
	{name: "conj_id mask", in: "conj_id=5/1,actions=drop", col: 9, tok: "5/1", msg: "does not support masking"},
	{name: "tp_dst too large", in: "tcp,tp_dst=65536,actions=drop", col: 12, tok: "65536", msg: "too large"},
	{name: "dl_vlan too large", in: "dl_vlan=4096,actions=drop", col: 9, tok: "4096", msg: "out of range"},
	{name: "bad nw_frag", in: "ip,nw_frag=maybe,actions=drop", col: 12, tok: "maybe", msg: "bad nw_frag"},
	{name: "unknown ct_state flag", in: "ct_state=+trk+bogus,actions=drop", col: 15, tok: "bogus", msg: "unknown ct_state flag"},
	{name: "ct_state without sign", in: "ct_state=+trk,ct_mark=1x,actions=drop", col: 23, tok: "1x", msg: "not a number"},
	{name: "duplicated tcp flag", in: "tcp,tcp_flags=+syn+syn,actions=drop", col: 20, tok: "syn", msg: "given twice"},
	{name: "unknown tcp flag", in: "tcp,tcp_flags=+syn-bogus,actions=drop", col: 20, tok: "bogus", msg: "unknown tcp_flags flag"},

	// Prerequisites.
	{name: "tp_dst without l4", in: "ip,tp_dst=80,actions=drop", col: 4, tok: "tp_dst", msg: "tcp, udp or sctp"},
	{name: "tcp_dst on udp", in: "udp,tcp_dst=80,actions=drop", col: 5, tok: "tcp_dst", msg: "requires tcp"},
	{name: "arp_spa without arp", in: "ip,arp_spa=1.2.3.4,actions=drop", col: 4, tok: "arp_spa", msg: "requires arp"},
	{name: "nd_target without icmp6", in: "ipv6,nd_target=fe80::1,actions=drop", col: 6, tok: "nd_target", msg: "missing prerequisite"},
	{name: "nd_target without type 135/136", in: "icmp6,icmp_type=128,nd_target=fe80::1,actions=drop", col: 21, tok: "nd_target", msg: "icmp_type=135 or 136"},
	{name: "icmp_type without icmp", in: "tcp,icmp_type=8,actions=drop", col: 5, tok: "icmp_type", msg: "icmp or icmp6"},
	{name: "nw_src without ip", in: "nw_src=10.0.0.1,actions=drop", col: 1, tok: "nw_src", msg: "missing prerequisite"},
	{name: "set_field tcp_src without tcp", in: "udp,actions=set_field:1->tcp_src", col: 26, tok: "tcp_src", msg: "requires tcp"},
	{name: "set_field vlan_vid without tag", in: "actions=set_field:5->vlan_vid", col: 22, tok: "vlan_vid", msg: "VLAN tag"},
	{name: "set_field vlan_vid after strip", in: "dl_vlan=5,actions=strip_vlan,set_field:5->vlan_vid", col: 43, tok: "vlan_vid", msg: "VLAN tag"},
	{name: "ct without ip", in: "actions=ct(commit)", col: 9, tok: "ct", msg: "requires ip or ipv6"},
	{name: "alg=ftp without tcp", in: "udp,actions=ct(commit,alg=ftp)", col: 27, tok: "ftp", msg: "requires tcp"},
	{name: "alg=ftp on ip", in: "ip,actions=ct(commit,alg=ftp)", col: 26, tok: "ftp", msg: "requires tcp"},
	{name: "learn source without prerequisite", in: "actions=learn(table=1,load:NXM_OF_IP_SRC[]->NXM_NX_REG0[])", col: 28, tok: "NXM_OF_IP_SRC[]", msg: "requires ip"},
	{name: "learn match source without prerequisite", in: "ip,actions=learn(table=1,dl_type=0x800,NXM_OF_IP_PROTO[],NXM_OF_TCP_DST[])", col: 58, tok: "NXM_OF_TCP_DST[]", msg: "missing prerequisite"},
	{name: "mod_nw_ttl without ip", in: "arp,actions=mod_nw_ttl:5", col: 13, tok: "mod_nw_ttl", msg: "requires ip"},

	// Syntax and ranges.
	{name: "unbalanced missing )", in: "actions=output:1,resubmit(,1", col: 18, tok: "resubmit(", msg: "missing )"},
	{name: "unbalanced missing ) first", in: "ip,actions=ct(commit", col: 12, tok: "ct(", msg: "missing )"},
	{name: "unbalanced extra )", in: "actions=output:1)", col: 17, tok: ")", msg: "unexpected )"},
	{name: "unbalanced extra ) after paren", in: "actions=resubmit(,1)),output:2", col: 21, tok: ")", msg: "unexpected )"},
	{name: "bad priority", in: "priority=70000,actions=drop", col: 10, tok: "70000", msg: "bad priority"},
	{name: "bad table", in: "table=255,actions=drop", col: 7, tok: "255", msg: "bad table id"},
	{name: "bad cookie", in: "cookie=0xzz,actions=drop", col: 8, tok: "0xzz", msg: "bad cookie"},
	{name: "bad idle_timeout", in: "idle_timeout=65536,actions=drop", col: 14, tok: "65536", msg: "idle_timeout"},
	{name: "goto_table backwards", in: "table=5,actions=goto_table:3", col: 28, tok: "3", msg: "backwards"},
	{name: "goto_table same table", in: "table=5,actions=goto_table:5", col: 28, tok: "5", msg: "goto_table"},
	{name: "goto_table not last", in: "actions=goto_table:1,output:2", col: 22, tok: "output:2", msg: "last action"},
	{name: "drop mixed", in: "actions=output:1,drop", col: 18, tok: "drop", msg: "only action"},
	{name: "drop first mixed", in: "actions=drop,output:1", col: 9, tok: "drop", msg: "only action"},
	{name: "conjunction mixed", in: "actions=conjunction(1,1/2),output:1", col: 28, tok: "output:1", msg: "may not be mixed"},
	{name: "conjunction clause 1/1", in: "actions=conjunction(1,1/1)", col: 23, tok: "1/1", msg: "bad conjunction clause"},
	{name: "conjunction clause 3/2", in: "actions=conjunction(1,3/2)", col: 23, tok: "3/2", msg: "bad conjunction clause"},
	{name: "conjunction clause 0/2", in: "actions=conjunction(7,0/2)", col: 23, tok: "0/2", msg: "bad conjunction clause"},
	{name: "move width mismatch", in: "actions=move:reg0[0..7]->reg1[0..15]", col: 14, tok: "reg0[0..7]", msg: "8 bits wide but destination is 16"},
	{name: "bad bit range", in: "actions=load:1->reg0[0..32]", col: 21, tok: "[0..32]", msg: "bad bit range"},
	{name: "reversed bit range", in: "actions=move:reg0[7..0]->reg1[0..7]", col: 18, tok: "[7..0]", msg: "bad bit range"},
	{name: "load value too large", in: "actions=load:0x100->reg0[0..7]", col: 14, tok: "0x100", msg: "too large"},
	{name: "unknown port in in_port", in: "in_port=eth9,actions=drop", col: 9, tok: "eth9", msg: "unknown port"},
	{name: "unknown port in output", in: "actions=output:eth9", col: 16, tok: "eth9", msg: "unknown port"},
	{name: "port 0", in: "in_port=0,actions=drop", col: 9, tok: "0", msg: "not a valid OpenFlow port"},
	{name: "cookie mask on add", in: "cookie=0x1/0xff,actions=drop", col: 8, tok: "0x1/0xff", msg: "cookie mask"},
	{name: "missing actions on add", in: "priority=1,ip", col: 14, tok: "", msg: "missing actions"},
	{name: "missing actions on modify", cmd: CmdModify, in: "ip", col: 3, tok: "", msg: "missing actions"},
	{name: "actions on delete", cmd: CmdDelete, in: "ip,actions=drop", col: 4, tok: "actions", msg: "not allowed when deleting"},
	{name: "actions on delete strict", cmd: CmdDeleteStrict, in: "priority=5,actions=output:1", col: 12, tok: "actions", msg: "not allowed when deleting"},
	{name: "ct exec without commit", in: "ip,actions=ct(exec(set_field:1->ct_mark))", col: 12, tok: "ct(exec", msg: "needs commit"},
	{name: "ct exec bad action", in: "ip,actions=ct(commit,exec(output:1))", col: 27, tok: "output:1", msg: "ct_mark or ct_label"},
	{name: "ct commit on invalid", in: "ip,ct_state=+trk+inv,actions=ct(commit)", col: 30, tok: "ct(commit)", msg: "inv"},
	{name: "ct nat IPv4 on ipv6", in: "ipv6,actions=ct(commit,nat(src=10.0.0.1))", col: 32, tok: "10.0.0.1", msg: "IPv4"},
	{name: "ct nat address with zone", in: "ipv6,actions=ct(commit,nat(src=[fe80::1%eth0]))", col: 32, tok: "[fe80::1%eth0]", msg: "nat address"},
	{name: "ct nat bad address", in: "ip,actions=ct(commit,nat(src=10.0.0.x))", col: 30, tok: "10.0.0.x", msg: "bad nat address"},
	{name: "ct unknown option", in: "ip,actions=ct(commit,bogus)", col: 22, tok: "bogus", msg: "unknown ct option"},
	{name: "ct zone too wide", in: "ip,actions=ct(commit,zone=NXM_NX_REG6[0..7])", col: 27, tok: "NXM_NX_REG6[0..7]", msg: "16 bits"},
	{name: "bad note hex", in: "actions=note:zz", col: 14, tok: "zz", msg: "bad hex digit"},
	{name: "odd note hex", in: "actions=note:123", col: 14, tok: "123", msg: "hex bytes"},
	{name: "push_vlan bad ethertype", in: "actions=push_vlan:0x0800", col: 19, tok: "0x0800", msg: "0x8100 or 0x88a8"},
	{name: "empty action list", in: "ip,actions=", col: 12, tok: "", msg: "empty action list"},
	{name: "empty action list commas", in: "ip,actions=,,", col: 12, tok: ",,", msg: "empty action list"},
	{name: "resubmit neither port nor table", in: "actions=resubmit(,)", col: 9, tok: "resubmit(,)", msg: "needs a port or a table"},
	{name: "resubmit bad table", in: "actions=resubmit(,255)", col: 19, tok: "255", msg: "bad resubmit table"},
	{name: "unknown action", in: "actions=frobnicate", col: 9, tok: "frobnicate", msg: "unknown action"},
	{name: "unknown action after good", in: "ip,actions=output:1,frob(1)", col: 21, tok: "frob", msg: "unknown action"},
	{name: "set_field unknown field", in: "actions=set_field:1->nosuch", col: 22, tok: "nosuch", msg: "unknown field"},
	{name: "set_field bad MAC", in: "actions=set_field:00:11->eth_dst", col: 19, tok: "00:11", msg: "invalid Ethernet address"},
	{name: "mod_vlan_vid too large", in: "actions=mod_vlan_vid:4096", col: 22, tok: "4096", msg: "bad VLAN id"},
	{name: "mod_dl_src bad MAC", in: "actions=mod_dl_src:1:2:3", col: 20, tok: "1:2:3", msg: "invalid Ethernet address"},
}

func TestParseErrors(t *testing.T) {
	n := 0
	for _, c := range badFlows {
		n++
		t.Run(c.name, func(t *testing.T) {
			if c.tok != "" && !strings.HasPrefix(c.in[c.col-1:], c.tok) {
				t.Fatalf("bad test case: %q has no %q at column %d", c.in, c.tok, c.col)
			}
			var fails []string
			defer func() {
				if len(fails) > 0 && c.bug != "" {
					t.Skipf("BUG: %s\n%s", c.bug, strings.Join(fails, "\n"))
				}
				for _, f := range fails {
					t.Error(f)
				}
			}()
			m, err := ParseFlowWith(c.in, c.cmd, ParseOptions{})
			if err == nil {
				fails = append(fails, fmt.Sprintf("%s %q: accepted (%s)", c.cmd, c.in, m.Flow.Format(exact)))
				return
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				fails = append(fails, fmt.Sprintf("%q: error %v is a %T, not a *ParseError", c.in, err, err))
				return
			}
			if pe.Line != 0 {
				fails = append(fails, fmt.Sprintf("%q: Line = %d for a single flow", c.in, pe.Line))
			}
			if !strings.Contains(pe.Msg, c.msg) {
				fails = append(fails, fmt.Sprintf("%q: message %q does not contain %q", c.in, pe.Msg, c.msg))
			}
			if pe.Col != c.col {
				fails = append(fails, fmt.Sprintf("%q: column %d (%s), want %d (%s): %v", c.in, pe.Col, quoteAt(c.in, pe.Col), c.col, quoteAt(c.in, c.col), err))
			}
		})
	}
	if n < 40 {
		t.Errorf("only %d bad flows", n)
	}
}

// quoteAt shows the text at 1-based column col.
func quoteAt(s string, col int) string {
	if col < 1 || col > len(s)+1 {
		return "outside the text"
	}
	return fmt.Sprintf("at %q", s[col-1:])
}

// TestParseFlowsErrorLine checks that a bad line of a flow file is
// reported with its line number and column.
func TestParseFlowsErrorLine(t *testing.T) {
	file := "# a comment\n" +
		"priority=1,actions=drop\n" +
		"priority=2,tcp,tp_dst=65536,actions=drop\n" +
		"priority=3,actions=drop\n"
	_, err := ParseFlowsWith(strings.NewReader(file), CmdAdd, ParseOptions{})
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T), want a *ParseError", err, err)
	}
	if pe.Line != 3 || pe.Col != 23 || pe.Token != "65536" {
		t.Errorf("got line %d column %d token %q, want line 3 column 23 token \"65536\"", pe.Line, pe.Col, pe.Token)
	}
	if !strings.HasPrefix(err.Error(), "line 3, column 23: ") {
		t.Errorf("Error() = %q, want it to start with \"line 3, column 23: \"", err.Error())
	}

	// A continued line is reported at its first line.
	file = "priority=1,actions=drop\n" +
		"priority=2,\\\n" +
		"foo=1,actions=drop\n"
	_, err = ParseFlowsWith(strings.NewReader(file), CmdAdd, ParseOptions{})
	if !errors.As(err, &pe) || pe.Line != 2 || pe.Token != "foo" {
		t.Errorf("continued line: got %v, want line 2 at foo", err)
	}
}
