package main

import (
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestCallError checks that gvsctl prints a gRPC status's message alone,
// also when another error wraps it.
func TestCallError(t *testing.T) {
	notFound := status.Error(codes.NotFound, "no bridge named nope")
	for _, c := range []struct {
		err  error
		want string
	}{
		{notFound, "no bridge named nope"},
		{fmt.Errorf("add-port br0 p1: %w", notFound), "add-port br0 p1: no bridge named nope"},
		{status.Error(codes.PermissionDenied, "uid 1000"), "not authorised: uid 1000"},
		{errors.New("plain"), "plain"},
	} {
		if got := (&cli{}).callError(c.err).Error(); got != c.want {
			t.Errorf("callError(%q) = %q, want %q", c.err, got, c.want)
		}
	}
}

// TestVerbOf checks that a chained command's verb is found after its
// options.
func TestVerbOf(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"list", "Bridge"}, "list"},
		{[]string{"--columns=name", "--if-exists", "find", "Port"}, "find"},
		{[]string{"--if-exists"}, ""},
	} {
		if got := verbOf(c.args); got != c.want {
			t.Errorf("verbOf(%q) = %q, want %q", c.args, got, c.want)
		}
	}
}
