package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gvs-project/gvs/netdev"
)

// TestVsctlBadNames checks that bridge and port names Linux and Open
// vSwitch refuse (ovs-vswitchd ignores a bridge named with '/'; the
// kernel refuses interface names with whitespace, '/' or ':', or longer
// than 15 characters) are refused with a clear error, through add-br,
// add-port and a chain alike, and that nothing is added.
func TestVsctlBadNames(t *testing.T) {
	d := startDaemon(t, daemonConfig{})
	d.ctl("add-br", "br0")
	for _, c := range []struct {
		name, err string
	}{
		{"bad name", `invalid bridge name "bad name"`},
		{"br0/x", `invalid bridge name "br0/x"`},
		{"a:b", `invalid bridge name "a:b"`},
		{"0123456789abcdef", "longer than 15 characters"},
		{"..", `invalid bridge name ".."`},
		{"", "bridge name must not be empty string"},
	} {
		for _, args := range [][]string{
			{"add-br", c.name},
			{"--", "add-br", c.name},
			{"add-port", "br0", c.name, "type=pcap"},
			{"--", "add-port", "br0", c.name, "type=pcap"},
		} {
			want := c.err
			if args[len(args)-1] == "type=pcap" {
				want = strings.Replace(c.err, "bridge", "port", 1)
			}
			_, errOut, err := d.gvsctlErr(args...)
			if exitCode(err) != 1 || !strings.Contains(errOut, want) || strings.Count(errOut, "\n") != 1 {
				t.Errorf("gvsctl %q: exit %d, stderr %q; want exit 1 and one line with %q", args, exitCode(err), errOut, want)
			}
		}
	}
	if got := d.ctl("list-br"); got != "br0\n" {
		t.Errorf("list-br after refused names: %q", got)
	}
	if got := d.ctl("list-ports", "br0"); got != "\n" {
		t.Errorf("list-ports after refused names: %q", got)
	}
	// The longest name an interface may have is accepted.
	d.ctl("add-br", "br-0123456789ab")
}

// TestVsctlCleanErrors checks item 5 and 6's messages: one line, the
// message alone (no "rpc error: code = ..."), exit status 1.
func TestVsctlCleanErrors(t *testing.T) {
	d := startDaemon(t, daemonConfig{})
	d.ctl("add-br", "br0")
	d.ctl("add-port", "br0", "p1", "type=pcap", "ofport=1")
	for _, c := range []struct {
		args []string
		want string // all of stderr
	}{
		{[]string{"add-port", "nope", "p9", "type=pcap"}, "gvsctl: no bridge named nope\n"},
		{[]string{"drops", "br-nope"}, "gvsctl: no bridge named br-nope\n"},
		{[]string{"del-br", "nope"}, "gvsctl: no bridge named nope\n"},
		{[]string{"del-port", "nope"}, "gvsctl: no port named nope\n"},
		{[]string{"add-port", "br0", "p1", "type=pcap"}, "gvsctl: cannot create a port named p1 because a port named p1 already exists on bridge br0\n"},
		{[]string{"set-port", "nope", "tag=1"}, "gvsctl: no port named nope\n"},
		{[]string{"trace", "nope", "in_port=1", "ffffffffffff0200000000010800"}, "gvsctl: no bridge named nope\n"},
		{[]string{"--", "add-br", "br9", "br0", "10"}, "gvsctl: add-br br9 br0 10: fake bridges (add-br BRIDGE PARENT VLAN) are not supported: give the ports a tag instead\n"},
	} {
		out, errOut, err := d.gvsctlErr(c.args...)
		if exitCode(err) != 1 || errOut != c.want || out != "" {
			t.Errorf("gvsctl %s: exit %d, stdout %q, stderr %q; want exit 1, stderr %q", strings.Join(c.args, " "), exitCode(err), out, errOut, c.want)
		}
	}
}

// TestVsctlTraceOVSOrder checks that trace takes ovs-appctl
// ofproto/trace's order, BRIDGE in_port=PORT PACKET, with the result of
// the --packet form.
func TestVsctlTraceOVSOrder(t *testing.T) {
	d := startDaemon(t, daemonConfig{})
	d.ctl("add-br", "br0")
	d.ctl("add-port", "br0", "p1", "type=pcap", "ofport=11")
	frame := "ffffffffffff020000000001" + "88b5" + strings.Repeat("00", 46)
	want := d.ctl("trace", "br0", "in_port=11", "--packet", frame)
	if got := d.ctl("trace", "br0", "in_port=11", frame); got != want || !strings.Contains(got, "in_port=11") {
		t.Errorf("trace BR in_port=11 HEX:\n%s\nwant (the --packet form):\n%s", got, want)
	}
}

// TestCaptureChecksFirst checks that a capture of a missing bridge or
// port fails before writing anything: no pcap header on stdout, no -w
// file.
func TestCaptureChecksFirst(t *testing.T) {
	d := startDaemon(t, daemonConfig{})
	d.ctl("add-br", "br0")
	d.ctl("add-port", "br0", "p1", "type=pcap")
	file := filepath.Join(d.dir, "cap.pcap")
	for _, args := range [][]string{
		{"capture", "br0", "nope", "-c", "1"},
		{"capture", "nope", "p1", "-c", "1"},
		{"capture", "br0", "p1", "--direction", "sideways"},
		{"capture", "br0", "nope", "-c", "1", "-w", file},
	} {
		out, errOut, err := d.gvsctlErr(args...)
		if exitCode(err) != 1 || out != "" || !strings.HasPrefix(errOut, "gvsctl: ") {
			t.Errorf("gvsctl %s: exit %d, %d bytes on stdout, stderr %q; want exit 1, nothing on stdout", strings.Join(args, " "), exitCode(err), len(out), errOut)
		}
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("a refused capture created its -w file: %v", err)
	}
}

// TestTapReAdd checks that adding a tap port again says the port exists,
// and that a tap another process holds says so, instead of TUNSETIFF's
// "device or resource busy".
func TestTapReAdd(t *testing.T) {
	needRootCI(t, "creates TAP devices")
	d := startDaemon(t, daemonConfig{})
	d.ctl("add-br", "br0")
	tap := fmt.Sprintf("gvt%d", os.Getpid()%100000)
	d.ctl("add-port", "br0", tap, "type=tap")
	t.Cleanup(func() { d.gvsctlErr("del-port", tap) })
	want := fmt.Sprintf("gvsctl: cannot create a port named %s because a port named %s already exists on bridge br0\n", tap, tap)
	if _, errOut, err := d.gvsctlErr("add-port", "br0", tap, "type=tap"); exitCode(err) != 1 || errOut != want {
		t.Errorf("re-adding tap %s: exit %d, stderr %q; want %q", tap, exitCode(err), errOut, want)
	}

	held := fmt.Sprintf("gvh%d", os.Getpid()%100000)
	h, err := netdev.OpenTap(held) // this process holds it, as a VM's QEMU would
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() }) // a tap nobody holds and not persistent goes away
	_, errOut, err := d.gvsctlErr("add-port", "br0", held, "type=tap")
	if exitCode(err) != 1 || !strings.Contains(errOut, "is in use by another process") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("adding tap %s held by another process: exit %d, stderr %q", held, exitCode(err), errOut)
	}
	if got := d.ctl("list-ports", "br0"); got != tap+"\n" {
		t.Errorf("list-ports after the refused tap: %q", got)
	}
}
