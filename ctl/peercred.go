package ctl

import (
	"context"
	"fmt"
	"net"
	"os/user"
	"slices"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// peerCreds carries the credentials of the process at the other end of a
// unix socket connection, read with SO_PEERCRED at accept time.
type peerCreds struct {
	credentials.CommonAuthInfo
	uid, gid uint32
	pid      int32
	// groups are the peer's supplementary groups (SO_PEERGROUPS), as the
	// kernel saw them when it connected; nil if the kernel cannot say.
	groups []uint32
}

func (peerCreds) AuthType() string { return "peercred" }

// unixCreds is transport "security" for a local unix socket: no encryption,
// but the handshake records who connected.
type unixCreds struct{}

func (unixCreds) ClientHandshake(_ context.Context, _ string, c net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return c, peerCreds{}, nil
}

func (unixCreds) ServerHandshake(c net.Conn) (net.Conn, credentials.AuthInfo, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return nil, nil, fmt.Errorf("control connection is not a unix socket")
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return nil, nil, err
	}
	var cred *unix.Ucred
	var groups []uint32
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
		groups = peerGroups(int(fd))
	}); err != nil {
		return nil, nil, err
	}
	if cerr != nil {
		return nil, nil, fmt.Errorf("read peer credentials: %w", cerr)
	}
	return c, peerCreds{CommonAuthInfo: credentials.CommonAuthInfo{SecurityLevel: credentials.NoSecurity},
		uid: cred.Uid, gid: cred.Gid, pid: cred.Pid, groups: groups}, nil
}

// peerGroups reads the supplementary groups of a unix socket's peer
// (SO_PEERGROUPS, Linux 4.13); nil if unsupported. They are what the
// peer's process really has — the groups the file mode of the socket
// admitted it by — whereas a lookup of the uid in the group database
// misses groups granted at login by NSS modules (LDAP, sssd), which a
// CGO_ENABLED=0 gvsd cannot query.
func peerGroups(fd int) []uint32 {
	buf := make([]uint32, 64)
	for {
		n := uint32(len(buf) * 4)
		_, _, errno := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), unix.SOL_SOCKET, unix.SO_PEERGROUPS,
			uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&n)), 0)
		switch {
		case errno == 0:
			return buf[:n/4]
		case errno == unix.ERANGE && int(n/4) > len(buf):
			buf = make([]uint32, n/4)
		default:
			return nil
		}
	}
}

func (unixCreds) Info() credentials.ProtocolInfo {
	return credentials.ProtocolInfo{SecurityProtocol: "peercred"}
}
func (u unixCreds) Clone() credentials.TransportCredentials { return u }
func (unixCreds) OverrideServerName(string) error           { return nil }

// authorizer admits root and members of one group.
type authorizer struct {
	gid int // -1: root only
}

func (a authorizer) check(ctx context.Context) error {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return status.Error(codes.Unauthenticated, "no peer information")
	}
	c, ok := p.AuthInfo.(peerCreds)
	if !ok {
		return status.Error(codes.Unauthenticated, "no peer credentials")
	}
	if c.uid == 0 || a.gid >= 0 && (c.gid == uint32(a.gid) || slices.Contains(c.groups, uint32(a.gid)) || inGroup(c.uid, a.gid)) {
		return nil
	}
	if a.gid < 0 {
		return status.Errorf(codes.PermissionDenied, "permission denied: uid %d is not root, and the gvsd socket is for root only (set socket_group to admit a group)", c.uid)
	}
	return status.Errorf(codes.PermissionDenied, "permission denied: uid %d (gid %d) is neither root nor a member of the socket's group (gid %d)", c.uid, c.gid, a.gid)
}

// inGroup reports whether the user has gid among its supplementary groups.
func inGroup(uid uint32, gid int) bool {
	u, err := user.LookupId(strconv.Itoa(int(uid)))
	if err != nil {
		return false
	}
	gids, err := u.GroupIds()
	if err != nil {
		return false
	}
	for _, g := range gids {
		if g == strconv.Itoa(gid) {
			return true
		}
	}
	return false
}

func (a authorizer) unary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if err := a.check(ctx); err != nil {
		return nil, err
	}
	return h(ctx, req)
}

func (a authorizer) stream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	if err := a.check(ss.Context()); err != nil {
		return err
	}
	return h(srv, ss)
}
