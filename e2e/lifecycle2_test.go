package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runGvsdOnce runs gvsd on cfgPath with extra arguments, expecting it to
// exit (it fails the test if it still runs after 15 s); it returns the
// exit error and the output.
func runGvsdOnce(t *testing.T, cfgPath string, args ...string) (error, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, gvsdBin, append([]string{"--config", cfgPath}, args...)...)
	cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=20")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("gvsd did not exit:\n%s", out.String())
	}
	return err, out.String()
}

// waitLog waits until gvsd's log contains s.
func (d *daemon) waitLog(s string) {
	d.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(d.log.String(), s) {
		if time.Now().After(deadline) {
			d.t.Fatalf("gvsd never logged %q (%s):\n%s", s, d.status(), d.log.String())
		}
		time.Sleep(10 * time.Millisecond) // the log reaches us through a pipe
	}
}

// noFile fails the test if path exists.
func noFile(t *testing.T, path, what string) {
	t.Helper()
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s %s after gvsd exited: %v", what, path, err)
	}
}

// TestSignals: SIGHUP is logged and gvsd keeps serving; SIGTERM and
// SIGINT stop it with a log line naming the signal, exit 0 and leave no
// socket, no socket lock and no state lock behind.
func TestSignals(t *testing.T) {
	d := startDaemon(t, daemonConfig{})
	d.ctl("add-br", "br0")
	for i, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		if i > 0 {
			d.start() // the same configuration and state again
		}
		if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		d.waitLog("SIGHUP: nothing to reopen")
		if got := d.ctl("list-br"); got != "br0\n" {
			t.Errorf("after SIGHUP: list-br = %q (%s)", got, d.status())
		}
		if err := d.stop(sig); err != nil {
			t.Fatalf("exit after %v: %v, want 0\n%s", sig, err, d.log.String())
		}
		name := map[syscall.Signal]string{syscall.SIGTERM: "SIGTERM", syscall.SIGINT: "SIGINT"}[sig]
		if log := d.log.String(); !strings.Contains(log, "shutting down on signal") || !strings.Contains(log, name) {
			t.Errorf("no shutdown line naming %s:\n%s", name, log)
		}
		noFile(t, d.sock, name+": socket")
		noFile(t, d.sock+".lock", name+": socket lock")
		noFile(t, filepath.Join(d.dir, "state", "gvsd.lock"), name+": state lock")
	}
}

// TestSecondDaemonSameStateDir: a second gvsd on the same state_dir is
// refused even with its own socket, and the first keeps serving with its
// bridges intact.
func TestSecondDaemonSameStateDir(t *testing.T) {
	d := startDaemon(t, daemonConfig{})
	d.ctl("add-br", "br-first")
	other := filepath.Join(t.TempDir(), "other.sock")
	err, out := runGvsdOnce(t, d.cfgPath, "--socket", other)
	if exitCode(err) != 1 {
		t.Fatalf("second gvsd on the same state_dir: %v, want exit 1\n%s", err, out)
	}
	want := fmt.Sprintf("state directory in use by another gvsd (%s: locked by another process (pid %d))", filepath.Join(d.dir, "state", "gvsd.lock"), d.cmd.Process.Pid)
	if !strings.Contains(out, want) {
		t.Errorf("second gvsd's message lacks %q:\n%s", want, out)
	}
	noFile(t, other, "the second gvsd's socket")
	if got := d.ctl("list-br"); got != "br-first\n" {
		t.Errorf("first gvsd after the refused second one: list-br = %q", got)
	}
	d.ctl("add-br", "br-second") // and still saves
	if b, err := os.ReadFile(filepath.Join(d.dir, "state", "state.json")); err != nil || !strings.Contains(string(b), "br-second") {
		t.Errorf("state after the refused second gvsd: %v\n%s", err, b)
	}
}

// TestSocketFlag: gvsd --socket overrides the configuration's socket (the
// README's "--socket to change" holds for the daemon too).
func TestSocketFlag(t *testing.T) {
	dir := t.TempDir()
	cfgPath, _, _ := writeConfig(t, daemonConfig{dir: dir})
	sock := filepath.Join(dir, "flag.sock")
	cmd := exec.Command(gvsdBin, "--config", cfgPath, "--socket", sock)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=20")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &daemon{t: t, dir: dir, sock: sock, cmd: cmd, log: out, exited: make(chan struct{})}
	go func() {
		d.err = cmd.Wait()
		close(d.exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-d.exited
		if t.Failed() {
			t.Logf("gvsd log:\n%s", out.String())
		}
	})
	d.waitReady()
	if got := d.ctl("show"); got != "gvs\n" {
		t.Errorf("show on the --socket socket: %q", got)
	}
	noFile(t, filepath.Join(dir, "run", "gvsd.sock"), "the configuration's socket, unused,")
}
