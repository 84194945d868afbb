package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// vsctlView is everything an operator sees of bridges, ports and flows,
// and the state file's bytes.
func vsctlView(t *testing.T, d *daemon) string {
	t.Helper()
	state, err := os.ReadFile(filepath.Join(d.dir, "state", "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString(d.ctl("show"))
	for _, br := range strings.Fields(d.ctl("list-br")) {
		b.WriteString(d.ctl("dump-flows", br, "--no-stats"))
	}
	for _, table := range []string{"Bridge", "Port", "Interface"} {
		b.WriteString(d.ctl("list", table))
	}
	b.WriteString(string(state))
	return b.String()
}

// TestVsctlChainAtomic checks that "gvsctl -- CMD -- CMD ..." is one
// transaction, as ovs-vsctl's: a chain whose last command fails leaves
// no change of the earlier ones (bridges, ports, devices, flows, records,
// the state file), and a chain that succeeds keeps them all.
func TestVsctlChainAtomic(t *testing.T) {
	needRootCI(t, "re-creates pcap ports' devices")
	d := startDaemon(t, daemonConfig{})
	d.ctl("add-br", "br0")
	d.ctl("add-port", "br0", "p1", "type=pcap", "ofport=1", "tag=10", "options:tx="+txPath(d.dir, "p1"))
	d.ctl("add-port", "br0", "p2", "type=pcap", "ofport=2", "tag=10")
	d.ctl("add-flow", "br0", "cookie=0x7,priority=100,in_port=1,actions=output:2")
	d.ctl("set", "Bridge", "br0", "external_ids:owner=neutron")
	d.ctl("set", "Interface", "p1", "external_ids:iface-id=vm1")
	before := vsctlView(t, d)

	for _, c := range []struct {
		name  string
		chain []string
		err   string // in the message
	}{
		{"new bridge and port, then a missing record",
			[]string{"add-br", "br1", "--", "add-port", "br1", "q1", "type=pcap", "--", "set", "Bridge", "br1", "external_ids:x=y", "--", "set", "Port", "nope", "tag=1"},
			`no row "nope" in table Port`},
		{"bridge with ports and flows deleted, then a missing record",
			[]string{"del-br", "br0", "--", "add-br", "br2", "--", "get", "Bridge", "nope", "name"},
			`no row "nope" in table Bridge`},
		{"port settings, then a device that cannot be made",
			[]string{"set", "Port", "p1", "tag=20", "external_ids:a=b", "--", "set", "Interface", "p2", "options:tx=/nonexistent/dir/x.pcap"},
			"nonexistent"},
		{"port deleted and re-added elsewhere, then a bad fail mode",
			[]string{"del-port", "br0", "p1", "--", "add-port", "br0", "p1", "type=pcap", "ofport=7", "--", "set-fail-mode", "br0", "bogus"},
			"fail-mode must be"},
		{"records and fail mode, then a read-only column",
			[]string{"set-fail-mode", "br0", "secure", "--", "set", "Bridge", "br0", "external_ids:owner=other", "--",
				"remove", "Port", "p1", "tag", "10", "--", "clear", "Bridge", "br0", "name"},
			"read-only column name"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, err := d.gvsctlErr(append([]string{"--"}, c.chain...)...)
			if exitCode(err) != 1 || !strings.Contains(errOut, c.err) || strings.Contains(errOut, "rpc error") {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 1 and %q", exitCode(err), out, errOut, c.err)
			}
			if after := vsctlView(t, d); after != before {
				t.Errorf("the failed chain left changes:\n%s\nbefore:\n%s", after, before)
			}
		})
	}
	// The port whose deletion was undone forwards again: a broadcast from
	// p2 (NORMAL, VLAN 10) reaches p1's tx file.
	frame := "ffffffffffff020000000002" + "88b5" + strings.Repeat("00", 46)
	d.ctl("packet-out", "br0", "in_port=p2", frame)
	await(t, 5*time.Second, "a frame on the restored p1", func() bool { return len(readPcap(t, txPath(d.dir, "p1"))) > 0 })

	out := d.ctl("--no-wait", "--", "add-br", "br1", "--", "add-port", "br1", "q1", "type=pcap", "--",
		"set", "Interface", "q1", "external_ids:iface-id=vm2", "--", "get", "Interface", "q1", "external_ids:iface-id", "--", "port-to-br", "q1")
	if out != "vm2\nbr1\n" {
		t.Errorf("outputs of a successful chain: %q", out)
	}
	if got := d.ctl("list-br"); got != "br0\nbr1\n" {
		t.Errorf("list-br after a successful chain: %q", got)
	}
}

// TestVsctlRecordsPersist checks that the records' columns and the fail
// mode survive a restart of gvsd (the state file).
func TestVsctlRecordsPersist(t *testing.T) {
	needRootCI(t, "restarts gvsd with its ports")
	d := startDaemon(t, daemonConfig{})
	d.ctl("--", "add-br", "br0", "--", "set-fail-mode", "br0", "secure", "--",
		"set", "Bridge", "br0", `external_ids:bridge-id="br 0"`, "other_config:hwaddr=02:00:00:00:00:aa", "--",
		"add-port", "br0", "p1", "type=pcap", "--", "set", "Port", "p1", "tag=3", "other_config:k=v", "--",
		"set", "Interface", "p1", "external_ids:iface-id=vm1", "external_ids:attached-mac=02:00:00:00:00:01", "other_config:x=1")
	d.ctl("--", "add-br", "br1", "--", "set-fail-mode", "br1", "standalone", "--", "add-br", "br2",
		"--", "set", "Open_vSwitch", ".", "external_ids:system-id=host1", `external_ids:ovn-remote="tcp:10.0.0.1:6642"`)
	read := func(d *daemon) string {
		return d.ctl("--", "get", "Open_vSwitch", ".", "external_ids", "iface_types",
			"--", "get-fail-mode", "br1", "--", "get-fail-mode", "br2",
			"--", "get", "Bridge", "br0", "fail_mode", "external_ids", "other_config",
			"--", "get", "Port", "p1", "tag", "other_config", "external_ids",
			"--", "get", "Interface", "p1", "external_ids", "other_config", "type")
	}
	want := "{ovn-remote=\"tcp:10.0.0.1:6642\", system-id=host1}\n[afxdp, internal, patch, pcap, system, tap]\n" +
		"standalone\n" + "secure\n{bridge-id=\"br 0\"}\n{hwaddr=\"02:00:00:00:00:aa\"}\n" +
		"3\n{k=v}\n{}\n" +
		"{attached-mac=\"02:00:00:00:00:01\", iface-id=vm1}\n{x=\"1\"}\npcap\n"
	if got := read(d); got != want {
		t.Fatalf("before the restart:\n%s\nwant:\n%s", got, want)
	}
	// A new daemon on the same directory (the harness's restart of one
	// daemon value races under -race: issue 16 item 11).
	restart := func(d *daemon) *daemon {
		if err := d.stop(syscall.SIGTERM); err != nil {
			t.Fatalf("gvsd exit: %v", err)
		}
		return startDaemon(t, daemonConfig{dir: d.dir})
	}
	d = restart(d)
	if got := read(d); got != want {
		t.Errorf("after the restart:\n%s\nwant:\n%s", got, want)
	}
	// A record emptied stays empty across a restart.
	d.ctl("clear", "Interface", "p1", "external_ids")
	d = restart(d)
	if got := d.ctl("get", "Interface", "p1", "external_ids"); got != "{}\n" {
		t.Errorf("cleared external_ids after a restart: %q", got)
	}
}
