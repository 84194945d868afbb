#!/bin/sh
# Regenerates the *.dump goldens from Open vSwitch 3.1: each flow file is
# loaded the way its "# load:" header says and dumped with and without -O
# OpenFlow13. Run inside an OVS sandbox (../shared/tools/ovs/sandbox.sh).
# The test internal/ovscompat re-checks these files against a live OVS.
set -eu
cd "$(dirname "$0")"
for f in *.flows; do
  n=${f%.flows}
  proto=$(grep -m1 '^# load:' "$f" | grep -o -- '-O OpenFlow1[0-9]' || true)
  ovs-vsctl --if-exists del-br regen
  ovs-vsctl add-br regen -- set bridge regen datapath-type=dummy fail-mode=secure
  ovs-ofctl $proto add-flows regen "$f"
  ovs-ofctl dump-flows --no-stats regen | grep -v '^NXST' | LC_ALL=C sort > "$n.of10.dump"
  [ -n "$proto" ] && ovs-ofctl -O OpenFlow13 dump-flows --no-stats regen | grep -v '^OFPST' | LC_ALL=C sort > "$n.of13.dump"
done
ovs-vsctl --if-exists del-br regen
