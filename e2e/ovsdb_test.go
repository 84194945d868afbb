package e2e

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ovsdbServer is a private ovsdb-server holding Open vSwitch's schema,
// run as a child process (never ovs-vswitchd).
type ovsdbServer struct {
	t    *testing.T
	dir  string
	db   string // the database file
	sock string // its unix socket
	cmd  *exec.Cmd
	done chan struct{}
}

// vswitchSchema is Debian's Open vSwitch schema.
const vswitchSchema = "/usr/share/openvswitch/vswitch.ovsschema"

// needOVSDB skips a test without ovsdb-server, ovsdb-tool, ovs-vsctl and
// the schema, and fails it where CI=true.
func needOVSDB(t *testing.T) {
	t.Helper()
	missing := ""
	for _, tool := range []string{"ovsdb-server", "ovsdb-tool", "ovs-vsctl"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = tool
		}
	}
	if _, err := os.Stat(vswitchSchema); err != nil {
		missing = vswitchSchema
	}
	if missing == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true but %s is missing (install openvswitch-switch)", missing)
	}
	t.Skipf("needs Open vSwitch's ovsdb-server: %s is missing", missing)
}

// startOVSDBServer creates a database in dir and serves it until the test ends.
func startOVSDBServer(t *testing.T, dir string) *ovsdbServer {
	t.Helper()
	s := &ovsdbServer{t: t, dir: dir, db: filepath.Join(dir, "conf.db"), sock: filepath.Join(dir, "db.sock")}
	if out, err := exec.Command("ovsdb-tool", "create", s.db, vswitchSchema).CombinedOutput(); err != nil {
		t.Fatalf("ovsdb-tool create: %v\n%s", err, out)
	}
	s.start()
	s.vsctl("--no-wait", "init")
	return s
}

// start runs ovsdb-server on s's database and waits for its socket.
func (s *ovsdbServer) start() {
	t := s.t
	t.Helper()
	s.cmd = exec.Command("ovsdb-server", s.db, "--remote=punix:"+s.sock,
		"--unixctl="+filepath.Join(s.dir, "ovsdb.ctl"), "--log-file="+filepath.Join(s.dir, "ovsdb.log"), "--no-chdir")
	s.cmd.Env = append(os.Environ(), "OVS_RUNDIR="+s.dir, "OVS_LOGDIR="+s.dir, "OVS_DBDIR="+s.dir)
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	cmd, done := s.cmd, make(chan struct{})
	s.done = done
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() { s.kill(cmd, done) })
	await(t, 10*time.Second, "ovsdb-server listens on "+s.sock, func() bool {
		return exec.Command("ovs-vsctl", "--db=unix:"+s.sock, "--timeout=1", "--no-wait", "show").Run() == nil
	})
}

// kill stops one ovsdb-server process and waits for it.
func (s *ovsdbServer) kill(cmd *exec.Cmd, done chan struct{}) {
	select {
	case <-done:
	default:
		cmd.Process.Kill()
		<-done
	}
}

// restart stops the server and starts it again on the same database.
func (s *ovsdbServer) restart() {
	s.kill(s.cmd, s.done)
	os.Remove(s.sock)
	s.start()
}

