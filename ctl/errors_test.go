package ctl

import (
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gvs-project/gvs/vswitch"
)

// TestGRPCError checks that every error kind of the core keeps the status
// code its handler returned before the core existed, and the message.
func TestGRPCError(t *testing.T) {
	for kind, want := range map[error]codes.Code{
		vswitch.ErrInvalid:   codes.InvalidArgument,
		vswitch.ErrNotFound:  codes.NotFound,
		vswitch.ErrExists:    codes.AlreadyExists,
		vswitch.ErrRefused:   codes.FailedPrecondition,
		vswitch.ErrConflict:  codes.Aborted,
		vswitch.ErrNotSaved:  codes.Internal,
		vswitch.ErrNoTracker: codes.Unavailable,
	} {
		err := grpcError(&vswitch.Error{Kind: kind, Msg: "no bridge named br9"})
		if st := status.Convert(err); st.Code() != want || st.Message() != "no bridge named br9" {
			t.Errorf("%v: got %v %q, want %v", kind, st.Code(), st.Message(), want)
		}
	}
	if st := status.Convert(grpcError(fmt.Errorf("boom"))); st.Code() != codes.Internal {
		t.Errorf("an error of no kind: %v, want Internal", st.Code())
	}
	if grpcError(nil) != nil || !errors.Is(&vswitch.Error{Kind: vswitch.ErrNotFound}, vswitch.ErrNotFound) {
		t.Error("nil or Is broken")
	}
}
