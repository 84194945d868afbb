#!/bin/bash
# Forwarding rate between two network namespaces through gvs and through
# Open vSwitch 3.1 (userspace datapath), 64-byte UDP frames, NORMAL, for
# each port type: system (AF_PACKET), afxdp, tap. Root only.
#
#   bench/netdev.sh                 # DURATION=5 ROUNDS=1 KINDS="system afxdp tap"
#   DURATION=10 ROUNDS=3 bench/netdev.sh
#
# The generator (bench/udpblast, AF_PACKET sendmmsg) is pinned to CPU 0 in
# namespace A; the switch is pinned to CPU 1 (gvsd: taskset; OVS:
# pmd-cpu-mask=0x2). The rate is the rx_packets delta of the
# namespace B interface over the run; "CPU/pkt" is the switch process's
# user+system time over the run divided by the frames forwarded. Frames are
# addressed to B's MAC and an unassigned IP, so B's stack drops them
# cheaply. Nothing here is a pass/fail assertion: the machine is noisy
# (see shared/notes/afxdp.md, pitfall 17) - compare within one run.
set -eu
[ "$(id -u)" = 0 ] || { echo "bench/netdev.sh: needs root" >&2; exit 1; }
cd "$(dirname "$0")/.."
DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-1}
KINDS=${KINDS:-"system afxdp tap"}
SWITCHES=${SWITCHES:-"gvs ovs"}
T=$(mktemp -d /tmp/gvsbench.XXXXXX)
P=gb$$
NA=${P}a NB=${P}b
GVSD_PID= OVS=0
NETDEV_EXISTED=0; ip link show ovs-netdev >/dev/null 2>&1 && NETDEV_EXISTED=1

cleanup() {
  set +e
  [ -n "$GVSD_PID" ] && kill "$GVSD_PID" 2>/dev/null && wait "$GVSD_PID" 2>/dev/null
  [ "$OVS" = 1 ] && ovs_stop
  ip netns del $NA 2>/dev/null; ip netns del $NB 2>/dev/null
  ip link del ${P}ha 2>/dev/null; ip link del ${P}hb 2>/dev/null
  ip link del ${P}ta 2>/dev/null; ip link del ${P}tb 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT INT TERM

CGO_ENABLED=0 go build -o "$T/" ./cmd/gvsd ./cmd/gvsctl ./bench/udpblast
BLAST=$T/udpblast

# topology: namespace A and B; ifA/ifB are the interfaces inside them.
mkns() {
  for n in $NA $NB; do
    ip netns add $n
    ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip netns exec $n ip link set lo up
  done
}
# veth pair per namespace: host end ${P}h[ab], namespace end ${P}n[ab]
mkveth() {
  for x in a b; do
    ip link add ${P}h$x type veth peer name ${P}n$x
    sysctl -qw net.ipv6.conf.${P}h$x.disable_ipv6=1
    $BLAST -off ${P}h$x
    ip link set ${P}n$x netns ${P}$x
    ip netns exec ${P}$x $BLAST -off ${P}n$x
    ip link set ${P}h$x up
  done
  IFA=${P}na IFB=${P}nb
}
# taps (already created by the switch) moved into the namespaces
movetaps() {
  for x in a b; do
    ip link set ${P}t$x netns ${P}$x
    ip netns exec ${P}$x sysctl -qw net.ipv6.conf.${P}t$x.disable_ipv6=1
  done
  IFA=${P}ta IFB=${P}tb
}
addrs() {
  ip netns exec $NA ip addr add 10.200.77.1/24 dev $IFA
  ip netns exec $NB ip addr add 10.200.77.2/24 dev $IFB
  ip netns exec $NA ip link set $IFA up
  ip netns exec $NB ip link set $IFB up
  # learn both MACs, and prove the path works
  ip netns exec $NA ping -c 2 -i 0.2 -W 2 10.200.77.2 >/dev/null
}
rxb() { ip netns exec $NB cat /sys/class/net/$IFB/statistics/rx_packets; }
cpu() { awk '{print $14+$15}' /proc/$1/stat; }   # utime+stime, clock ticks

measure() { # $1 = switch pid; prints "pps ns_per_pkt offered_pps"
  local dmac r0 c0 r1 c1 hz sent
  hz=$(getconf CLK_TCK)
  dmac=$(ip netns exec $NB cat /sys/class/net/$IFB/address)
  r0=$(rxb); c0=$(cpu $1)
  sent=$(ip netns exec $NA taskset -c 0 $BLAST -i $IFA -dmac $dmac -src 10.200.77.1 -dst 10.200.77.99 -t ${DURATION}s)
  sleep 0.3
  r1=$(rxb); c1=$(cpu $1)
  awk -v r=$((r1-r0)) -v c=$((c1-c0)) -v d=$DURATION -v hz=$hz -v s=$sent \
    'BEGIN { printf "%d %.0f %d\n", r/d, (r>0 ? c/hz*1e9/r : 0), s/d }'
}

gvs_run() { # $1 = kind; the result line goes to fd 3, everything else to stderr
  cat > $T/gvsd.yaml <<Y
socket: $T/gvsd.sock
metrics: ""
log: {level: warn, format: console}
bridges: []
Y
  mkns
  [ $1 != tap ] && mkveth
  taskset -c 1 $T/gvsd --config $T/gvsd.yaml 2>$T/gvsd.log & GVSD_PID=$!
  for _ in $(seq 50); do [ -S $T/gvsd.sock ] && break; sleep 0.1; done
  local C="$T/gvsctl --socket $T/gvsd.sock"
  $C add-br ${P}br
  case $1 in
  system|afxdp) $C add-port ${P}br ${P}ha type=$1; $C add-port ${P}br ${P}hb type=$1 ;;
  tap) $C add-port ${P}br ${P}ta type=tap; $C add-port ${P}br ${P}tb type=tap; movetaps ;;
  esac
  addrs
  measure $GVSD_PID >&3
  [ -n "${DUMP:-}" ] && $C dump-ports ${P}br >&2
  kill $GVSD_PID; wait $GVSD_PID 2>/dev/null || true; GVSD_PID=
  teardown
}

