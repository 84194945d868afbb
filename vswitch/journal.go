package vswitch

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sys/unix"

	"github.com/gvs-project/gvs/flowtable"
)

// The flow journal keeps flow-mods from rewriting the whole state file.
// A bridge of a million flows takes seconds to save; a flow-mod should cost
// what it changes. So a flow-mod appends one record to state.journal (the
// flows it added and removed, in order, fsynced), and only other changes,
// replace-flows, and a journal grown past journalMax rewrite state.json —
// which records the last journal record it includes (State.JournalSeq), so
// a crash between writing it and emptying the journal replays nothing
// twice. Load returns the records state.json does not include; a last
// record cut short by a crash is dropped, a damaged one before it refuses
// the state as a corrupt state.json is refused.

// journalMax is the journal size that makes the next flow change a full
// save, which empties it.
var journalMax int64 = 32 << 20

// journalBatch is the largest flow change journalled; a larger one (a flow
// file) saves the whole state.
const journalBatch = 10000

// JournalRecord is one flow change of one bridge: flows removed and added,
// in the order the change made them (flows in ovs-ofctl syntax).
type JournalRecord struct {
	Seq    uint64          `json:"seq"`
	Bridge string          `json:"bridge"`
	Ops    []JournalFlowOp `json:"ops"`
}

// JournalFlowOp is one flow put in (Add) or taken out.
type JournalFlowOp struct {
	Add  bool   `json:"add,omitempty"`
	Flow string `json:"flow"`
}

func (st *StateStore) journalPath() string { return st.path[:len(st.path)-len(".json")] + ".journal" }

// Append adds rec to the journal, numbering it, and syncs it. It reports
// whether the journal has grown past journalMax. A failed append leaves
// the journal as it was.
func (st *StateStore) Append(rec JournalRecord) (full bool, err error) {
	st.seq++
	rec.Seq = st.seq
	line, err := json.Marshal(rec)
	if err != nil {
		return false, fmt.Errorf("journal: %w", err)
	}
	line = append(line, '\n')
	f, err := os.OpenFile(st.journalPath(), os.O_WRONLY|os.O_CREATE|os.O_APPEND|unix.O_NOFOLLOW, 0o640)
	if err != nil {
		return false, fmt.Errorf("journal: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return false, fmt.Errorf("journal: %w", err)
	}
	if _, err := f.Write(line); err != nil {
		f.Truncate(fi.Size()) // no half record
		return false, fmt.Errorf("journal: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Truncate(fi.Size())
		return false, fmt.Errorf("journal: %w", err)
	}
	return fi.Size()+int64(len(line)) > journalMax, nil
}

// readJournal returns the journal's records after seq. A journal that is
// a symbolic link, or a damaged record other than a last one cut short,
// is an error.
func (st *StateStore) readJournal(after uint64) ([]JournalRecord, error) {
	f, err := os.OpenFile(st.journalPath(), os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read journal %s: %w", st.journalPath(), err)
	}
	defer f.Close()
	var out []JournalRecord
	r := bufio.NewReaderSize(f, 1<<20)
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return out, nil // a last line without its newline was cut short: dropped
		}
		if err != nil {
			return nil, fmt.Errorf("read journal %s: %w", st.journalPath(), err)
		}
		var rec JournalRecord
		if err := json.Unmarshal(line, &rec); err != nil {
			return nil, fmt.Errorf("journal %s is damaged at record %d (%v): move it away to start from %s alone, losing the flow changes since it was last saved", st.journalPath(), n, err, st.path)
		}
		st.seq = max(st.seq, rec.Seq)
		if rec.Seq > after {
			out = append(out, rec)
		}
	}
}

// truncateJournal empties the journal once state.json holds everything.
func (st *StateStore) truncateJournal() error {
	err := os.Truncate(st.journalPath(), 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// journalFlows persists one flow change of bridge as a journal record, or
// saves the whole state when the journal is full; a failure is an
// ErrNotSaved error. Callers hold s.mu.
func (s *Switch) journalFlows(bridge string, changes []flowtable.Change) error {
	if s.state == nil || len(changes) == 0 {
		return nil
	}
	if len(changes) > journalBatch {
		return s.save() // as big as a save: save, rather than journal and then save
	}
	rec := JournalRecord{Bridge: bridge, Ops: make([]JournalFlowOp, len(changes))}
	for i, c := range changes {
		rec.Ops[i] = JournalFlowOp{Add: c.Added, Flow: stateFlow(c.Flow)}
	}
	full, err := s.state.Append(rec)
	if err != nil {
		s.log.Error("persist flow change", zap.Error(err))
		return errorf(ErrNotSaved, "change applied but not persisted: %v", err)
	}
	if full {
		return s.save()
	}
	return nil
}

// replayJournal applies the journal's records after a restore, each as
// the one transaction it was. Callers hold s.mu.
func (s *Switch) replayJournal(recs []JournalRecord) error {
	for _, rec := range recs {
		b := s.dp.Bridge(rec.Bridge)
		if b == nil {
			continue // the bridge went later, in a change state.json includes
		}
		mods := make([]*flowtable.FlowMod, 0, len(rec.Ops))
		for _, op := range rec.Ops {
			m, err := flowtable.ParseFlowWith(op.Flow, flowtable.CmdAdd, flowtable.ParseOptions{Ports: b.ResolvePort})
			if err != nil {
				return fmt.Errorf("journal record %d, bridge %s: %w", rec.Seq, rec.Bridge, err)
			}
			if !op.Add {
				m.Command, m.OutPort = flowtable.CmdDeleteStrict, flowtable.PortNone
			}
			mods = append(mods, m)
		}
		if err := b.Flows.Apply(mods, time.Now()); err != nil {
			return fmt.Errorf("journal record %d, bridge %s: %w", rec.Seq, rec.Bridge, err)
		}
	}
	return nil
}
