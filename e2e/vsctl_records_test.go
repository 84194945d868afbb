package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// vsctlStep is one ovs-vsctl command line with what Open vSwitch 3.1
// prints for it: stdout, or the message of its error (after the
// program's name), or exit status 2 (br-exists). The steps run in order
// on one database; the expectations were taken from ovs-vsctl runs
// against OVS 3.1 and TestVsctlRecordsOVS checks them against a live
// ovsdb-server when one is installed.
type vsctlStep struct {
	args []string
	out  string
	err  string // the error message: exit status 1
	exit int    // another exit status, without output
}

// vsctlSteps are read with the columns both implementations keep (not
// ofport, error or link_state, which need ovs-vswitchd).
var vsctlSteps = []vsctlStep{
	{args: []string{"add-br", "br0"}},
	{args: []string{"get-fail-mode", "br0"}},
	{args: []string{"get", "Bridge", "br0", "fail_mode"}, out: "[]\n"},
	{args: []string{"set", "Bridge", "br0", "external_ids:x=y", "other_config:a=b"}},
	{args: []string{"get", "Bridge", "br0", "external_ids"}, out: "{x=y}\n"},
	{args: []string{"get", "Bridge", "br0", "external_ids:x"}, out: "y\n"},
	{args: []string{"get", "Bridge", "br0", "external_ids:nokey"}, err: `no key "nokey" in Bridge record "br0" column external_ids`},
	{args: []string{"--if-exists", "get", "Bridge", "br0", "external_ids:nokey"}, out: "\n"},
	{args: []string{"get", "Bridge", "br0", "name"}, out: "br0\n"},
	{args: []string{"get", "Bridge", "br0", "external_ids:x", "external_ids"}, out: "y\n{x=y}\n"},
	{args: []string{"set-fail-mode", "br0", "secure"}},
	{args: []string{"get-fail-mode", "br0"}, out: "secure\n"},
	{args: []string{"get", "bridge", "br0", "fail_mode"}, out: "secure\n"},
	{args: []string{"set-fail-mode", "br0", "bogus"}, err: `fail-mode must be "standalone" or "secure"`},
	{args: []string{"del-fail-mode", "br0"}},
	{args: []string{"get-fail-mode", "br0"}},
	{args: []string{"set", "Bridge", "br0", "fail_mode=standalone"}},
	{args: []string{"get-fail-mode", "br0"}, out: "standalone\n"},
	{args: []string{"set", "Bridge", "br0", "fail_mode=secure"}},
	{args: []string{"--columns=name,external_ids,other_config,fail_mode", "list", "Bridge", "br0"},
		out: "name                : br0\nexternal_ids        : {x=y}\nother_config        : {a=b}\nfail_mode           : secure\n"},
	{args: []string{"list", "bridge", "nope"}, err: `no row "nope" in table Bridge`},
	{args: []string{"set", "Open_vSwitch", ".", "external_ids:system-id=host1", "other_config:k=v"}},
	{args: []string{"get", "Open_vSwitch", ".", "external_ids:system-id"}, out: "host1\n"},
	{args: []string{"--columns=external_ids,other_config", "list", "Open_vSwitch"},
		out: "external_ids        : {system-id=host1}\nother_config        : {k=v}\n"},
	{args: []string{"get", "open", ".", "external_ids"}, out: "{system-id=host1}\n"},
	{args: []string{"get", "Open_vSwitch", "nope", "external_ids"}, err: `no row "nope" in table Open_vSwitch`},
	{args: []string{"remove", "Open_vSwitch", ".", "other_config", "k"}},
	{args: []string{"get", "Open_vSwitch", ".", "other_config"}, out: "{}\n"},
	{args: []string{"add-port", "br0", "p1", "--", "set", "Interface", "p1", "type=pcap"}},
	{args: []string{"set", "Port", "p1", "tag=5", `external_ids:k="a b"`}},
	{args: []string{"--columns=name,tag,trunks,vlan_mode,external_ids,other_config", "list", "Port", "p1"},
		out: "name                : p1\ntag                 : 5\ntrunks              : []\nvlan_mode           : []\nexternal_ids        : {k=\"a b\"}\nother_config        : {}\n"},
	{args: []string{"--columns=name", "find", "Port", "tag=5"}, out: "name                : p1\n"},
	{args: []string{"--columns=name", "find", "Port", `external_ids:k="a b"`}, out: "name                : p1\n"},
	{args: []string{"find", "Port", "tag=6"}},
	{args: []string{"get", "Port", "p1", "tag"}, out: "5\n"},
	{args: []string{"get", "Port", "p1", "vlan_mode"}, out: "[]\n"},
	{args: []string{"get", "Port", "p1", "external_ids"}, out: "{k=\"a b\"}\n"},
	{args: []string{"set", "Port", "p1", "tag=4096"}, err: "constraint violation: 4096 is not in the valid range 0 to 4095 (inclusive)"},
	{args: []string{"clear", "Port", "p1", "tag"}},
	{args: []string{"get", "Port", "p1", "tag"}, out: "[]\n"},
	{args: []string{"clear", "Port", "p1", "name"}, err: "cannot modify read-only column name in table Port"},
	{args: []string{"set", "Port", "p1", "trunks=1,2"}},
	{args: []string{"get", "Port", "p1", "trunks"}, out: "[1, 2]\n"},
	{args: []string{"remove", "Port", "p1", "trunks", "1"}},
	{args: []string{"get", "Port", "p1", "trunks"}, out: "[2]\n"},
	{args: []string{"remove", "Port", "p1", "external_ids", "k"}},
	{args: []string{"get", "Port", "p1", "external_ids"}, out: "{}\n"},
	{args: []string{"set", "Interface", "p1", "external_ids:iface-id=vm1", "external_ids:attached-mac=\"02:00:00:00:00:01\""}},
	{args: []string{"--columns=name,type,options,external_ids,other_config", "list", "Interface", "p1"},
		out: "name                : p1\ntype                : pcap\noptions             : {}\nexternal_ids        : {attached-mac=\"02:00:00:00:00:01\", iface-id=vm1}\nother_config        : {}\n"},
	{args: []string{"get", "Interface", "p1", "external_ids:iface-id"}, out: "vm1\n"},
	{args: []string{"--columns=name", "find", "Interface", "external_ids:iface-id=vm1"}, out: "name                : p1\n"},
	{args: []string{"set", "Port", "p1", `external_ids:k="x,y"`}},
	{args: []string{"-f", "table", "--columns=name,external_ids,tag", "list", "Port", "p1"},
		out: "name external_ids tag\n---- ------------ ---\np1   {k=\"x,y\"}    []\n"},
	{args: []string{"-f", "csv", "--columns=name,external_ids,tag", "list", "Port", "p1"},
		out: "name,external_ids,tag\np1,\"{k=\"\"x,y\"\"}\",[]\n"},
	{args: []string{"--format=csv", "--columns=name", "find", "Port", "tag=77"}, out: "name\n"},
	{args: []string{"set", "Bridge", "nope", "external_ids:x=y"}, err: `no row "nope" in table Bridge`},
	{args: []string{"set", "Bridge", "br0", "nocol=1"}, err: `Bridge does not contain a column whose name matches "nocol"`},
	{args: []string{"set", "Tablex", "br0", "a=b"}, err: `unknown table "Tablex"`},
	{args: []string{"br-exists", "br0"}},
	{args: []string{"br-exists", "nope"}, exit: 2},
	{args: []string{"port-to-br", "p1"}, out: "br0\n"},
	{args: []string{"port-to-br", "nope"}, err: "no port named nope"},
	{args: []string{"iface-to-br", "p1"}, out: "br0\n"},
	{args: []string{"list-ifaces", "br0"}, out: "p1\n"},
	// One transaction: the last command fails, nothing of the others stays.
	{args: []string{"--", "add-br", "br1", "--", "set", "Bridge", "br1", "external_ids:x=y", "--", "add-port", "br1", "q1",
		"--", "set", "Bridge", "nope", "external_ids:a=b"}, err: `no row "nope" in table Bridge`},
	{args: []string{"list-br"}, out: "br0\n"},
	{args: []string{"add-br", ""}, err: "bridge name must not be empty string"},
	{args: []string{"del-br", "nope"}, err: "no bridge named nope"},
	{args: []string{"--if-exists", "del-br", "nope"}},
	{args: []string{"add-port", "nope", "p9"}, err: "no bridge named nope"},
	{args: []string{"add-port", "br0", "p1"}, err: "cannot create a port named p1 because a port named p1 already exists on bridge br0"},
	{args: []string{"--", "get", "Bridge", "br0", "name", "--", "list-br"}, out: "br0\nbr0\n"},
	{args: []string{"set", "Bridge", "br0", `external_ids={a=b, c="d e"}`}},
	{args: []string{"get", "Bridge", "br0", "external_ids"}, out: "{a=b, c=\"d e\"}\n"},
	{args: []string{"--", "add-br", "br1", "--", "set", "Bridge", "br1", "other_config:k=v", "--", "get", "Bridge", "br1", "other_config:k"}, out: "v\n"},
	{args: []string{"list-br"}, out: "br0\nbr1\n"},
	{args: []string{"del-br", "br1"}},
	{args: []string{"add-br", "p1"}, err: "cannot create a bridge named p1 because a port named p1 already exists on bridge br0"},
	{args: []string{"add-port", "br0", "br0"}, err: "cannot create a port named br0 because a bridge named br0 already exists"},
	{args: []string{"--", "--may-exist", "add-br", "br0", "--", "br-exists", "br0"}},
	{args: []string{"del-port", "nope"}, err: "no port named nope"},
	{args: []string{"del-port", "br0", "nope"}, err: "no port named nope"},
	{args: []string{"list-br", "--", "br-exists", "nope"}, exit: 2},
	{args: []string{"--may-exist", "add-br", "br0", "--", "br-exists", "br0"}},
	{args: []string{"del-port", "br0", "p1", "--", "del-port", "br0", "nope"}, err: "no port named nope"},
	{args: []string{"list-ifaces", "br0"}, out: "p1\n"},
	{args: []string{"--columns=name", "list", "Bridge", "--", "get-fail-mode", "br0"}, out: "name                : br0\nsecure\n"},
	{args: []string{"del-port", "br0", "p1"}},
	{args: []string{"list-ifaces", "br0"}},
}