ovs_start() {
  export OVS_RUNDIR=$T/ovs OVS_LOGDIR=$T/ovs OVS_DBDIR=$T/ovs OVS_SYSCONFDIR=$T/ovs
  mkdir -p $T/ovs
  ovsdb-tool create $T/ovs/conf.db /usr/share/openvswitch/vswitch.ovsschema
  ovsdb-server $T/ovs/conf.db --remote=punix:$T/ovs/db.sock --pidfile=$T/ovs/ovsdb-server.pid --log-file=$T/ovs/db.log --detach
  ovs-vsctl --no-wait init
  ovs-vsctl --no-wait set Open_vSwitch . other_config:pmd-cpu-mask=0x2
  ovs-vswitchd unix:$T/ovs/db.sock --pidfile=$T/ovs/ovs-vswitchd.pid --log-file=$T/ovs/vswitchd.log --detach
  OVS=1
}
ovs_stop() {
  # OVS leaves the bridge's and the netdev datapath's taps behind (persist
  # on) unless the bridge is deleted first.
  ovs-vsctl --timeout=5 del-br ${P}br 2>/dev/null || true
  for f in ovs-vswitchd.pid ovsdb-server.pid; do [ -f $T/ovs/$f ] && kill "$(cat $T/ovs/$f)" 2>/dev/null; done
  sleep 0.5
  ip link del ${P}br 2>/dev/null || true
  [ "$NETDEV_EXISTED" = 0 ] && ip link del ovs-netdev 2>/dev/null || true
  [ -n "${KEEPLOG:-}" ] && cp $T/ovs/vswitchd.log /tmp/ovs-last.log; rm -rf $T/ovs; OVS=0
}
ovs_run() {
  mkns
  [ $1 != tap ] && mkveth
  ovs_start
  ovs-vsctl add-br ${P}br -- set bridge ${P}br datapath_type=netdev
  case $1 in
  system) ovs-vsctl add-port ${P}br ${P}ha -- add-port ${P}br ${P}hb ;;
  afxdp) ovs-vsctl add-port ${P}br ${P}ha -- set interface ${P}ha type=afxdp options:xdp-mode=native \
           -- add-port ${P}br ${P}hb -- set interface ${P}hb type=afxdp options:xdp-mode=native ;;
  tap) ovs-vsctl add-port ${P}br ${P}ta -- set interface ${P}ta type=tap -- add-port ${P}br ${P}tb -- set interface ${P}tb type=tap
       sleep 0.5; movetaps ;;
  esac
  sleep 2 # afxdp ports take a moment to come up in OVS
  addrs
  measure "$(cat $T/ovs/ovs-vswitchd.pid)" >&3
  ovs_stop
  teardown
}
teardown() {
  ip netns del $NA 2>/dev/null || true; ip netns del $NB 2>/dev/null || true
  ip link del ${P}ha 2>/dev/null || true; ip link del ${P}hb 2>/dev/null || true
  sleep 0.3
}

# a failing run (set -e in its subshell) must not leave a switch running
inner_cleanup() {
  set +e
  [ -n "$GVSD_PID" ] && kill "$GVSD_PID" 2>/dev/null && wait "$GVSD_PID" 2>/dev/null
  [ "$OVS" = 1 ] && ovs_stop
  teardown
}

declare -A RES CPUR
printf "%-8s %-6s %12s %12s %12s\n" kind switch pps ns/pkt-CPU offered-pps
for round in $(seq $ROUNDS); do
  for k in $KINDS; do
    for s in $SWITCHES; do
      if ! ( trap inner_cleanup EXIT; ${s}_run $k 3>$T/result 1>&2 ); then echo "$k $s: failed" >&2; teardown; continue; fi
      read -r pps ns offered < $T/result
      printf "%-8s %-6s %12d %12d %12d\n" $k $s $pps $ns $offered
      RES[$k/$s]="${RES[$k/$s]:-} $pps"; CPUR[$k/$s]="${CPUR[$k/$s]:-} $ns"
    done
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : 0)}'; }
echo
echo "median over $ROUNDS round(s) of ${DURATION}s, 64-byte UDP, NORMAL:"
printf "%-8s %12s %10s %12s %10s %8s\n" kind gvs-pps gvs-ns/pkt ovs-pps ovs-ns/pkt gvs/ovs
for k in $KINDS; do
  g=$(echo ${RES[$k/gvs]:-} | median); o=$(echo ${RES[$k/ovs]:-} | median)
  gc=$(echo ${CPUR[$k/gvs]:-} | median); oc=$(echo ${CPUR[$k/ovs]:-} | median)
  printf "%-8s %12d %10d %12d %10d %8s\n" $k $g $gc $o $oc "$(awk -v g=$g -v o=$o 'BEGIN{ if (o>0) printf "%.2f", g/o; else print "-" }')"
done
