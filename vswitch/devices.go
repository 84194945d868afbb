package vswitch

import (
	"errors"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/datapath"
)

// DeviceFault is implemented by port devices that can be without their
// kernel interface (gvsd's system and afxdp ports): Fault is why the port
// is down, nil while the device works. When the interface is missing the
// error has a Missing method that says so (netdev.OpenError).
type DeviceFault interface {
	Fault() error
}

// portFault is why p's device does not work ("" if it does, or cannot
// tell), as Open vSwitch's Interface error column says it.
func portFault(p *datapath.Port) string {
	if f, ok := p.Dev.(DeviceFault); ok {
		if err := f.Fault(); err != nil {
			return err.Error()
		}
	}
	return ""
}

// missing reports whether err says the interface does not exist.
func missing(err error) bool {
	var m interface{ Missing() bool }
	return errors.As(err, &m) && m.Missing()
}

// strictOpen is s.open for ports added over the control API: a device
// that exists but cannot be opened refuses the port (it is closed again
// and nothing is left), while a missing interface is accepted as Open
// vSwitch accepts it, the port down until the interface appears. At
// start-up (configuration and saved state) every port is kept, so that
// one bad device never keeps the daemon down.
func (s *Switch) strictOpen(bridge string, pc config.Port) (datapath.Device, error) {
	dev, err := s.open(bridge, pc)
	if err != nil {
		return nil, err
	}
	if f, ok := dev.(DeviceFault); ok {
		if ferr := f.Fault(); ferr != nil && !missing(ferr) {
			dev.Close()
			return nil, ferr
		}
	}
	return dev, nil
}

// PortFault is why the named port's device does not work, "" if it does
// (or there is no such port).
func (s *Switch) PortFault(name string) string {
	if p := s.dp.PortByName(name); p != nil {
		return portFault(p)
	}
	return ""
}
