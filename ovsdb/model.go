package ovsdb

import "github.com/ovn-kubernetes/libovsdb/model"

// The models hold only the columns gvs reads or writes; libovsdb maps
// them by their ovsdb tags onto Open vSwitch 3.1's schema.

// DatabaseName is the database ovs-vswitchd's schema defines.
const DatabaseName = "Open_vSwitch"

// OpenVSwitch is the root row (table Open_vSwitch).
type OpenVSwitch struct {
	UUID          string   `ovsdb:"_uuid"`
	Bridges       []string `ovsdb:"bridges"`
	ManagerOpts   []string `ovsdb:"manager_options"`
	NextCfg       int      `ovsdb:"next_cfg"`
	CurCfg        int      `ovsdb:"cur_cfg"`
	OVSVersion    *string  `ovsdb:"ovs_version"`
	DatapathTypes []string `ovsdb:"datapath_types"`
	IfaceTypes    []string `ovsdb:"iface_types"`
}

// Bridge is a row of table Bridge.
type Bridge struct {
	UUID         string            `ovsdb:"_uuid"`
	Name         string            `ovsdb:"name"`
	Ports        []string          `ovsdb:"ports"`
	DatapathType string            `ovsdb:"datapath_type"`
	DatapathID   *string           `ovsdb:"datapath_id"`
	FailMode     *string           `ovsdb:"fail_mode"`
	Protocols    []string          `ovsdb:"protocols"`
	Controller   []string          `ovsdb:"controller"`
	FlowTables   map[int]string    `ovsdb:"flow_tables"`
	OtherConfig  map[string]string `ovsdb:"other_config"`
	ExternalIDs  map[string]string `ovsdb:"external_ids"`
}

// Port is a row of table Port.
type Port struct {
	UUID        string            `ovsdb:"_uuid"`
	Name        string            `ovsdb:"name"`
	Interfaces  []string          `ovsdb:"interfaces"`
	Tag         *int              `ovsdb:"tag"`
	Trunks      []int             `ovsdb:"trunks"`
	VLANMode    *string           `ovsdb:"vlan_mode"`
	OtherConfig map[string]string `ovsdb:"other_config"`
	ExternalIDs map[string]string `ovsdb:"external_ids"`
}

// Interface is a row of table Interface.
type Interface struct {
	UUID          string            `ovsdb:"_uuid"`
	Name          string            `ovsdb:"name"`
	Type          string            `ovsdb:"type"`
	Options       map[string]string `ovsdb:"options"`
	OFPort        *int              `ovsdb:"ofport"`
	OFPortRequest *int              `ovsdb:"ofport_request"`
	MTU           *int              `ovsdb:"mtu"`
	MTURequest    *int              `ovsdb:"mtu_request"`
	Error         *string           `ovsdb:"error"`
	AdminState    *string           `ovsdb:"admin_state"`
	LinkState     *string           `ovsdb:"link_state"`
	MACInUse      *string           `ovsdb:"mac_in_use"`
	IfIndex       *int              `ovsdb:"ifindex"`
	Statistics    map[string]int    `ovsdb:"statistics"`
	OtherConfig   map[string]string `ovsdb:"other_config"`
	ExternalIDs   map[string]string `ovsdb:"external_ids"`
}

// Controller is a row of table Controller (monitored; the OpenFlow side
// uses it).
type Controller struct {
	UUID        string `ovsdb:"_uuid"`
	Target      string `ovsdb:"target"`
	IsConnected bool   `ovsdb:"is_connected"`
}

// Manager is a row of table Manager (monitored).
type Manager struct {
	UUID   string `ovsdb:"_uuid"`
	Target string `ovsdb:"target"`
}

// FlowTable is a row of table Flow_Table (monitored).
type FlowTable struct {
	UUID string  `ovsdb:"_uuid"`
	Name *string `ovsdb:"name"`
}

// ClientModel is the client database model of the tables above.
func ClientModel() (model.ClientDBModel, error) {
	return model.NewClientDBModel(DatabaseName, map[string]model.Model{
		"Open_vSwitch": &OpenVSwitch{},
		"Bridge":       &Bridge{},
		"Port":         &Port{},
		"Interface":    &Interface{},
		"Controller":   &Controller{},
		"Manager":      &Manager{},
		"Flow_Table":   &FlowTable{},
	})
}
