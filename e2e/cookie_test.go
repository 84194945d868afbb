package e2e

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gvs-project/gvs/internal/ovstest"
)

// cookieFlows is the table every cookie case starts from: cookies that
// agree in their low byte (0x1, 0x101), one that differs (0x2), a larger
// one (0x1234), and cookie 0x1 in a second table.
const cookieFlows = `cookie=0x1,priority=1,actions=drop
cookie=0x2,priority=2,actions=drop
cookie=0x101,priority=3,actions=drop
cookie=0x1234,priority=4,actions=drop
table=1,cookie=0x1,priority=5,actions=drop
`

// cookieCases are ovs-ofctl commands that use cookie=, with what Open
// vSwitch 3.1 does with each (recorded from ovs-ofctl against a dummy
// bridge loaded with cookieFlows; TestCookieSemantics checks OVS still
// does so when it is installed). ok is whether the command succeeds; for
// a dump, out are the flows it prints (--no-stats, sorted); for a change,
// after is the table afterwards (all flows, --no-stats, sorted); errHas is
// a substring of gvs's refusal.
var cookieCases = []struct {
	name   string
	args   []string
	ok     bool
	errHas string
	out    []string // dump-flows only
	after  []string // nil: unchanged
}{
	{name: "del-flows without a mask is refused, nothing deleted",
		args: []string{"del-flows", "br0", "cookie=0x1"}, errHas: "cookie=0x1/-1"},
	{name: "del-flows --strict without a mask is refused",
		args: []string{"del-flows", "--strict", "br0", "priority=1,cookie=0x1"}, errHas: "give a mask"},
	{name: "dump-flows without a mask is refused",
		args: []string{"dump-flows", "--no-stats", "br0", "cookie=0x1234"}, errHas: "cookie=0x1234/-1"},
	{name: "dump-flows mask -1 is exact", ok: true,
		args: []string{"dump-flows", "--no-stats", "br0", "cookie=0x1/-1"},
		out:  []string{"cookie=0x1, priority=1 actions=drop", "cookie=0x1, table=1, priority=5 actions=drop"}},
	{name: "dump-flows mask 0xff", ok: true,
		args: []string{"dump-flows", "--no-stats", "br0", "cookie=0x1/0xff"},
		out:  []string{"cookie=0x1, priority=1 actions=drop", "cookie=0x1, table=1, priority=5 actions=drop", "cookie=0x101, priority=3 actions=drop"}},
	{name: "dump-flows mask and table", ok: true,
		args: []string{"dump-flows", "--no-stats", "br0", "table=1,cookie=0x1/0xff"},
		out:  []string{"cookie=0x1, table=1, priority=5 actions=drop"}},
	{name: "dump-flows negative cookie", ok: true,
		args: []string{"dump-flows", "--no-stats", "br0", "cookie=-1/-1"}, out: []string{}},
	{name: "dump-flows bad mask is refused",
		args: []string{"dump-flows", "--no-stats", "br0", "cookie=0x1/abc"}, errHas: "column 12: bad cookie mask"},
	{name: "del-flows mask -1 deletes exactly that cookie", ok: true,
		args:  []string{"del-flows", "br0", "cookie=0x1/-1"},
		after: []string{"cookie=0x101, priority=3 actions=drop", "cookie=0x1234, priority=4 actions=drop", "cookie=0x2, priority=2 actions=drop"}},
	{name: "del-flows mask 0xff", ok: true,
		args:  []string{"del-flows", "br0", "cookie=0x1/0xff"},
		after: []string{"cookie=0x1234, priority=4 actions=drop", "cookie=0x2, priority=2 actions=drop"}},
	{name: "del-flows --strict with a mask", ok: true,
		args: []string{"del-flows", "--strict", "br0", "priority=1,cookie=0x1/-1"},
		after: []string{"cookie=0x1, table=1, priority=5 actions=drop", "cookie=0x101, priority=3 actions=drop",
			"cookie=0x1234, priority=4 actions=drop", "cookie=0x2, priority=2 actions=drop"}},
	{name: "mod-flows with a mask modifies only matching flows", ok: true,
		args: []string{"mod-flows", "br0", "cookie=0x1/0xff,actions=output:1"},
		after: []string{"cookie=0x1, priority=1 actions=output:1", "cookie=0x1, table=1, priority=5 actions=output:1",
			"cookie=0x101, priority=3 actions=output:1", "cookie=0x1234, priority=4 actions=drop", "cookie=0x2, priority=2 actions=drop"}},
	{name: "mod-flows without a mask sets the cookie of every flow it modifies", ok: true,
		args: []string{"mod-flows", "br0", "table=0,cookie=0x5,actions=drop"},
		after: []string{"cookie=0x1, table=1, priority=5 actions=drop", "cookie=0x5, priority=1 actions=drop",
			"cookie=0x5, priority=2 actions=drop", "cookie=0x5, priority=3 actions=drop", "cookie=0x5, priority=4 actions=drop"}},
	{name: "mod-flows without cookie= resets the cookie of every flow it modifies", ok: true,
		args: []string{"mod-flows", "br0", "actions=output:3"},
		after: []string{"priority=1 actions=output:3", "priority=2 actions=output:3", "priority=3 actions=output:3",
			"priority=4 actions=output:3", "table=1, priority=5 actions=output:3"}},
	{name: "mod-flows --strict without cookie= resets the cookie of the flow it modifies", ok: true,
		args: []string{"mod-flows", "--strict", "br0", "priority=3,actions=output:3"},
		after: []string{"cookie=0x1, priority=1 actions=drop", "cookie=0x1, table=1, priority=5 actions=drop",
			"cookie=0x1234, priority=4 actions=drop", "cookie=0x2, priority=2 actions=drop", "priority=3 actions=output:3"}},
	{name: "mod-flows with a mask that matches nothing adds nothing", ok: true,
		args: []string{"mod-flows", "br0", "cookie=0x9/-1,priority=9,actions=drop"}},
	{name: "mod-flows without a mask that matches nothing adds the flow", ok: true,
		args: []string{"mod-flows", "br0", "table=2,cookie=0x9,priority=9,actions=drop"},
		after: []string{"cookie=0x1, priority=1 actions=drop", "cookie=0x1, table=1, priority=5 actions=drop",
			"cookie=0x101, priority=3 actions=drop", "cookie=0x1234, priority=4 actions=drop",
			"cookie=0x2, priority=2 actions=drop", "cookie=0x9, table=2, priority=9 actions=drop"}},
	{name: "add-flow with a mask is refused",
		args: []string{"add-flow", "br0", "cookie=0x1/0xff,priority=9,actions=drop"}, errHas: "mask is only allowed when modifying"},
}

