package vswitch

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/gvs-project/gvs/internal/lockfile"
)

// ErrStateInUse means another gvsd holds the state directory: two daemons
// on one state file would overwrite each other's bridges.
var ErrStateInUse = errors.New("state directory in use by another gvsd")

// StateStore keeps State in dir/state.json for one daemon: it holds an
// flock on dir/gvsd.lock from OpenState to Close, so a second gvsd on the
// same directory is refused whatever socket it uses.
//
// Every save replaces state.json atomically (a temporary file in the same
// directory, fsynced, renamed into place, the directory fsynced); the
// state it replaces is kept as state.json.prev. A save that fails leaves
// state.json and state.json.prev as they were and no temporary file.
// Flow-mods go to a journal beside it instead (journal.go).
type StateStore struct {
	dir, path string
	lock      *lockfile.Lock
	seq       uint64 // the last journal record written or read (journal.go)
}

// OpenState uses dir (created if missing) for the state file, locking it
// (ErrStateInUse if another gvsd has it) and removing the temporary files
// a daemon that died while saving left behind.
func OpenState(dir string) (*StateStore, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	lock, err := lockfile.Acquire(filepath.Join(dir, "gvsd.lock"))
	if errors.Is(err, lockfile.ErrHeld) {
		return nil, fmt.Errorf("state_dir %s: %w (%v); give each gvsd its own state_dir", dir, ErrStateInUse, err)
	}
	if err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	st := &StateStore{dir: dir, path: filepath.Join(dir, "state.json"), lock: lock}
	stale, _ := filepath.Glob(filepath.Join(dir, "state.json*.tmp"))
	for _, name := range stale {
		os.Remove(name) // ours alone now that the directory is locked
	}
	return st, nil
}

// Close releases the state directory (its lock file is removed).
func (st *StateStore) Close() error { return st.lock.Release() }

// Path is the state file's name.
func (st *StateStore) Path() string { return st.path }

// Load returns the saved state, or nil if there is none. A state file
// that is a symbolic link (dangling or not) or not a regular file is
// refused, and so is one that does not parse: gvsd must not start empty
// and then save that over the operator's bridges. The error names
// state.json.prev, the state before the last change, as the way back.
func (st *StateStore) Load() (*State, error) {
	fi, err := os.Lstat(st.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	if err := st.checkRegular(fi); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(st.path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	defer f.Close()
	var s State
	dec := json.NewDecoder(f)
	if err := dec.Decode(&s); err != nil {
		return nil, st.corrupt(err)
	}
	if dec.More() {
		return nil, st.corrupt(errors.New("data after the state object"))
	}
	st.seq = s.JournalSeq
	if s.Journal, err = st.readJournal(s.JournalSeq); err != nil {
		return nil, err
	}
	return &s, nil
}

// checkRegular refuses a state file that is not a plain file.
func (st *StateStore) checkRegular(fi os.FileInfo) error {
	if fi.Mode()&os.ModeSymlink != 0 {
		target, _ := os.Readlink(st.path)
		return fmt.Errorf("state file %s is a symbolic link (to %q): gvsd neither follows nor replaces it; put the state file itself there, or remove the link to start from the configuration", st.path, target)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("state file %s is not a regular file (%v): remove it to start from the configuration", st.path, fi.Mode().Type())
	}
	return nil
}

// corrupt explains a state file that does not parse and the way back.
func (st *StateStore) corrupt(cause error) error {
	prev := st.path + ".prev"
	if _, err := os.Lstat(prev); err != nil {
		return fmt.Errorf("state file %s is corrupt (%v), and there is no %s to go back to: gvsd will not start from an empty state over it; move it away to start from the configuration's bridges", st.path, cause, prev)
	}
	return fmt.Errorf("state file %s is corrupt (%v): gvsd will not start from an empty state over it; %s holds the state before the last change: check it and restore it with 'cp %s %s', or move %s away to start from the configuration's bridges", st.path, cause, prev, prev, st.path, st.path)
}

// Save replaces the state file with s (see StateStore). A symbolic link
// at the state file's name is refused, not replaced.
func (st *StateStore) Save(s *State) error {
	s.JournalSeq = st.seq // everything journalled so far is in s
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	fi, err := os.Lstat(st.path)
	exists := err == nil
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("save state: %w", err)
	}
	if exists {
		if err := st.checkRegular(fi); err != nil {
			return fmt.Errorf("save state: %w", err)
		}
	}
	tmp, err := st.writeTemp(data)
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	if exists {
		if err := st.keepPrevious(); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("save state: keep the previous state: %w", err)
		}
	}
	if err := os.Rename(tmp, st.path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("save state: %w", err)
	}
	if err := syncDir(st.dir); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	st.truncateJournal() // if it fails, its records are older than JournalSeq: skipped
	return nil
}

// writeTemp writes data to a new temporary file next to the state file
// and syncs it, returning its name; on failure nothing is left.
func (st *StateStore) writeTemp(data []byte) (string, error) {
	f, err := os.CreateTemp(st.dir, "state.json.*.tmp")
	if err != nil {
		return "", err
	}
	name := f.Name()
	err = f.Chmod(0o640)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return "", err
	}
	return name, nil
}

// keepPrevious makes state.json.prev another name of the current state
// file (a hard link, so it costs no space on a full disk), replacing the
// old one atomically.
func (st *StateStore) keepPrevious() error {
	prev := st.path + ".prev"
	tmp := prev + ".tmp"
	os.Remove(tmp)
	if err := os.Link(st.path, tmp); errors.Is(err, os.ErrNotExist) {
		return nil // removed since Save looked: nothing to keep
	} else if err != nil {
		return err
	}
	if err := os.Rename(tmp, prev); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
