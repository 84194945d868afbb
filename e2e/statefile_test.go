package e2e

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestCorruptStateRefused: gvsd refuses a corrupt state.json instead of
// starting empty, names state.json.prev, and that file (the state before
// the last change) brings the bridges back.
func TestCorruptStateRefused(t *testing.T) {
	d := startDaemon(t, daemonConfig{})
	d.ctl("add-br", "br-a")
	d.ctl("add-br", "br-b")
	if err := d.stop(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(d.dir, "state", "state.json")
	good, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	corrupt := good[:len(good)/2] // as a crash of another writer, or a bad edit, leaves it
	if err := os.WriteFile(state, corrupt, 0o640); err != nil {
		t.Fatal(err)
	}
	err, out := runGvsdOnce(t, d.cfgPath)
	for _, want := range []string{"state file " + state + " is corrupt", state + ".prev", "cp " + state + ".prev " + state} {
		if exitCode(err) != 1 || !strings.Contains(out, want) {
			t.Errorf("gvsd on a corrupt state: %v, output lacks %q:\n%s", err, want, out)
		}
	}
	if b, _ := os.ReadFile(state); string(b) != string(corrupt) {
		t.Errorf("the refused state file was rewritten:\n%s", b)
	}
	prev, err := os.ReadFile(state + ".prev")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(state, prev, 0o640); err != nil { // the operator's cp
		t.Fatal(err)
	}
	d.start()
	if got := d.ctl("list-br"); got != "br-a\n" {
		t.Errorf("started from state.json.prev: list-br = %q, want the state before the last change", got)
	}
}

// TestSymlinkStateRefused: a state file that is a symbolic link, dangling
// or not, is refused and left as it is.
func TestSymlinkStateRefused(t *testing.T) {
	for _, tc := range []struct{ name, target string }{
		{"dangling", "/nonexistent/gvs-state.json"},
		{"to a file", "real-state.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfgPath, _, _ := writeConfig(t, daemonConfig{dir: dir})
			stateDir := filepath.Join(dir, "state")
			if err := os.MkdirAll(stateDir, 0o750); err != nil {
				t.Fatal(err)
			}
			if !filepath.IsAbs(tc.target) {
				if err := os.WriteFile(filepath.Join(stateDir, tc.target), []byte(`{"bridges": []}`), 0o640); err != nil {
					t.Fatal(err)
				}
			}
			state := filepath.Join(stateDir, "state.json")
			if err := os.Symlink(tc.target, state); err != nil {
				t.Fatal(err)
			}
			err, out := runGvsdOnce(t, cfgPath)
			if exitCode(err) != 1 || !strings.Contains(out, "state file "+state+" is a symbolic link") {
				t.Errorf("gvsd on a symlinked state file: %v\n%s", err, out)
			}
			if got, err := os.Readlink(state); err != nil || got != tc.target {
				t.Errorf("the link was replaced: %q, %v", got, err)
			}
			if _, err := os.Lstat(tc.target); filepath.IsAbs(tc.target) && !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the link's target was created: %v", err)
			}
		})
	}
}

// TestFullDiskNotSaved: on a full file system a change is reported as not
// saved, no temporary file is left, and the saved state is the previous
// one, intact; once there is room again the next change saves everything.
func TestFullDiskNotSaved(t *testing.T) {
	needRootCI(t, "mounts a small tmpfs as the state directory")
	dir := t.TempDir()
	stateDir := filepath.Join(dir, "state")
	if err := os.MkdirAll(stateDir, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", stateDir, "tmpfs", 0, "size=64k,mode=0750"); err != nil {
		t.Fatalf("mount tmpfs: %v", err)
	}
	// Registered before gvsd starts, so it runs after gvsd is stopped.
	t.Cleanup(func() {
		if err := syscall.Unmount(stateDir, 0); err != nil {
			t.Errorf("unmount %s: %v", stateDir, err)
			syscall.Unmount(stateDir, syscall.MNT_DETACH)
		}
	})
	d := startDaemon(t, daemonConfig{dir: dir})
	d.ctl("add-br", "br-a")
	d.ctl("add-br", "br-b")
	state := filepath.Join(stateDir, "state.json")
	before, beforePrev := readFile(t, state), readFile(t, state+".prev")

	fill(t, filepath.Join(stateDir, "filler"))
	_, errOut, err := d.gvsctlErr("add-br", "br-c")
	if exitCode(err) != 1 || !strings.Contains(errOut, "not persisted") || !strings.Contains(errOut, "no space left on device") {
		t.Errorf("add-br on a full disk: %v, want a not-saved error\n%s", err, errOut)
	}
	if got := d.ctl("list-br"); got != "br-a\nbr-b\nbr-c\n" {
		t.Errorf("live bridges: %q (the change is applied, only not saved)", got)
	}
	if tmps, _ := filepath.Glob(filepath.Join(stateDir, "*.tmp")); len(tmps) != 0 {
		t.Errorf("temporary files left on the full disk: %v", tmps)
	}
	if got := readFile(t, state); got != before {
		t.Errorf("state.json changed by the failed save:\n%s\nwant\n%s", got, before)
	}
	if got := readFile(t, state+".prev"); got != beforePrev {
		t.Errorf("state.json.prev changed by the failed save:\n%s", got)
	}

	if err := os.Remove(filepath.Join(stateDir, "filler")); err != nil {
		t.Fatal(err)
	}
	d.ctl("add-br", "br-d")
	if got := readFile(t, state); !strings.Contains(got, `"br-c"`) || !strings.Contains(got, `"br-d"`) {
		t.Errorf("state after the disk has room again lacks br-c or br-d:\n%s", got)
	}
	if err := d.stop(syscall.SIGTERM); err != nil { // frees the tmpfs for the unmount
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// fill writes path until its file system is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	block := make([]byte, 4096)
	for {
		if _, err := f.Write(block); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill %s: %v", path, err)
			}
			return
		}
	}
}
