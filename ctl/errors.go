package ctl

import (
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gvs-project/gvs/vswitch"
)

// grpcError turns an error of the control core into a gRPC status with the
// code of its kind; an error of no kind is Internal.
func grpcError(err error) error {
	if err == nil {
		return nil
	}
	code := codes.Internal
	for _, k := range []struct {
		kind error
		code codes.Code
	}{
		{vswitch.ErrInvalid, codes.InvalidArgument},
		{vswitch.ErrNotFound, codes.NotFound},
		{vswitch.ErrExists, codes.AlreadyExists},
		{vswitch.ErrRefused, codes.FailedPrecondition},
		{vswitch.ErrConflict, codes.Aborted},
		{vswitch.ErrNotSaved, codes.Internal},
		{vswitch.ErrNoTracker, codes.Unavailable},
	} {
		if errors.Is(err, k.kind) {
			code = k.code
			break
		}
	}
	return status.Error(code, err.Error())
}

func invalid(format string, args ...any) error {
	return status.Error(codes.InvalidArgument, fmt.Sprintf(format, args...))
}
