package e2e

import (
	"bytes"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// ofctlFrame is a 60-byte broadcast frame: its pcap record (16-byte
// header + 60) after the 24-byte file header makes exactly 100 bytes.
var ofctlFrame = func() []byte {
	f := make([]byte, 60)
	copy(f, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0x01, 0x88, 0xb5})
	return f
}()

// startOfctlBridge starts gvsd with br0: pcap ports p1 (1) and p2 (2, with
// a tx file), and a flow from p1 to p2.
func startOfctlBridge(t *testing.T) *daemon {
	t.Helper()
	d := startDaemon(t, daemonConfig{})
	d.ctl("add-br", "br0", "fail_mode=secure")
	d.ctl("add-port", "br0", "p1", "type=pcap", "ofport=1")
	d.ctl("add-port", "br0", "p2", "type=pcap", "ofport=2", "options:tx="+txPath(d.dir, "p2"))
	d.ctl("add-flow", "br0", "priority=10,in_port=1,actions=output:2")
	return d
}

// TestCaptureChecksArgumentsFirst: a capture of a port or bridge that
// does not exist, or with a bad direction, fails with a message naming
// the culprit and writes nothing to stdout (before, a pcap header went
// out first, and `capture | tcpdump -r -` saw a valid empty capture).
func TestCaptureChecksArgumentsFirst(t *testing.T) {
	d := startOfctlBridge(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"capture", "br0", "nope"}, "nope"},
		{[]string{"capture", "br-nope", "p1"}, "br-nope"},
		{[]string{"capture", "br0", "p1", "--direction", "sideways"}, "sideways"},
	} {
		out, errOut, err := d.gvsctlErr(c.args...)
		if err == nil || out != "" || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: err %v, %d bytes on stdout, stderr %q; want a failure naming %q and no output", c.args, err, len(out), errOut, c.want)
		}
	}
	// -w FILE is not created for a refused capture either.
	file := d.dir + "/refused.pcap"
	if _, _, err := d.gvsctlErr("capture", "br0", "nope", "-w", file); err == nil {
		t.Error("capture of a missing port to a file succeeded")
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("refused capture created %s: %v", file, err)
	}
}

// TestCaptureEndsWhenReaderGoes: `gvsctl capture BR PORT | head -c 100`
// must end once head has its 100 bytes and exits, even when no further
// frame comes to fail a write (before, gvsctl waited for frames forever,
// as it did after tcpdump -c 1 exited).
func TestCaptureEndsWhenReaderGoes(t *testing.T) {
	d := startOfctlBridge(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command(gvsctlBin, "--socket", d.sock, "capture", "br0", "p2", "--direction", "tx")
	var errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = w, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close() // only gvsctl holds the write end
	done, exited := make(chan error, 1), make(chan struct{})
	go func() { done <- cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	// The header comes once the capture is attached; then one frame.
	buf := make([]byte, 100)
	if _, err := io.ReadFull(r, buf[:24]); err != nil {
		t.Fatalf("reading the pcap header: %v (%s)", err, errOut.String())
	}
	d.ctl("packet-out", "br0", "in_port=1", hex.EncodeToString(ofctlFrame))
	if _, err := io.ReadFull(r, buf[24:]); err != nil {
		t.Fatalf("reading the frame: %v (%s)", err, errOut.String())
	}
	if !bytes.Equal(buf[100-60:], ofctlFrame) {
		t.Errorf("captured frame % x, want % x", buf[40:], ofctlFrame)
	}
	r.Close() // what head -c 100 does when it has its bytes
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("capture ended with %v: %s", err, errOut.String())
		}
		if !strings.Contains(errOut.String(), "went away") {
			t.Errorf("capture's message: %q", errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("capture still running 10s after its reader went away")
	}
}
