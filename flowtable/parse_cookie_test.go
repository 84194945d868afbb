package flowtable

import (
	"errors"
	"strings"
	"testing"
)

// TestCookieField checks cookie= as ovs-ofctl 3.1 reads it, per command:
// a value alone sets (add, modify) or is refused (delete, dump filter); a
// value with a mask selects (modify, delete) or is refused (add).
func TestCookieField(t *testing.T) {
	const allOnes = ^uint64(0)
	cases := []struct {
		cmd       Command
		in        string
		cookie    uint64
		mask      uint64
		newCookie bool
		errCol    int    // 0: accepted
		errMsg    string // substring of the refusal
	}{
		{cmd: CmdAdd, in: "cookie=0x1234,actions=drop", cookie: 0x1234},
		{cmd: CmdAdd, in: "cookie=-1,actions=drop", cookie: allOnes},
		{cmd: CmdAdd, in: "cookie=42,actions=drop", cookie: 42},
		{cmd: CmdAdd, in: "cookie=0x1/0xff,actions=drop", errCol: 8, errMsg: "mask is only allowed when modifying"},
		{cmd: CmdModify, in: "cookie=0x5,actions=drop", cookie: 5, newCookie: true},
		{cmd: CmdModify, in: "cookie=0x1/0xff,actions=drop", cookie: 1, mask: 0xff},
		{cmd: CmdModify, in: "in_port=1,actions=drop", cookie: 0, newCookie: true},
		{cmd: CmdModifyStrict, in: "priority=9,in_port=3,actions=drop", cookie: 0, newCookie: true},
		{cmd: CmdModifyStrict, in: "cookie=0x1/-1,actions=drop", cookie: 1, mask: allOnes},
		{cmd: CmdDelete, in: "cookie=0x1/-1", cookie: 1, mask: allOnes},
		{cmd: CmdDelete, in: "cookie=-2/-1", cookie: allOnes - 1, mask: allOnes},
		{cmd: CmdDelete, in: "cookie=0x1/0", cookie: 1, mask: 0},
		{cmd: CmdDelete, in: "cookie=0x1/0xffffffffffffffff", cookie: 1, mask: allOnes},
		{cmd: CmdDelete, in: "cookie=0x1", errCol: 8, errMsg: "cookie=0x1/-1"},
		{cmd: CmdDeleteStrict, in: "priority=7,cookie=0x1", errCol: 19, errMsg: "cannot set a cookie"},
		{cmd: CmdDelete, in: "cookie=0x1/", errCol: 12, errMsg: "bad cookie mask: missing number"},
		{cmd: CmdDelete, in: "cookie=/-1", errCol: 8, errMsg: "bad cookie: missing number"},
		{cmd: CmdDelete, in: "cookie=0x1/abc", errCol: 12, errMsg: "bad cookie mask"},
		{cmd: CmdDelete, in: "cookie=0x1/-1/2", errCol: 12, errMsg: "bad cookie mask"},
		{cmd: CmdDelete, in: "cookie=0x1/0x1ffffffffffffffff", errCol: 12, errMsg: "does not fit in 64 bits"},
	}
	for _, c := range cases {
		t.Run(c.cmd.String()+" "+c.in, func(t *testing.T) {
			m, err := ParseFlowWith(c.in, c.cmd, ParseOptions{})
			if c.errCol != 0 {
				var pe *ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("got %v, want a refusal at column %d", err, c.errCol)
				}
				if pe.Col != c.errCol || !strings.Contains(pe.Msg, c.errMsg) {
					t.Fatalf("refused at column %d with %q, want column %d and %q", pe.Col, pe.Msg, c.errCol, c.errMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Flow.Cookie != c.cookie || m.CookieMask != c.mask || m.NewCookie != c.newCookie {
				t.Fatalf("cookie %#x mask %#x new %v, want %#x %#x %v", m.Flow.Cookie, m.CookieMask, m.NewCookie, c.cookie, c.mask, c.newCookie)
			}
		})
	}
}
