package vswitch

import (
	"errors"
	"fmt"
)

// The kinds of error the core returns. Test with errors.Is; front ends map
// them to their own codes (ctl: gRPC status codes).
var (
	ErrInvalid   = errors.New("invalid request")                  // the request is malformed
	ErrNotFound  = errors.New("not found")                        // no such bridge or port
	ErrExists    = errors.New("already exists")                   // the bridge exists
	ErrRefused   = errors.New("refused")                          // valid, but the datapath cannot apply it
	ErrConflict  = errors.New("changed meanwhile")                // a concurrent change got in first: retry
	ErrNotSaved  = errors.New("change applied but not persisted") // the state file could not be written
	ErrNoTracker = errors.New("no connection tracker")            // the datapath has no tracker to dump or flush
)

// Error is an error of one of the kinds above. Its text is the message
// alone; errors.Is(err, kind) tells the kind.
type Error struct {
	Kind error
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// Is reports whether target is e's kind.
func (e *Error) Is(target error) bool { return target == e.Kind }

func errorf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}
