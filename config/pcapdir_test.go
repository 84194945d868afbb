package config

import "testing"

func TestPcapDirectory(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"pcap_dir: /srv/pcap\n", "/srv/pcap"},
		{"pcap_dir: pcap\n", "/etc/gvs/pcap"}, // relative to the file, like flows and rx/tx
		{"state_dir: /var/lib/gvs-a\n", "/var/lib/gvs-a/pcap"},
		{"state_dir: /var/lib/gvs-a\npcap_dir: /srv/pcap\n", "/srv/pcap"},
		{"", DefaultPcapDir},
	} {
		cfg, err := Parse([]byte(c.yaml), "/etc/gvs/gvsd.yaml")
		if err != nil {
			t.Fatalf("%q: %v", c.yaml, err)
		}
		if got, err := cfg.PcapDirectory(); err != nil || got != c.want {
			t.Errorf("%q: PcapDirectory() = %q, %v; want %q", c.yaml, got, err, c.want)
		}
	}
	if _, err := Parse([]byte("pcap_dir: [a]\n"), ""); err == nil {
		t.Errorf("pcap_dir as a list was accepted")
	}
}
