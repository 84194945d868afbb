package datapath

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func TestWithinDir(t *testing.T) {
	for _, c := range []struct {
		dir, path, rel string
		ok             bool
	}{
		{"/var/lib/gvs/pcap", "/var/lib/gvs/pcap/a.pcap", "a.pcap", true},
		{"/var/lib/gvs/pcap/", "/var/lib/gvs/pcap/sub/a.pcap", "sub/a.pcap", true},
		{"/var/lib/gvs/pcap", "/var/lib/gvs/pcap//./a.pcap", "a.pcap", true},
		{"/var/lib/gvs/pcap", "/var/lib/gvs/pcap", "", false},
		{"/var/lib/gvs/pcap", "/var/lib/gvs/pcapx/a.pcap", "", false},
		{"/var/lib/gvs/pcap", "/var/lib/gvs/pcap/../state.json", "", false},
		{"/var/lib/gvs/pcap", "/var/lib/gvs/pcap/x/../a.pcap", "", false}, // stays inside, but refused as written
		{"/var/lib/gvs/pcap", "a.pcap", "", false},
		{"", "/a.pcap", "", false},
		{"/", "/a.pcap", "a.pcap", true},
	} {
		rel, ok := WithinDir(c.dir, c.path)
		if rel != c.rel || ok != c.ok {
			t.Errorf("WithinDir(%q, %q) = %q, %v; want %q, %v", c.dir, c.path, rel, ok, c.rel, c.ok)
		}
	}
}

// TestOpenPcapFile runs each case with openat2 and with the element by
// element fallback of kernels that lack it.
func TestOpenPcapFile(t *testing.T) {
	for _, mode := range []string{"openat2", "fallback"} {
		t.Run(mode, func(t *testing.T) {
			if mode == "fallback" {
				saved := openat2
				openat2 = func(int, string, *unix.OpenHow) (int, error) { return -1, unix.ENOSYS }
				t.Cleanup(func() { openat2 = saved })
			}
			testOpenPcapFile(t)
		})
	}
}

func testOpenPcapFile(t *testing.T) {
	root := t.TempDir()
	dir, out := filepath.Join(root, "pcap"), filepath.Join(root, "out")
	for _, d := range []string{dir, out, filepath.Join(dir, "sub")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	secret := filepath.Join(out, "secret")
	must(t, os.WriteFile(secret, []byte("secret"), 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "plain"), nil, 0o644))
	must(t, os.Symlink(secret, filepath.Join(dir, "link")))
	must(t, os.Symlink(out, filepath.Join(dir, "outlink")))
	must(t, os.Link(filepath.Join(dir, "plain"), filepath.Join(dir, "hard")))
	must(t, syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "sub", "ok"), nil, 0o644))
	for _, c := range []struct {
		name  string
		path  string
		write bool
		err   string // "" = opens
	}{
		{"new file is created", filepath.Join(dir, "new.pcap"), true, ""},
		{"file in a subdirectory", filepath.Join(dir, "sub", "ok"), false, ""},
		{"symlink, read", filepath.Join(dir, "link"), false, "symbolic link"},
		{"symlink, write", filepath.Join(dir, "link"), true, "symbolic link"},
		{"symlinked parent", filepath.Join(dir, "outlink", "secret"), false, "symbolic link"},
		{"symlinked parent, create", filepath.Join(dir, "outlink", "new"), true, "symbolic link"},
		{"FIFO, read", filepath.Join(dir, "fifo"), false, "not a regular file"},
		{"FIFO without reader, write", filepath.Join(dir, "fifo"), true, "not a regular file"},
		{"directory", filepath.Join(dir, "sub"), false, "not a regular file"},
		{"hard link", filepath.Join(dir, "hard"), true, "hard links"},
		{"outside the directory, last element a link", filepath.Join(dir, "link"), false, "symbolic link"},
	} {
		d := dir
		if strings.HasPrefix(c.name, "outside") {
			d = out // dir is not the confining directory: only O_NOFOLLOW applies
		}
		f, err := OpenPcapFile(d, c.path, c.write)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: %v, want an error with %q", c.name, err, c.err)
		}
		if f != nil {
			f.Close()
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "new.pcap")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("created file: %v %v, want mode 0600", fi, err)
	}
	if _, err := os.Stat(filepath.Join(out, "new")); !os.IsNotExist(err) {
		t.Errorf("a file was created through the symlinked parent: %v", err)
	}
	if b, _ := os.ReadFile(secret); string(b) != "secret" {
		t.Errorf("secret changed: %q", b)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