// runSteps runs the steps with run (a command line to stdout, stderr and
// exit status) and checks each against its expectation; prog is the
// name errors begin with.
func runSteps(t *testing.T, prog string, run func(args ...string) (string, string, int)) {
	t.Helper()
	for i, s := range vsctlSteps {
		out, errOut, code := run(s.args...)
		wantErr, wantCode := "", s.exit
		if s.err != "" {
			wantErr, wantCode = prog+": "+s.err+"\n", 1
		}
		if out != s.out || errOut != wantErr || code != wantCode {
			t.Errorf("step %d: %s %s\n got: exit %d, stdout %q, stderr %q\nwant: exit %d, stdout %q, stderr %q",
				i, prog, strings.Join(s.args, " "), code, out, errOut, wantCode, s.out, wantErr)
		}
	}
}

// TestVsctlRecords runs the ovs-vsctl steps against gvsd through gvsctl:
// the same outputs and messages as Open vSwitch's.
func TestVsctlRecords(t *testing.T) {
	needRootCI(t, "adds a system port (p1) before it becomes a pcap port")
	d := startDaemon(t, daemonConfig{})
	runSteps(t, "gvsctl", func(args ...string) (string, string, int) {
		out, errOut, err := d.gvsctlErr(args...)
		return out, errOut, exitCode(err)
	})
}