// vsctl runs an unmodified ovs-vsctl on the database, waiting (unless
// told --no-wait) for the switch to apply the change, for at most 10 s.
func (s *ovsdbServer) vsctl(args ...string) string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	all := append([]string{"--db=unix:" + s.sock, "--timeout=10"}, args...)
	out, err := exec.CommandContext(ctx, "ovs-vsctl", all...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("ovs-vsctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// get reads one column of one record.
func (s *ovsdbServer) get(table, record, column string) string {
	s.t.Helper()
	return s.vsctl("--no-wait", "get", table, record, column)
}

// startOVSDBDaemon starts gvsd as a client of db (the positional
// DATABASE argument, as ovs-vswitchd takes it).
func startOVSDBDaemon(t *testing.T, dir, db string) *daemon {
	t.Helper()
	cfgPath, sock, metrics := writeConfig(t, daemonConfig{dir: dir})
	d := &daemon{t: t, dir: dir, sock: sock, metrics: metrics, cfgPath: cfgPath, args: []string{"unix:" + db}}
	d.start()
	return d
}

// TestOVSDBClient: gvsd as ovs-vswitchd's replacement next to a real
// ovsdb-server. Unmodified ovs-vsctl, without --no-wait, adds a netdev
// bridge, internal and dummy (pcap) ports, requests an ofport, tags a
// port, sets the fail mode, adds a port of an unknown type (its error set, nothing else
// disturbed), deletes ports and the bridge; every command returns (gvsd
// writes cur_cfg), patch ports link two bridges, the Interface rows show what gvsd wrote back, gvsctl
// shows the same bridge and ports, gvsd follows a restarted server, and a restarted gvsd takes its
// bridges and ports from the database again.
func TestOVSDBClient(t *testing.T) {
	needOVSDB(t)
	needRootCI(t, "creates internal ports (host interfaces)")
	dir := t.TempDir()
	db := startOVSDBServer(t, dir)
	d := startOVSDBDaemon(t, dir, db.sock)

	db.vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev")
	db.vsctl("add-port", "br0", "p1", "--", "set", "interface", "p1", "type=internal")
	tx := filepath.Join(dir, "state", "pcap", "p2-tx.pcap")
	if err := os.MkdirAll(filepath.Dir(tx), 0o755); err != nil {
		t.Fatal(err)
	}
	db.vsctl("add-port", "br0", "p2", "--", "set", "interface", "p2", "type=dummy", "options:pcap="+tx)
	db.vsctl("set", "interface", "p1", "ofport_request=7")
	db.vsctl("set", "port", "p1", "tag=5")
	db.vsctl("add-port", "br0", "bad", "--", "set", "interface", "bad", "type=vxlan")

	for _, c := range []struct{ iface, column, want string }{
		{"br0", "ofport", "65534"},
		{"p1", "ofport", "7"},
		{"p1", "link_state", "up"},
		{"p1", "admin_state", "up"},
		{"p1", "error", "[]"},
		{"p2", "ofport", "2"}, // p1 had 1 until it asked for 7
		{"p2", "link_state", "up"},
		{"bad", "ofport", "-1"},
		{"bad", "link_state", "down"},
	} {
		if got := db.get("interface", c.iface, c.column); got != c.want {
			t.Errorf("interface %s %s = %s, want %s", c.iface, c.column, got, c.want)
		}
	}
	if got := db.get("interface", "bad", "error"); !strings.Contains(got, `\"vxlan\" is not supported`) {
		t.Errorf("interface bad error = %s, want the unsupported type", got)
	}
	if got := db.get("interface", "p1", "ifindex"); got == "0" || got == "[]" {
		t.Errorf("interface p1 ifindex = %s, want the host interface's", got)
	}
	if got := db.get("interface", "p1", "mac_in_use"); !strings.Contains(got, ":") {
		t.Errorf("interface p1 mac_in_use = %s, want a MAC", got)
	}
	// mtu_request changes the host interface's MTU, and mtu shows it.
	db.vsctl("set", "interface", "p1", "mtu_request=1400")
	await(t, 10*time.Second, "p1's MTU 1400 from mtu_request", func() bool {
		ni, err := net.InterfaceByName("p1")
		return err == nil && ni.MTU == 1400 && db.get("interface", "p1", "mtu") == "1400"
	})
	if got := db.get("bridge", "br0", "datapath_id"); len(strings.Trim(got, `"`)) != 16 {
		t.Errorf("bridge br0 datapath_id = %s, want 16 hex digits", got)
	}
	// Statistics are written every 5 s.
	await(t, 15*time.Second, "interface p1 statistics written", func() bool {
		return strings.Contains(db.get("interface", "p1", "statistics"), "rx_packets=")
	})
	for _, c := range []struct{ column, want string }{{"cur_cfg", db.get("open_vswitch", ".", "next_cfg")}, {"iface_types", ""}} {
		got := db.get("open_vswitch", ".", c.column)
		if (c.want != "" && got != c.want) || (c.want == "" && !strings.Contains(got, "internal")) {
			t.Errorf("open_vswitch %s = %s, want %q", c.column, got, c.want)
		}
	}

	show := d.ctl("show")
	for _, want := range []string{"Bridge br0", "Port p1", "tag: 5", "ofport: 7", "Port p2", "type: pcap"} {
		if !strings.Contains(show, want) {
			t.Errorf("gvsctl show lacks %q:\n%s", want, show)
		}
	}
	if strings.Contains(show, "Port bad") {
		t.Errorf("gvsctl show has the bad port:\n%s", show)
	}

	db.vsctl("set-fail-mode", "br0", "secure")
	if show := d.ctl("show"); !strings.Contains(show, "fail_mode: secure") {
		t.Errorf("gvsctl show after set-fail-mode secure:\n%s", show)
	}

	db.vsctl("del-port", "p2")
	if show := d.ctl("show"); strings.Contains(show, "Port p2") {
		t.Errorf("p2 still in gvsctl show after del-port:\n%s", show)
	}

	// The server restarts: gvsd reconnects and keeps following it.
	db.restart()
	db.vsctl("add-port", "br0", "p3", "--", "set", "interface", "p3", "type=internal")
	if got := db.get("interface", "p3", "ofport"); got == "-1" || got == "[]" {
		t.Errorf("interface p3 ofport = %s after the server's restart", got)
	}
	if show := d.ctl("show"); !strings.Contains(show, "Port p3") || !strings.Contains(show, "Port p1") {
		t.Errorf("gvsctl show after the server's restart:\n%s", show)
	}

	// Patch ports between two bridges, added in one transaction.
	db.vsctl("add-br", "br1", "--", "set", "bridge", "br1", "datapath_type=netdev")
	db.vsctl("add-port", "br0", "pa", "--", "set", "interface", "pa", "type=patch", "options:peer=pb",
		"--", "add-port", "br1", "pb", "--", "set", "interface", "pb", "type=patch", "options:peer=pa")
	for _, p := range []string{"pa", "pb"} {
		if got := db.get("interface", p, "ofport"); got != "1" && got != "2" {
			t.Errorf("interface %s ofport = %s, want its number", p, got)
		}
		if got := db.get("interface", p, "error"); got != "[]" {
			t.Errorf("interface %s error = %s", p, got)
		}
	}

	// gvsd restarts: the ports come back from the database, numbers kept.
	if err := d.stop(syscall.SIGTERM); err != nil {
		t.Fatalf("gvsd exit: %v", err)
	}
	d = startOVSDBDaemon(t, dir, db.sock)
	await(t, 10*time.Second, "p1 back on br0 after gvsd's restart", func() bool {
		out, _, err := d.gvsctlErr("show")
		return err == nil && strings.Contains(out, "ofport: 7") && strings.Contains(out, "Port pb")
	})
	db.vsctl("set", "port", "p1", "tag=8")
	if show := d.ctl("show"); !strings.Contains(show, "tag: 8") {
		t.Errorf("gvsctl show after the restart and set port p1 tag=8:\n%s", show)
	}

	db.vsctl("del-br", "br1")
	db.vsctl("del-br", "br0")
	if show := d.ctl("show"); strings.Contains(show, "br0") {
		t.Errorf("br0 still in gvsctl show after del-br:\n%s", show)
	}
}
