// Package pmd holds gvs's polling threads (PMDs, after Open vSwitch's
// poll-mode driver threads): the goroutines that drive the receive side of
// datapath.BatchDevice ports and run each received batch through the
// datapath. It knows devices only through datapath.BatchDevice (plus an
// optional LinkUp() (up, ok bool) for link state); the drivers themselves
// are in netdev, which does not import this package.
//
// Contract:
//
//   - NewPoller starts a fixed set of threads, each a goroutine locked to
//     its OS thread and owning one datapath.Worker per datapath.
//   - Wrap makes a device pollable; adding its port to a datapath calls
//     Polled.Attach, which hands the port to the least loaded thread. From
//     then on only that thread calls the device's Recv, Release, Fd,
//     DeviceStats and LinkUp; any thread may call Send and SendBatch.
//   - A thread receives up to 64 frames per port, runs them to completion
//     with Worker.ReceiveBatch, releases them, and after spin (default
//     50µs) without traffic sleeps in poll(2) on its ports' descriptors and
//     an eventfd that control requests write to.
//   - Polled.Close (deleting the port) detaches the port from its thread,
//     runs a no-op on every thread so no batch can still be sending to the
//     device, then closes the device.
//   - NewHotplug makes the device of a port whose interface may be missing
//     or come and go (gvsd's system and afxdp ports): the Hotplug is the
//     port's Dev for the port's life and holds at most one Polled device
//     of the interface. Appeared (an interface of the name exists, with an
//     index) opens it, or replaces a device of a gone index; Gone (that
//     index was deleted, moved or renamed) closes it. Without a device the
//     port is down, Fault says why and output to it is dropped. Transmit
//     holds a read lock per batch, so a device is swapped only when no
//     sender is using it. A device that failed to open is retried only on
//     another interface index.
//   - Poller.Close stops every thread and waits for them to exit; ports
//     still attached stop receiving (their devices stay open until their
//     ports are deleted). Attach after Close fails.
package pmd