// TestVsctlRecordsOVS runs the same steps against Open vSwitch's own
// ovs-vsctl and ovsdb-server, proving that the expectations are OVS's.
// Without OVS installed it is skipped, except where CI=true.
func TestVsctlRecordsOVS(t *testing.T) {
	vsctl := startOVSDB(t)
	runSteps(t, "ovs-vsctl", vsctl)
}

// startOVSDB starts a private ovsdb-server with the Open vSwitch schema
// (no ovs-vswitchd: the steps need only the database) and returns a
// runner of ovs-vsctl against it. The server is killed, its files removed
// at the end of the test.
func startOVSDB(t *testing.T) func(args ...string) (string, string, int) {
	t.Helper()
	const schema = "/usr/share/openvswitch/vswitch.ovsschema"
	why := ""
	for _, tool := range []string{"ovsdb-tool", "ovsdb-server", "ovs-vsctl"} {
		if _, err := exec.LookPath(tool); err != nil {
			why = "needs Open vSwitch (" + tool + ")"
		}
	}
	if _, err := os.Stat(schema); err != nil && why == "" {
		why = "needs Open vSwitch's schema " + schema
	}
	if why != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s (CI=true: this test must run)", why)
		}
		t.Skip(why)
	}
	dir := t.TempDir()
	db, sock := filepath.Join(dir, "conf.db"), filepath.Join(dir, "db.sock")
	if out, err := exec.Command("ovsdb-tool", "create", db, schema).CombinedOutput(); err != nil {
		t.Fatalf("ovsdb-tool create: %v\n%s", err, out)
	}
	log := &syncBuffer{}
	srv := exec.Command("ovsdb-server", db, "--remote=punix:"+sock, "--unixctl="+filepath.Join(dir, "ctl"), "--no-chdir")
	srv.Env = append(os.Environ(), "OVS_RUNDIR="+dir, "OVS_LOGDIR="+dir, "OVS_DBDIR="+dir)
	srv.Stdout, srv.Stderr = log, log
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { srv.Wait(); close(exited) }()
	t.Cleanup(func() {
		srv.Process.Kill()
		<-exited
	})
	run := func(args ...string) (string, string, int) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "ovs-vsctl", append([]string{"--db=unix:" + sock, "--no-wait"}, args...)...)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatalf("ovs-vsctl: %v", err)
		}
		return out.String(), errOut.String(), exitCode(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		select {
		case <-exited:
			t.Fatalf("ovsdb-server exited: %s", log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("ovsdb-server did not open %s within 10 s\n%s", sock, log.String())
		}
		time.Sleep(20 * time.Millisecond) // polling interval of the socket
	}
	if _, errOut, code := run("init"); code != 0 {
		t.Fatalf("ovs-vsctl init: %s", errOut)
	}
	return run
}