// switchUnderTest runs ofctl-style commands on one switch: gvs through
// gvsctl or OVS through ovs-ofctl.
type switchUnderTest struct {
	name string
	run  func(args ...string) (stdout, stderr string, err error)
}

// TestCookieSemantics runs each cookie case on gvsd through gvsctl and
// checks gvs does what OVS 3.1 does; then, where Open vSwitch is
// installed, runs the same cases through ovs-ofctl on a dummy bridge, so
// the expectations are checked against OVS itself (without OVS the test
// skips at that point; with CI=true it fails).
func TestCookieSemantics(t *testing.T) {
	file := filepath.Join(t.TempDir(), "cookies.flows")
	if err := os.WriteFile(file, []byte(cookieFlows), 0o644); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, daemonConfig{})
	d.ctl("add-br", "br0", "fail_mode=secure")
	t.Run("gvs", func(t *testing.T) {
		runCookieCases(t, switchUnderTest{name: "gvsctl", run: d.gvsctlErr}, file, true)
	})
	o := ovstest.Start(t)
	if err := o.AddBridge("br0", true); err != nil {
		t.Fatal(err)
	}
	t.Run("ovs", func(t *testing.T) {
		runCookieCases(t, switchUnderTest{name: "ovs-ofctl", run: func(args ...string) (string, string, error) {
			out, err := o.Ofctl(args...)
			if err == nil {
				return out, "", nil
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("ovs-ofctl did not run: %v", err) // not a refusal
			}
			return out, err.Error(), err
		}}, file, false)
	})
}

// runCookieCases loads cookieFlows before each case, runs it and checks
// the outcome; messages are checked only for gvs (checkMsg), whose
// wording is its own.
func runCookieCases(t *testing.T, sw switchUnderTest, file string, checkMsg bool) {
	must := func(args ...string) string {
		out, errOut, err := sw.run(args...)
		if err != nil {
			t.Fatalf("%s %v: %v %s", sw.name, args, err, errOut)
		}
		return out
	}
	initial := strings.Split(strings.TrimSpace(cookieFlows), "\n")
	for _, c := range cookieCases {
		must("del-flows", "br0")
		must("add-flows", "br0", file)
		before := sortedFlows(must("dump-flows", "--no-stats", "br0"))
		if len(before) != len(initial) {
			t.Fatalf("%s: loaded %d flows, want %d:\n%s", sw.name, len(before), len(initial), strings.Join(before, "\n"))
		}
		out, errOut, err := sw.run(c.args...)
		switch {
		case c.ok && err != nil:
			t.Errorf("%s: %s %v refused: %v %s", c.name, sw.name, c.args, err, errOut)
			continue
		case !c.ok && err == nil:
			t.Errorf("%s: %s %v accepted, want it refused", c.name, sw.name, c.args)
		case !c.ok && checkMsg && !strings.Contains(errOut, c.errHas):
			t.Errorf("%s: %s %v said %q, want it to contain %q", c.name, sw.name, c.args, errOut, c.errHas)
		}
		if c.out != nil {
			if got := sortedFlows(out); !slices.Equal(got, c.out) {
				t.Errorf("%s: %s %v printed\n%s\nwant\n%s", c.name, sw.name, c.args, strings.Join(got, "\n"), strings.Join(c.out, "\n"))
			}
		}
		want := c.after
		if want == nil {
			want = before
		}
		if got := sortedFlows(must("dump-flows", "--no-stats", "br0")); !slices.Equal(got, want) {
			t.Errorf("%s: after %s %v the table is\n%s\nwant\n%s", c.name, sw.name, c.args, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// sortedFlows returns the flow lines of a dump-flows output, trimmed and
// sorted, without the reply header.
func sortedFlows(out string) []string {
	fl := []string{}
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.Contains(l, "_FLOW reply") {
			fl = append(fl, l)
		}
	}
	slices.Sort(fl)
	return fl
}
