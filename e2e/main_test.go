// Package e2e runs the real gvsd and gvsctl binaries against each other:
// each test starts its own gvsd on a temporary socket, state directory and
// metrics port, and drives it through gvsctl (exec) the way an operator
// would, or through the gRPC client where a hot loop needs it.
//
// The tests live in their own package rather than in cmd/gvsctl because
// they exercise both binaries and the golden replay frames of
// internal/ovsreplay, and so `go test ./cmd/...` stays a quick unit run.
package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/gvs-project/gvs/ctl/ctlpb"
)

// Paths of the binaries TestMain builds.
var gvsdBin, gvsctlBin string

// repoRoot is the module root (testdata lives there).
var repoRoot string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	repoRoot = filepath.Dir(wd)
	if dir := os.Getenv("GVS_E2E_BIN"); dir != "" {
		// Binaries built beforehand (make build: GVS_E2E_BIN=$PWD/bin), so
		// the tests can check exactly those, or run where go cannot build.
		gvsdBin, gvsctlBin = filepath.Join(dir, "gvsd"), filepath.Join(dir, "gvsctl")
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "gvs-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	// The binaries must be reachable by the unprivileged uid of the
	// permission test.
	os.Chmod(dir, 0o755)
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	// gvsd is built with -race when the tests are, so a race in the daemon
	// fails the test; gvsctl, a short-lived client started dozens of times,
	// is built plainly (a race-enabled binary starts much slower).
	for _, b := range []struct {
		pkg  string
		race bool
	}{{"./cmd/gvsd", raceEnabled}, {"./cmd/gvsctl", false}} {
		args := []string{"build", "-o", dir + "/"}
		if b.race {
			args = append(args, "-race")
		}
		cmd := exec.Command(goTool, append(args, b.pkg)...)
		cmd.Dir = repoRoot
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		cmd.Env = os.Environ()
		if !b.race {
			cmd.Env = append(cmd.Env, "CGO_ENABLED=0")
		}
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: building %s: %v\n", b.pkg, err)
			return 1
		}
	}
	gvsdBin, gvsctlBin = filepath.Join(dir, "gvsd"), filepath.Join(dir, "gvsctl")
	return m.Run()
}

// freeAddr returns a 127.0.0.1 TCP address nobody listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// syncBuffer collects a process's output; the process writes while the
// test may read.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// daemon is one running gvsd.
type daemon struct {
	t       *testing.T
	dir     string // the test's directory: config, pcaps, state
	sock    string
	metrics string
	cfgPath string
	args    []string // more arguments after --config (e.g. an OVSDB database)
	cmd     *exec.Cmd
	log     *syncBuffer
	exited  chan struct{} // closed when the process has been waited for
	err     error         // its exit status, valid once exited is closed
}

// daemonConfig is what a test varies in gvsd's configuration.
type daemonConfig struct {
	dir     string // directory for socket, state and config (default t.TempDir())
	group   string // socket_group (default: the test process's gid, so non-root runs work)
	bridges string // YAML of the bridges: key (default "[]")
}

// writeConfig writes a gvsd configuration into dir and returns its path
// with the socket and metrics address it names.
func writeConfig(t *testing.T, dc daemonConfig) (cfgPath, sock, metrics string) {
	t.Helper()
	if dc.group == "" {
		dc.group = fmt.Sprint(os.Getgid())
	}
	if dc.bridges == "" {
		dc.bridges = "[]"
	}
	sock = filepath.Join(dc.dir, "run", "gvsd.sock")
	metrics = freeAddr(t)
	cfg := fmt.Sprintf(`socket: %s
socket_group: "%s"
metrics: %s
state_dir: %s
log: {level: debug, format: console}
bridges: %s
`, sock, dc.group, metrics, filepath.Join(dc.dir, "state"), dc.bridges)
	cfgPath = filepath.Join(dc.dir, "gvsd.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfgPath, sock, metrics
}

// startDaemon writes a configuration and starts gvsd on it, returning once
// the control socket answers.
func startDaemon(t *testing.T, dc daemonConfig) *daemon {
	t.Helper()
	if dc.dir == "" {
		dc.dir = t.TempDir()
	}
	cfgPath, sock, metrics := writeConfig(t, dc)
	d := &daemon{t: t, dir: dc.dir, sock: sock, metrics: metrics, cfgPath: cfgPath}
	d.start()
	return d
}

// start runs gvsd on d's configuration and waits for its socket.
func (d *daemon) start() {
	t := d.t
	t.Helper()
	d.log = &syncBuffer{}
	d.exited = make(chan struct{})
	if d.cfgPath != "" {
		d.cmd = exec.Command(gvsdBin, append([]string{"--config", d.cfgPath}, d.args...)...)
	} else {
		d.cmd = exec.Command(gvsdBin, d.args...) // the embedded default configuration
	}
	d.cmd.Stdout, d.cmd.Stderr = d.log, d.log
	// A race-enabled gvsd would otherwise sleep 1 s at every exit.
	d.cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=20")
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	cmd, exited, log := d.cmd, d.exited, d.log
	go func() {
		d.err = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		// Killed by its pid, also when the test failed half way.
		select {
		case <-exited:
		default:
			cmd.Process.Kill()
			<-exited
		}
		if strings.Contains(log.String(), "WARNING: DATA RACE") {
			t.Errorf("the race detector found a race in gvsd")
		}
		if t.Failed() {
			t.Logf("gvsd (pid %d) log:\n%s", cmd.Process.Pid, log.String())
		}
	})
	d.waitReady()
}

