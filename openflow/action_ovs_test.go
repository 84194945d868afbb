package openflow

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// needOfctl skips t without ovs-ofctl, except under CI=true where a
// missing ovs-ofctl fails the test.
func needOfctl(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("ovs-ofctl")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("ovs-ofctl not found (CI=true: live checks against Open vSwitch are required)")
		}
		t.Skip("ovs-ofctl not found: skipping the live check against Open vSwitch")
	}
	return p
}

// ovsEncode returns what ovs-ofctl sends for `add-flow` of flow in version
// v: the action list (OpenFlow 1.0) or instruction list (1.1+) of its flow
// mod. It plays a minimal switch on a Unix socket: hello, then barrier and
// echo replies until the flow mod arrives.
func ovsEncode(t *testing.T, ofctl string, v Version, flow string) ([]byte, error) {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "ofact")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "s")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, ofctl, "--no-names", "-O", v.String(), "add-flow", "unix:"+sock, flow)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	type result struct {
		b   []byte
		err error
	}
	got := make(chan result, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- result{nil, err}
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		var fm []byte
		for {
			hdr := make([]byte, 8)
			if _, err := io.ReadFull(c, hdr); err != nil {
				got <- result{fm, err}
				return
			}
			h, err := ParseHeader(hdr)
			if err != nil {
				got <- result{nil, err}
				return
			}
			msg := make([]byte, h.Length)
			copy(msg, hdr)
			if _, err := io.ReadFull(c, msg[8:]); err != nil {
				got <- result{nil, err}
				return
			}
			reply := func(typ uint8) {
				r := AppendHeader(nil, Header{Version: h.Version, Type: typ, XID: h.XID})
				SetLength(r)
				_, _ = c.Write(r)
			}
			switch {
			case h.Type == 0: // hello
				reply(0)
			case h.Type == 2: // echo request
				reply(3)
			case h.Version == OF10 && h.Type == 16 || h.Version > OF10 && h.Type == 18: // stats: an empty reply
				r := AppendHeader(nil, Header{Version: h.Version, Type: h.Type + 1, XID: h.XID})
				r = append(r, msg[8], msg[9], 0, 0)
				if h.Version > OF10 {
					r = append(r, 0, 0, 0, 0)
				}
				SetLength(r)
				_, _ = c.Write(r)
			case h.Version == OF10 && h.Type == 18 || h.Version > OF10 && h.Type == 20: // barrier
				reply(h.Type + 1)
				if fm != nil {
					got <- result{fm, nil}
					return
				}
			case h.Type == 14 || h.Type == 4 && len(msg) >= 16 && binary.BigEndian.Uint32(msg[12:]) == 13:
				fm, err = flowModActions(msg)
				if err != nil {
					got <- result{nil, err}
					return
				}
			}
		}
	}()
	select {
	case r := <-got:
		<-done
		if r.err != nil {
			return nil, fmt.Errorf("%v (ovs-ofctl: %s)", r.err, stderr.String())
		}
		return r.b, nil
	case err := <-done:
		ln.Close()
		r := <-got
		if r.b != nil {
			return r.b, nil
		}
		return nil, fmt.Errorf("ovs-ofctl exited (%v) before sending a flow mod: %s", err, stderr.String())
	}
}

// flowModActions returns the actions or instructions of a flow mod:
// OpenFlow 1.0 ofp_flow_mod, Nicira NXT_FLOW_MOD, or OpenFlow 1.1+.
func flowModActions(msg []byte) ([]byte, error) {
	pad := func(n int) int { return (n + 7) / 8 * 8 }
	switch {
	case msg[0] == byte(OF10) && msg[1] == 14:
		return msg[72:], nil
	case msg[0] == byte(OF10) && msg[1] == 4:
		ml := int(binary.BigEndian.Uint16(msg[40:]))
		return msg[48+pad(ml):], nil
	case msg[1] == 14 && len(msg) >= 52:
		ml := int(binary.BigEndian.Uint16(msg[50:]))
		return msg[48+pad(ml):], nil
	}
	return nil, fmt.Errorf("not a flow mod: % x", msg[:8])
}

// ovsText returns the actions ovs-ofctl prints for flow after encoding
// it in version v (`parse-flow` prints the flow mod it would send).
func ovsText(ofctl string, v Version, flow string) (string, error) {
	out, err := exec.Command(ofctl, "--no-names", "-O", v.String(), "parse-flow", flow).CombinedOutput()
	s := strings.TrimSpace(string(out))
	i := strings.LastIndex(s, " actions=")
	if err != nil || i < 0 {
		return "", fmt.Errorf("ovs-ofctl parse-flow: %v: %s", err, s)
	}
	return s[i+len(" actions="):], nil
}
