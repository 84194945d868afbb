package netdev

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"
)

// The XDP side of an AFXDP port: the redirect program, its XSKMAP and
// attach, and the privileges all of it needs.

// checkAFXDPPrivileges says exactly what the process lacks for AF_XDP with
// a UMEM of umemBytes; it raises RLIMIT_MEMLOCK when it can.
func checkAFXDPPrivileges(umemBytes uint64) error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capget: %w", err)
	}
	has := func(c uint) bool { return data[c/32].Effective&(1<<(c%32)) != 0 }
	var missing []string
	if !has(unix.CAP_NET_RAW) {
		missing = append(missing, "CAP_NET_RAW (AF_XDP socket)")
	}
	if !has(unix.CAP_NET_ADMIN) {
		missing = append(missing, "CAP_NET_ADMIN (XDP attach)")
	}
	if !has(unix.CAP_BPF) && !has(unix.CAP_SYS_ADMIN) {
		missing = append(missing, "CAP_BPF (XSKMAP and XDP program)")
	}
	if !has(unix.CAP_IPC_LOCK) {
		var rl unix.Rlimit
		if err := unix.Getrlimit(unix.RLIMIT_MEMLOCK, &rl); err == nil && rl.Cur != unix.RLIM_INFINITY && rl.Cur < umemBytes {
			want := unix.Rlimit{Cur: umemBytes + 1<<20, Max: max(rl.Max, umemBytes+1<<20)}
			if unix.Setrlimit(unix.RLIMIT_MEMLOCK, &want) != nil {
				missing = append(missing, fmt.Sprintf("CAP_IPC_LOCK or RLIMIT_MEMLOCK >= %d bytes (it is %d; raising it needs CAP_SYS_RESOURCE)", umemBytes, rl.Cur))
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("AF_XDP needs %s", strings.Join(missing, "; "))
	}
	return nil
}

// rxQueues counts the device's RX queues (in the calling thread's netns,
// through sysfs when it reflects it), at least 1.
func rxQueues(name string) int {
	m, _ := filepath.Glob("/sys/class/net/" + name + "/queues/rx-*")
	return max(1, len(m))
}

// redirectProgram is the XDP program: redirect to the XSKMAP slot of the
// frame's rx_queue_index, or XDP_PASS (the low bits of the flags argument)
// when the slot is empty.
func redirectProgram(xmap *ebpf.Map) (*ebpf.Program, error) {
	return ebpf.NewProgram(&ebpf.ProgramSpec{
		Name: "gvs_xsk_redir",
		Type: ebpf.XDP,
		Instructions: asm.Instructions{
			asm.LoadMem(asm.R2, asm.R1, 16, asm.Word), // r2 = ctx->rx_queue_index
			asm.LoadMapPtr(asm.R1, xmap.FD()),
			asm.Mov.Imm(asm.R3, 2), // XDP_PASS when no socket
			asm.FnRedirectMap.Call(),
			asm.Return(),
		},
		License: "GPL",
	})
}

// attachProgram creates the XSKMAP for nq queues, loads the redirect
// program and attaches it in mode (XDPBest: native, else generic).
func (d *AFXDP) attachProgram(nq int, mode XDPMode) error {
	var err error
	d.xmap, err = ebpf.NewMap(&ebpf.MapSpec{Name: "gvs_xsks", Type: ebpf.XSKMap, KeySize: 4, ValueSize: 4, MaxEntries: uint32(max(nq, rxQueues(d.name)))})
	if err != nil {
		return fmt.Errorf("XSKMAP: %w", err)
	}
	if d.prog, err = redirectProgram(d.xmap); err != nil {
		return fmt.Errorf("load XDP program: %w", err)
	}
	modes := []XDPMode{XDPNative, XDPGeneric}
	if mode != XDPBest {
		modes = []XDPMode{mode}
	}
	var aerr error
	for _, m := range modes {
		fl := link.XDPDriverMode
		if m == XDPGeneric {
			fl = link.XDPGenericMode
		}
		if d.lnk, aerr = link.AttachXDP(link.XDPOptions{Program: d.prog, Interface: d.ifindex, Flags: fl}); aerr == nil {
			d.mode = m
			break
		}
	}
	if aerr != nil {
		return fmt.Errorf("attach XDP (%v): %w", modes, aerr)
	}
	return nil
}