// waitReady waits until gvsd answers a health check, failing early if it
// exits. The socket accepts connections from the moment it exists, before
// gvsd has loaded its configuration or state and started serving, so: poll
// for the socket, then make one health call, which gRPC holds until gvsd
// serves.
func (d *daemon) waitReady() {
	t := d.t
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-d.exited:
			t.Fatalf("gvsd exited before serving: %v\n%s", d.err, d.log.String())
		default:
		}
		if c, err := net.Dial("unix", d.sock); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("gvsd did not open %s within 15s\n%s", d.sock, d.log.String())
		}
		time.Sleep(5 * time.Millisecond) // polling interval of the socket
	}
	conn, err := grpc.NewClient("unix://"+d.sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	// The goroutine may outlive this call, until after a restart has
	// replaced d.exited: it must not read the field.
	exited := d.exited
	go func() {
		select {
		case <-exited:
			cancel()
		case <-ctx.Done():
		}
	}()
	r, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}, grpc.WaitForReady(true))
	if err != nil || r.Status != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("gvsd health check: %v %v (%s)\n%s", r, err, d.status(), d.log.String())
	}
}

// status describes whether gvsd still runs.
func (d *daemon) status() string {
	select {
	case <-d.exited:
		return fmt.Sprintf("exited: %v", d.err)
	default:
		return "still running"
	}
}

// kill sends sig to gvsd and waits for it to exit, returning its exit
// error (nil for status 0).
func (d *daemon) stop(sig syscall.Signal) error {
	d.t.Helper()
	if err := d.cmd.Process.Signal(sig); err != nil {
		d.t.Fatal(err)
	}
	select {
	case <-d.exited:
		return d.err
	case <-time.After(15 * time.Second):
		d.t.Fatalf("gvsd did not exit within 15s of %v\n%s", sig, d.log.String())
		return nil
	}
}

// gvsctl runs gvsctl against d's socket; it returns stdout, stderr and
// the exit error.
func (d *daemon) gvsctlErr(args ...string) (string, string, error) {
	return runGvsctl(d.sock, nil, args...)
}

// ctl runs gvsctl and fails the test if it does not succeed.
func (d *daemon) ctl(args ...string) string {
	d.t.Helper()
	out, errOut, err := d.gvsctlErr(args...)
	if err != nil {
		d.t.Fatalf("gvsctl %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// runGvsctl runs the gvsctl binary with --socket sock (none if sock is
// ""), as the credentials in attr if not nil.
func runGvsctl(sock string, attr *syscall.SysProcAttr, args ...string) (string, string, error) {
	if sock != "" {
		args = append([]string{"--socket", sock}, args...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, gvsctlBin, args...)
	cmd.Env = append(os.Environ(), "GVS_SOCKET=")
	cmd.SysProcAttr = attr
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	return out.String(), errOut.String(), err
}

// client returns a gRPC connection to d, closed at the end of the test.
func (d *daemon) client() (ctlpb.FlowsClient, ctlpb.DatapathClient) {
	d.t.Helper()
	conn, err := grpc.NewClient("unix://"+d.sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		d.t.Fatal(err)
	}
	d.t.Cleanup(func() { conn.Close() })
	return ctlpb.NewFlowsClient(conn), ctlpb.NewDatapathClient(conn)
}

// exitCode is the status of a finished process's error (0 for nil).
func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}
