#!/bin/bash
# Flow-table scale: the same flow file of N flows (default 1,000,000, the
# shape of Neutron's: cookie, priority, in_port, an IPv4 source, an
# output, over four tables) through gvsd (gvsctl add-flows, dump-flows,
# replace-flows with a different N) and through Open vSwitch 3.1
# (ovs-ofctl, same verbs, on a dummy-datapath bridge of a private
# instance), in one run. Reports, for each step, the wall time, flows/s,
# the switch daemon's peak RSS so far (VmHWM of /proc/PID/status) and the
# client's peak RSS.
#
#   bench/flowscale.sh                # N=1000000 SWITCHES="gvs ovs"
#   N=100000 SWITCHES=gvs bench/flowscale.sh
#
# Nothing here is a pass/fail assertion (e2e/TestFlowsAtScale is the
# test); the machine is shared and noisy, so compare within one run.
set -eu
cd "$(dirname "$0")/.."
N=${N:-1000000}
SWITCHES=${SWITCHES:-"gvs ovs"}
T=$(mktemp -d /tmp/gvsflowscale.XXXXXX)
GVSD_PID= OVS=0

cleanup() {
  set +e
  [ -n "$GVSD_PID" ] && kill "$GVSD_PID" 2>/dev/null && wait "$GVSD_PID" 2>/dev/null
  [ "$OVS" = 1 ] && ovs_stop
  rm -rf "$T"
}
trap cleanup EXIT INT TERM

# flows SET FILE: N flows; SET (1 or 2) is the cookie's high word.
flows() {
  awk -v n="$N" -v set="$1" 'BEGIN {
    for (i = 0; i < n; i++)
      printf "table=%d,priority=%d,cookie=0x%x%08x,ip,in_port=%d,nw_src=10.%d.%d.%d,actions=output:%d\n",
        i % 4, 100 + i % 1000, set, i, 1 + i % 8, int(i / 65536) % 256, int(i / 256) % 256, i % 256, 1 + (i * 7 + set) % 8
  }' > "$2"
}

hwm() { awk '/^VmHWM/ { printf "%d MiB", $2 / 1024 }' "/proc/$1/status"; }

# step SWITCH WHAT PID CMD...: runs CMD (a shell string) and prints one
# result line. The client's peak RSS comes from GNU time if installed.
step() {
  local sw=$1 what=$2 pid=$3; shift 3
  local t0 t1 client=-
  t0=$(date +%s.%N)
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f %M -o "$T/client.rss" bash -c "$*"
    client="$(( $(tail -1 "$T/client.rss") / 1024 )) MiB"
  else
    bash -c "$*"
  fi
  t1=$(date +%s.%N)
  awk -v sw="$sw" -v what="$what" -v n="$N" -v t0="$t0" -v t1="$t1" -v hwm="$(hwm "$pid")" -v client="$client" \
    'BEGIN { d = t1 - t0; printf "%-4s %-15s %8.2f s %10.0f flows/s   daemon VmHWM %-10s client peak %s\n", sw, what, d, n / d, hwm, client }'
}

# count FILE: the number of flow lines of a dump (header excluded).
count() {
  local got; got=$(grep -vc '_FLOW reply' "$1" || true)
  [ "$got" = "$N" ] || { echo "dump has $got flows, want $N" >&2; exit 1; }
}

gvs_run() {
  CGO_ENABLED=0 go build -o "$T/" ./cmd/gvsd ./cmd/gvsctl
  mkdir -p "$T/gvs"
  cat > "$T/gvs/gvsd.yaml" <<EOF
socket: $T/gvs/gvsd.sock
socket_group: "$(id -g)"
metrics: 127.0.0.1:0
state_dir: $T/gvs/state
log: {level: info, format: console}
bridges: []
EOF
  "$T/gvsd" --config "$T/gvs/gvsd.yaml" > "$T/gvs/gvsd.log" 2>&1 &
  GVSD_PID=$!
  local c="$T/gvsctl --socket $T/gvs/gvsd.sock"
  for _ in $(seq 100); do $c list-br >/dev/null 2>&1 && break; sleep 0.1; done
  $c add-br br0 fail_mode=secure
  step gvs add-flows $GVSD_PID "$c add-flows br0 $T/a.flows"
  step gvs dump-flows $GVSD_PID "$c dump-flows br0 > $T/dump"; count "$T/dump"
  step gvs replace-flows $GVSD_PID "$c replace-flows br0 $T/b.flows"
  step gvs dump-flows $GVSD_PID "$c dump-flows br0 > $T/dump"; count "$T/dump"
  kill $GVSD_PID; wait $GVSD_PID 2>/dev/null || true; GVSD_PID=
}

ovs_start() {
  export OVS_RUNDIR=$T/ovs OVS_LOGDIR=$T/ovs OVS_DBDIR=$T/ovs OVS_SYSCONFDIR=$T/ovs
  mkdir -p "$T/ovs"
  ovsdb-tool create "$T/ovs/conf.db" /usr/share/openvswitch/vswitch.ovsschema
  ovsdb-server "$T/ovs/conf.db" --remote="punix:$T/ovs/db.sock" --pidfile="$T/ovs/ovsdb-server.pid" \
    --log-file="$T/ovs/db.log" --detach 2>/dev/null
  OVS=1
  ovs-vsctl --no-wait init
  ovs-vswitchd --enable-dummy=override --disable-system --disable-system-route "unix:$T/ovs/db.sock" \
    --pidfile="$T/ovs/ovs-vswitchd.pid" --log-file="$T/ovs/vswitchd.log" --detach 2>/dev/null
}
ovs_stop() {
  for f in ovs-vswitchd.pid ovsdb-server.pid; do [ -f "$T/ovs/$f" ] && kill "$(cat "$T/ovs/$f")" 2>/dev/null; done
  OVS=0
}
ovs_run() {
  command -v ovs-vswitchd >/dev/null || { echo "ovs: not installed, skipped"; return; }
  ovs_start
  ovs-vsctl add-br br0 -- set bridge br0 datapath_type=dummy fail_mode=secure
  local pid; pid=$(cat "$T/ovs/ovs-vswitchd.pid")
  step ovs add-flows "$pid" "ovs-ofctl add-flows br0 $T/a.flows 2>>$T/ovs/ofctl.log"
  step ovs dump-flows "$pid" "ovs-ofctl dump-flows br0 > $T/dump"; count "$T/dump"
  step ovs replace-flows "$pid" "ovs-ofctl -O OpenFlow13 replace-flows br0 $T/b.flows 2>>$T/ovs/ofctl.log" # needs table ids in flow mods
  step ovs dump-flows "$pid" "ovs-ofctl dump-flows br0 > $T/dump"; count "$T/dump"
  echo "ovs  $(ovs-vswitchd --version | head -1)"
  ovs_stop
}

flows 1 "$T/a.flows"
flows 2 "$T/b.flows"
echo "$N flows per file ($(du -h "$T/a.flows" | cut -f1)), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
for s in $SWITCHES; do "${s}_run"; done
