package e2e

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runSecondGvsd runs another gvsd on sock (its own state and metrics) and
// returns its exit error and output; it must not keep running.
func runSecondGvsd(t *testing.T, sock string) (error, string) {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "gvsd.yaml")
	body := fmt.Sprintf("socket: %s\nsocket_group: \"%d\"\nmetrics: %s\nstate_dir: %s\nbridges: []\n", sock, os.Getgid(), freeAddr(t), filepath.Join(dir, "state"))
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, gvsdBin, "--config", cfg)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("second gvsd did not exit:\n%s", out.String())
	}
	return err, out.String()
}

// staleSocket leaves a unix socket file at path that nobody listens on,
// as a gvsd killed by SIGKILL (or a crash) does.
func staleSocket(t *testing.T, path string) {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		t.Fatal(err)
	}
}

func TestSecondDaemonRefused(t *testing.T) {
	d := startDaemon(t, daemonConfig{})
	d.ctl("add-br", "br-x")
	err, out := runSecondGvsd(t, d.sock)
	if exitCode(err) != 1 || !strings.Contains(out, "another gvsd is running") {
		t.Fatalf("second gvsd on a live socket: %v\n%s", err, out)
	}
	// The first one is untouched and still answers on its socket.
	if got := d.ctl("list-br"); got != "br-x\n" {
		t.Errorf("first gvsd after the refused second one: list-br = %q", got)
	}

	// A stale socket file (its gvsd is gone) is replaced.
	if err := d.stop(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	if _, err := os.Lstat(d.sock); !os.IsNotExist(err) {
		t.Errorf("socket file after a clean exit: %v", err)
	}
	staleSocket(t, d.sock)
	d.start()
	if got := d.ctl("list-br"); got != "br-x\n" {
		t.Errorf("gvsd on a stale socket: list-br = %q", got)
	}
	if err := d.stop(syscall.SIGINT); err != nil { // Ctrl-C in the quickstart's terminal
		t.Fatalf("SIGINT: %v", err)
	}

	// Something that is not a socket is never deleted.
	if err := os.WriteFile(d.sock, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	err, out = runSecondGvsd(t, d.sock)
	if exitCode(err) != 1 || !strings.Contains(out, "is not a socket") {
		t.Errorf("gvsd on a regular file: %v\n%s", err, out)
	}
	if b, err := os.ReadFile(d.sock); err != nil || string(b) != "precious" {
		t.Errorf("the regular file at the socket path was touched: %q, %v", b, err)
	}
}

// TestSIGTERMDrains stops gvsd with SIGTERM while a capture stream is
// open: it must end the stream, exit 0 and remove its socket.
func TestSIGTERMDrains(t *testing.T) {
	d := startDaemon(t, daemonConfig{})
	d.ctl("add-br", "br0")
	tx := txPath(d.dir, "p2")
	d.ctl("add-port", "br0", "p1", "type=pcap")
	d.ctl("add-port", "br0", "p2", "type=pcap", "options:tx="+tx)

	// gvsctl capture, pcap to a file, until stopped.
	capFile := filepath.Join(d.dir, "capture.pcap")
	capOut := &syncBuffer{}
	capCmd := exec.Command(gvsctlBin, "--socket", d.sock, "capture", "br0", "p2", "-w", capFile)
	capCmd.Stdout, capCmd.Stderr = capOut, capOut
	if err := capCmd.Start(); err != nil {
		t.Fatal(err)
	}
	capDone := make(chan struct{})
	var capErr error
	go func() { capErr = capCmd.Wait(); close(capDone) }()
	t.Cleanup(func() {
		select {
		case <-capDone:
		default:
			capCmd.Process.Kill()
			<-capDone
		}
	})
	// Broadcast from p1 floods to p2 (standalone NORMAL); once one shows up
	// in the capture the stream is attached.
	frame := hex.EncodeToString(seqFrame(7))
	deadline := time.Now().Add(10 * time.Second)
	for len(readPcap(t, capFile)) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("capture saw nothing:\n%s", capOut.String())
		}
		d.ctl("packet-out", "br0", "in_port=p1", frame)
	}
	sent := len(readPcap(t, tx))

	start := time.Now()
	if err := d.stop(syscall.SIGTERM); err != nil {
		t.Fatalf("gvsd after SIGTERM: %v (want exit 0)\n%s", err, d.log.String())
	}
	t.Logf("gvsd drained and exited in %v", time.Since(start))
	if !strings.Contains(d.log.String(), "gvsd stopping") {
		t.Errorf("no stopping message in the log:\n%s", d.log.String())
	}
	select {
	case <-capDone:
		if capErr != nil {
			t.Errorf("capture after gvsd stopped: %v\n%s", capErr, capOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("capture still running after gvsd exited")
	}
	if _, err := os.Lstat(d.sock); !os.IsNotExist(err) {
		t.Errorf("socket file after SIGTERM: %v", err)
	}
	// Every frame sent is in the tx file (flushed, file intact).
	if got := len(readPcap(t, tx)); got != sent {
		t.Errorf("tx pcap after exit: %d frames, want %d", got, sent)
	}
}

// TestNotRunning checks what gvsctl says when there is no gvsd.
func TestNotRunning(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "gvsd.sock")
	stale := filepath.Join(dir, "stale.sock")
	staleSocket(t, stale)
	for _, sock := range []string{missing, stale} {
		out, errOut, err := runGvsctl(sock, nil, "show")
		if exitCode(err) != 1 {
			t.Errorf("gvsctl show with %s: %v, want exit 1", sock, err)
		}
		for _, want := range []string{"gvsd is not running", sock, "start it with 'sudo gvsd'", "--socket"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("gvsctl show with %s: stderr lacks %q:\n%s", sock, want, errOut)
			}
		}
		if out != "" {
			t.Errorf("stdout: %q", out)
		}
	}
	// Help and completion work without a daemon.
	if out, errOut, err := runGvsctl(missing, nil, "completion", "bash"); err != nil || !strings.Contains(out, "bash completion") {
		t.Errorf("completion bash: %v\n%s", err, errOut)
	}
}

// TestRelativePcapPath: a pcap file named relative to the operator's shell
// lands there, not in gvsd's working directory.
func TestRelativePcapPath(t *testing.T) {
	d := startDaemon(t, daemonConfig{})
	d.ctl("add-br", "br0")
	work := t.TempDir()
	cmd := exec.Command(gvsctlBin, "--socket", d.sock, "add-port", "br0", "p1", "type=pcap", "options:tx=out.pcap")
	cmd.Dir = work
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("add-port: %v\n%s", err, out)
	}
	want := filepath.Join(work, "out.pcap")
	if show := d.ctl("show"); !strings.Contains(show, `options: {tx="`+want+`"}`) {
		t.Errorf("show:\n%s", show)
	}
	if _, err := os.Stat(want); err != nil {
		t.Errorf("tx file: %v", err)
	}
}
