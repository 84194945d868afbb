package vswitch

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func openTestState(t *testing.T, dir string) *StateStore {
	t.Helper()
	st, err := OpenState(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestStateSaveKeepsPrevious(t *testing.T) {
	dir := t.TempDir()
	st := openTestState(t, dir)
	for _, name := range []string{"br-a", "br-b", "br-c"} {
		if err := st.Save(&State{Bridges: []StateBridge{{Name: name}}}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.Load()
	if err != nil || len(got.Bridges) != 1 || got.Bridges[0].Name != "br-c" {
		t.Fatalf("Load = %+v, %v; want br-c", got, err)
	}
	prev, err := os.ReadFile(filepath.Join(dir, "state.json.prev"))
	if err != nil || !strings.Contains(string(prev), `"br-b"`) {
		t.Errorf("state.json.prev = %q, %v; want the br-b state", prev, err)
	}
	if tmps, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(tmps) != 0 {
		t.Errorf("temporary files left: %v", tmps)
	}
}

func TestStateSecondOpenRefused(t *testing.T) {
	dir := t.TempDir()
	st := openTestState(t, dir)
	if _, err := OpenState(dir); !errors.Is(err, ErrStateInUse) {
		t.Fatalf("second OpenState: %v, want ErrStateInUse", err)
	}
	st.Close()
	if _, err := os.Lstat(filepath.Join(dir, "gvsd.lock")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock file after Close: %v", err)
	}
	openTestState(t, dir) // free again
}

func TestStateOpenRemovesStaleTemp(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "state.json.123.tmp")
	if err := os.WriteFile(stale, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	openTestState(t, dir)
	if _, err := os.Lstat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale temporary file after OpenState: %v", err)
	}
}

func TestStateLoadRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, dir, path string)
		want  []string
	}{
		{"corrupt with prev", func(t *testing.T, dir, path string) {
			write(t, path, `{"bridges": [`)
			write(t, path+".prev", `{"bridges": []}`)
		}, []string{"corrupt", "state.json.prev", "cp "}},
		{"corrupt without prev", func(t *testing.T, dir, path string) { write(t, path, "") }, []string{"corrupt", "there is no", "move it away"}},
		{"trailing garbage", func(t *testing.T, dir, path string) { write(t, path, `{"bridges": []} x`) }, []string{"corrupt"}},
		{"symlink", func(t *testing.T, dir, path string) {
			write(t, filepath.Join(dir, "real.json"), `{"bridges": []}`)
			symlink(t, filepath.Join(dir, "real.json"), path)
		}, []string{"symbolic link", "real.json"}},
		{"dangling symlink", func(t *testing.T, dir, path string) { symlink(t, "/nonexistent/state", path) }, []string{"symbolic link", "/nonexistent/state"}},
		{"directory", func(t *testing.T, dir, path string) { os.Mkdir(path, 0o700) }, []string{"not a regular file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			st := openTestState(t, dir)
			tc.setup(t, dir, st.Path())
			s, err := st.Load()
			if err == nil {
				t.Fatalf("Load = %+v, want an error", s)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Load error lacks %q: %v", w, err)
				}
			}
		})
	}
}

func TestStateSaveRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	st := openTestState(t, dir)
	symlink(t, "/nonexistent/state", st.Path())
	if err := st.Save(&State{}); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("Save over a symlink: %v", err)
	}
	if target, err := os.Readlink(st.Path()); err != nil || target != "/nonexistent/state" {
		t.Errorf("the symlink was replaced: %q, %v", target, err)
	}
}

func write(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, path string) {
	t.Helper()
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
}
