// Package ovstest starts a private Open vSwitch instance (ovsdb-server plus
// ovs-vswitchd with the dummy datapath, no kernel module) for one test, so
// that gvs can be compared packet by packet with the reference switch.
//
// The steps are those of shared/tools/ovs/sandbox.sh, done in Go so that tests
// do not depend on anything outside the repository.
package ovstest

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// SkipMessage is the reason given when Open vSwitch is missing.
const SkipMessage = "Open vSwitch not installed (apt-get install openvswitch-switch)"

// schemaPaths are the places distributions install the vswitch schema.
var schemaPaths = []string{
	"/usr/share/openvswitch/vswitch.ovsschema",
	"/usr/local/share/openvswitch/vswitch.ovsschema",
}

// OVS is one running private instance. All methods run the tools against it.
type OVS struct {
	// Dir holds the database, sockets, pid files and logs.
	Dir string

	t       testing.TB
	env     []string
	native  bool
	db      *daemon
	vswitch *daemon
	stopped bool
}

// Installed reports whether the Open vSwitch daemons and tools are on PATH.
func Installed() bool {
	for _, b := range []string{"ovs-vswitchd", "ovsdb-server", "ovsdb-tool", "ovs-vsctl", "ovs-ofctl", "ovs-appctl"} {
		if _, err := exec.LookPath(b); err != nil {
			return false
		}
	}
	return schemaPath() != ""
}

