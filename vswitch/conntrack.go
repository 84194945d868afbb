package vswitch

import "github.com/gvs-project/gvs/conntrack"

// conntrackTable is what the core needs from the datapath's tracker
// (conntrack.Tracker has it) for dumps and flushes.
type conntrackTable interface {
	Dump(zone *uint16) []conntrack.Entry
	Flush(zone *uint16) int
}

func (s *Switch) conntrackTable() (conntrackTable, error) {
	t, ok := s.dp.Conntrack.(conntrackTable)
	if !ok || t == nil {
		return nil, errorf(ErrNoTracker, "this gvsd has no connection tracker")
	}
	return t, nil
}

// DumpConntrack returns the connection-tracking entries of zone, or of all
// zones if zone is nil (ovs-appctl dpctl/dump-conntrack).
func (s *Switch) DumpConntrack(zone *uint16) ([]conntrack.Entry, error) {
	t, err := s.conntrackTable()
	if err != nil {
		return nil, err
	}
	return t.Dump(zone), nil
}

// FlushConntrack deletes the connection-tracking entries of zone, or of
// all zones if zone is nil, and returns how many went.
func (s *Switch) FlushConntrack(zone *uint16) (int, error) {
	t, err := s.conntrackTable()
	if err != nil {
		return 0, err
	}
	return t.Flush(zone), nil
}
