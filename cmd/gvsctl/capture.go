package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/gvs-project/gvs/ctl/ctlpb"
)

// errReaderGone ends a capture whose stdout reader (tcpdump, head) has
// exited: the capture is over, not failed.
var errReaderGone = errors.New("the reader of stdout went away")

func (c *cli) captureCmd() *cobra.Command {
	var count uint32
	var write, dir string
	capture := &cobra.Command{Use: "capture BRIDGE PORT [-c N] [-w FILE]", Short: "Capture a port's frames as pcap (stdout by default: | tcpdump -r -)", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch dir {
			case "", "both", "rx", "in", "tx", "out":
			default:
				return fmt.Errorf("--direction must be rx, tx or both, not %q", dir)
			}
			toStdout := write == "" || write == "-"
			cctx, cancel := context.WithCancelCause(ctx(cmd))
			defer cancel(nil)
			if toStdout {
				// A broken pipe is an error to handle, not a signal that
				// kills gvsctl without a word.
				signal.Ignore(syscall.SIGPIPE)
				go watchReader(int(os.Stdout.Fd()), cancel)
			}
			st, err := c.dp.Capture(cctx, &ctlpb.CaptureRequest{Bridge: args[0], Port: args[1], Count: count, Direction: dir})
			if err == nil {
				err = captureAttached(st)
			}
			if err != nil {
				return captureEnd(cctx, err)
			}
			var out io.Writer = os.Stdout
			if !toStdout {
				f, err := os.Create(write)
				if err != nil {
					return err
				}
				defer f.Close()
				out = f
			}
			return captureEnd(cctx, writeCapture(out, st))
		}}
	capture.Flags().Uint32VarP(&count, "count", "c", 0, "stop after N frames")
	capture.Flags().StringVarP(&write, "write", "w", "", "write the pcap to FILE instead of stdout")
	capture.Flags().StringVar(&dir, "direction", "both", "rx, tx or both")
	return capture
}

// captureAttached waits for the daemon's word that the capture is
// attached (a header with gvs-capture); a bad bridge or port ends the
// call with its status instead, which Recv returns.
func captureAttached(st ctlpb.Datapath_CaptureClient) error {
	md, err := st.Header()
	if err != nil {
		return err
	}
	if len(md.Get("gvs-capture")) > 0 {
		return nil
	}
	if _, err := st.Recv(); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return errors.New("gvsd did not attach the capture")
}

// writeCapture writes a pcap header, then each frame of st as it arrives,
// to out, until the stream ends (nil) or fails.
func writeCapture(out io.Writer, st ctlpb.Datapath_CaptureClient) error {
	bw := bufio.NewWriter(out)
	w := pcapgo.NewWriter(bw)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return recvEach(st.Recv, func(f *ctlpb.CapturedFrame) error {
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(0, f.UnixNanos), CaptureLength: len(f.Data), Length: len(f.Data)}
		if err := w.WritePacket(ci, f.Data); err != nil {
			return err
		}
		return bw.Flush()
	})
}

// captureEnd is how a capture that ended with err ends gvsctl: a reader
// that went away (EPIPE, or seen by watchReader) ends it quietly with a
// note on stderr.
func captureEnd(cctx context.Context, err error) error {
	if errors.Is(err, syscall.EPIPE) || errors.Is(context.Cause(cctx), errReaderGone) {
		fmt.Fprintln(os.Stderr, "gvsctl: capture stopped:", errReaderGone)
		return nil
	}
	return err
}

// watchReader waits until fd, the write end of a pipe, has no reader left
// (poll reports POLLERR, or POLLHUP), and then cancels the capture: with
// no frame to write, nothing else would notice. It returns at once if fd
// is not a pipe.
func watchReader(fd int, cancel context.CancelCauseFunc) {
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return
	}
	fds := []unix.PollFd{{Fd: int32(fd)}}
	for {
		n, err := unix.Poll(fds, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return
		}
		if n > 0 && fds[0].Revents&(unix.POLLERR|unix.POLLHUP) != 0 {
			cancel(errReaderGone)
			return
		}
	}
}