func schemaPath() string {
	for _, p := range schemaPaths {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// Option changes how Start runs ovs-vswitchd.
type Option func(*OVS)

// NativeTunnels starts ovs-vswitchd with --enable-dummy instead of the
// default --enable-dummy=override. Override also replaces the tunnel vport
// classes (vxlan, geneve, gre, ...) by dummies, which turns native
// tunnelling (tnl_push/tnl_pop) off; without it tunnel ports encapsulate
// and decapsulate as on a real userspace datapath.
func NativeTunnels() Option { return func(o *OVS) { o.native = true } }

// Start starts ovsdb-server and ovs-vswitchd in a fresh temporary directory
// and registers a cleanup that stops both and removes the directory. Without
// Open vSwitch the test is skipped, except with CI=true where that is fatal.
// With no options ovs-vswitchd runs with --enable-dummy=override.
func Start(t testing.TB, opts ...Option) *OVS {
	t.Helper()
	if !Installed() {
		if os.Getenv("CI") == "true" {
			t.Fatal(SkipMessage)
		}
		t.Skip(SkipMessage)
	}
	// Unix socket paths must stay under 108 bytes: t.TempDir() can be long.
	dir, err := os.MkdirTemp("/tmp", "ovs")
	if err != nil {
		t.Fatal(err)
	}
	o := &OVS{Dir: dir, t: t}
	for _, opt := range opts {
		opt(o)
	}
	o.env = append(os.Environ(),
		"OVS_RUNDIR="+dir, "OVS_LOGDIR="+dir, "OVS_DBDIR="+dir, "OVS_SYSCONFDIR="+dir)
	t.Cleanup(o.cleanup)
	if err := o.start(); err != nil {
		t.Fatalf("starting Open vSwitch: %v\n%s", err, o.Logs())
	}
	return o
}

func (o *OVS) start() error {
	db := filepath.Join(o.Dir, "conf.db")
	if out, err := o.run("ovsdb-tool", "create", db, schemaPath()); err != nil {
		return fmt.Errorf("ovsdb-tool create: %v: %s", err, out)
	}
	sock := filepath.Join(o.Dir, "db.sock")
	// The daemons run in the foreground as our children (no --detach), so
	// that we can wait for them to exit; they still write pid files.
	o.db = &daemon{pidFile: filepath.Join(o.Dir, "ovsdb-server.pid")}
	if err := o.db.start(o.command("ovsdb-server", db, "--remote=punix:"+sock,
		"--pidfile="+o.db.pidFile, "--log-file="+filepath.Join(o.Dir, "db.log"))); err != nil {
		return fmt.Errorf("ovsdb-server: %v", err)
	}
	// The socket file appears at bind(), a moment before ovsdb-server
	// listens: wait until it accepts a connection.
	if err := o.waitFor(func() bool { return accepts(sock) }, o.db, "ovsdb-server socket"); err != nil {
		return err
	}
	if out, err := o.run("ovs-vsctl", "--db=unix:"+sock, "--no-wait", "init"); err != nil {
		return fmt.Errorf("ovs-vsctl init: %v: %s", err, out)
	}
	o.vswitch = &daemon{pidFile: filepath.Join(o.Dir, "ovs-vswitchd.pid")}
	dummy := "--enable-dummy=override"
	if o.native {
		dummy = "--enable-dummy"
	}
	if err := o.vswitch.start(o.command("ovs-vswitchd", dummy, "--disable-system",
		"--disable-system-route", "unix:"+sock,
		"--pidfile="+o.vswitch.pidFile, "--log-file="+filepath.Join(o.Dir, "vswitchd.log"))); err != nil {
		return fmt.Errorf("ovs-vswitchd: %v", err)
	}
	ctl := o.ctlPath()
	if err := o.waitFor(func() bool { return exists(ctl) }, o.vswitch, "ovs-vswitchd control socket"); err != nil {
		return err
	}
	// The control socket exists before the first database transaction is
	// applied; a vsctl call that waits for vswitchd proves it is serving.
	if out, err := o.Vsctl("--timeout=20", "show"); err != nil {
		return fmt.Errorf("ovs-vsctl show: %v: %s", err, out)
	}
	return nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// daemon is one of the two OVS processes, run as our child so that we can
// wait for it; done is closed when it has exited.
type daemon struct {
	cmd     *exec.Cmd
	pidFile string
	done    chan struct{}
}

// start runs c from a goroutine locked to its OS thread, with
// Pdeathsig=SIGKILL: if the test binary dies without running its cleanups
// (a -timeout panic, a kill), the kernel kills the daemon too. The thread
// stays alive, locked, until the daemon has exited, because Pdeathsig fires
// when the thread that started the child ends.
func (d *daemon) start(c *exec.Cmd) error {
	c.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	d.cmd, d.done = c, make(chan struct{})
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := c.Start(); err != nil {
			started <- err
			close(d.done)
			return
		}
		started <- nil
		_ = c.Wait()
		close(d.done)
	}()
	if err := <-started; err != nil {
		d.cmd = nil
		return err
	}
	return nil
}

func (d *daemon) exited() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

// stop waits up to grace for the daemon to exit by itself, then sends
// SIGTERM to the pid in its pid file (and to the child), then SIGKILL.
func (d *daemon) stop(grace time.Duration) {
	if d == nil || d.cmd == nil {
		return
	}
	select {
	case <-d.done:
		return
	case <-time.After(grace):
	}
	killPidFile(d.pidFile, syscall.SIGTERM)
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(5 * time.Second):
		killPidFile(d.pidFile, syscall.SIGKILL)
		_ = d.cmd.Process.Kill()
		<-d.done
	}
}

func (o *OVS) ctlPath() string {
	return filepath.Join(o.Dir, fmt.Sprintf("ovs-vswitchd.%d.ctl", o.vswitch.cmd.Process.Pid))
}

// waitFor polls cond until it holds, the process died, or 20 s passed.
func (o *OVS) waitFor(cond func() bool, d *daemon, what string) error {
	deadline := time.Now().Add(20 * time.Second)
	for delay := time.Millisecond; ; delay = min(2*delay, 50*time.Millisecond) {
		if cond() {
			return nil
		}
		if d.exited() {
			return fmt.Errorf("%s: process exited", what)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out waiting for %s", what)
		}
		time.Sleep(delay)
	}
}

func (o *OVS) command(name string, args ...string) *exec.Cmd {
	c := exec.Command(name, args...)
	c.Env = o.env
	c.Dir = o.Dir
	return c
}

func (o *OVS) run(name string, args ...string) (string, error) {
	c := o.command(name, args...)
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	err := c.Run()
	if err != nil && stderr.Len() > 0 {
		err = fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	} else if err != nil {
		err = fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return stdout.String(), err
}

// Vsctl runs ovs-vsctl against the instance.
func (o *OVS) Vsctl(args ...string) (string, error) { return o.run("ovs-vsctl", args...) }

// Ofctl runs ovs-ofctl against the instance.
func (o *OVS) Ofctl(args ...string) (string, error) { return o.run("ovs-ofctl", args...) }

// Appctl runs ovs-appctl against the instance's ovs-vswitchd (pass -t to
// address another daemon).
func (o *OVS) Appctl(args ...string) (string, error) { return o.run("ovs-appctl", args...) }

// AddBridge adds a bridge on the dummy datapath, fail-mode secure or
// standalone.
func (o *OVS) AddBridge(name string, secure bool) error {
	mode := "standalone"
	if secure {
		mode = "secure"
	}
	_, err := o.Vsctl("add-br", name, "--", "set", "Bridge", name, "datapath-type=dummy", "fail-mode="+mode)
	return err
}

// AddPort adds port name to bridge with OpenFlow port number ofport (0 lets
// OVS choose), interface type typ ("dummy", "patch", ...; empty means
// dummy), interface options, access VLAN tag (0 = none) and trunk VLANs.
func (o *OVS) AddPort(bridge, name string, ofport int, typ string, opts map[string]string, tag int, trunks []int) error {
	if typ == "" {
		typ = "dummy"
	}
	args := []string{"add-port", bridge, name}
	var port []string
	if tag != 0 {
		port = append(port, "tag="+strconv.Itoa(tag))
	}
	if len(trunks) > 0 {
		s := make([]string, len(trunks))
		for i, v := range trunks {
			s[i] = strconv.Itoa(v)
		}
		port = append(port, "trunks="+strings.Join(s, ","))
	}
	if len(port) > 0 {
		args = append(append(args, "--", "set", "Port", name), port...)
	}
	args = append(args, "--", "set", "Interface", name, "type="+typ)
	if ofport != 0 {
		args = append(args, "ofport_request="+strconv.Itoa(ofport))
	}
	for _, k := range slices.Sorted(maps.Keys(opts)) {
		args = append(args, "options:"+k+"="+quote(opts[k]))
	}
	_, err := o.Vsctl(args...)
	return err
}

func quote(v string) string {
	if strings.ContainsAny(v, ",:= \"") {
		return strconv.Quote(v)
	}
	return v
}

// AddFlowsFile loads an ovs-ofctl add-flows file with -O OpenFlow14, which
// accepts both the OpenFlow 1.0 and the 1.3 spellings.
func (o *OVS) AddFlowsFile(bridge, path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	_, err = o.Ofctl("-O", "OpenFlow14", "add-flows", bridge, abs)
	return err
}

// DumpFlows returns the flows of bridge, one per line, without statistics
// and without the reply header; args are appended (e.g. "table=0").
func (o *OVS) DumpFlows(bridge string, args ...string) ([]string, error) {
	out, err := o.Ofctl(append([]string{"dump-flows", "--no-stats", bridge}, args...)...)
	if err != nil {
		return nil, err
	}
	var flows []string
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.Contains(l, "_FLOW reply") {
			continue
		}
		flows = append(flows, l)
	}
	return flows, nil
}

// Receive injects frame as if it arrived on the dummy port named port.
func (o *OVS) Receive(port string, frame []byte) error {
	_, err := o.Appctl("netdev-dummy/receive", port, hex.EncodeToString(frame))
	return err
}

// Logs returns the tail of the daemons' log files, for failure messages.
func (o *OVS) Logs() string {
	var b strings.Builder
	for _, f := range []string{"db.log", "vswitchd.log"} {
		data, err := os.ReadFile(filepath.Join(o.Dir, f))
		if err != nil {
			continue
		}
		if len(data) > 4000 {
			data = data[len(data)-4000:]
		}
		fmt.Fprintf(&b, "--- %s ---\n%s", f, data)
	}
	return b.String()
}

// Stop shuts both daemons down and waits for them to exit. ovs-vswitchd is
// asked to exit cleanly first (which closes its netdevs, so tx_pcap files
// are complete); whatever is still running is then killed by the pid in its
// pid file. Stop is idempotent; the directory stays until the test ends.
func (o *OVS) Stop() {
	if o.stopped {
		return
	}
	o.stopped = true
	if o.vswitch != nil && o.vswitch.cmd != nil && !o.vswitch.exited() {
		_, _ = o.run("ovs-appctl", "--timeout=10", "-t", o.ctlPath(), "exit")
	}
	o.vswitch.stop(2 * time.Second)
	o.db.stop(0)
}

func killPidFile(path string, sig syscall.Signal) {
	data, err := os.ReadFile(path)
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 1 {
		return
	}
	_ = syscall.Kill(pid, sig)
}

func (o *OVS) cleanup() {
	o.Stop()
	if o.t.Failed() {
		o.t.Logf("Open vSwitch logs:\n%s", o.Logs())
	}
	if err := os.RemoveAll(o.Dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		o.t.Errorf("removing %s: %v", o.Dir, err)
	}
}

// accepts reports whether a unix socket at path accepts connections.
func accepts(path string) bool {
	c, err := net.Dial("unix", path)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// Version returns the installed Open vSwitch's version ("3.1.0"), from
// ovs-vswitchd --version.
func Version() (string, error) {
	out, err := exec.Command("ovs-vswitchd", "--version").Output()
	if err != nil {
		return "", fmt.Errorf("ovs-vswitchd --version: %w", err)
	}
	first, _, _ := strings.Cut(string(out), "\n")
	f := strings.Fields(first)
	if len(f) == 0 {
		return "", fmt.Errorf("ovs-vswitchd --version printed %q", first)
	}
	return f[len(f)-1], nil
}
