#!/usr/bin/env bash
# Runs a throwaway S3 endpoint for the integration tests: a single-node Ceph cluster (1 monitor, 1 in-memory OSD)
# and radosgw on 127.0.0.1, everything (config, data, pid files, logs) in DIR. Install with setup-s3.sh first.
#   s3-server.sh start DIR PORT   -> prints endpoint=http://127.0.0.1:PORT (access key rollout-test / rollout-test-secret)
#   s3-server.sh stop DIR
# Ports PORT..PORT+20 are used (monitor on PORT+1, OSD on PORT+2..), so clusters started 21 ports apart never clash.
set -euo pipefail

usage() { echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2; }
die() { echo "s3-server.sh: $*" >&2; exit 1; }
cmd=${1:-}; dir=${2:-}
[ -n "$dir" ] || usage

# The data is throwaway, so nothing needs flushing: SIGKILL ends every daemon at once, where a clean OSD and radosgw
# shutdown takes seconds. A zombie counts as gone (under a PID 1 that does not reap, it never disappears).
stop() {
  local pids=() f pid
  for f in "$dir"/run/*.pid; do
    pid=$(cat "$f" 2>/dev/null) || continue
    # A stale pid file may name an unrelated process by now: only kill one started with this DIR's config.
    grep -qaF "$dir/ceph.conf" "/proc/$pid/cmdline" 2>/dev/null && pids+=("$pid")
  done
  [ ${#pids[@]} -gt 0 ] || return 0
  kill -9 "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 50); do
    ps -o stat= -p "$(IFS=,; echo "${pids[*]}")" | grep -qv '^Z' || return 0
    sleep 0.1
  done
  die "daemons still running: ${pids[*]}"
}

# Daemons run in the foreground (-f) as background jobs, so the pid is known at once and one that dies during
# start-up is noticed (a daemonized radosgw that fails to bind removes its own pid file, then is indistinguishable
# from one still starting). Output goes to files so the caller's pipes close when this script exits.
run() {
  local name=$1; shift
  "$@" -f </dev/null >"$dir/log/$name.out" 2>&1 &
  echo $! >"$dir/run/$name.pid"
  disown
}

# Polls "$@" for up to $1 seconds, giving up early when daemon $2 has died.
wait_for() {
  local secs=$1 name=$2; shift 2
  for _ in $(seq $((secs * 5))); do
    "$@" >/dev/null 2>&1 && return 0
    kill -0 "$(cat "$dir/run/$name.pid")" 2>/dev/null || die "$name exited"
    sleep 0.2
  done
  die "timed out waiting for: $*"
}

case "$cmd" in
  stop) [ -d "$dir" ] || exit 0; dir=$(cd "$dir" && pwd); stop; exit 0 ;;
  start) port=${3:-}; [ -n "$port" ] || usage ;;
  *) usage ;;
esac

[ -e "$dir" ] && [ -n "$(ls -A "$dir")" ] && die "$dir is not empty (use a fresh folder)"
# Something else answering on PORT would pass the readiness check below.
for p in "$port" $((port + 1)); do
  (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && die "port $p is in use"
done
mkdir -p "$dir"/{run,log,mon,osd,rgw}
dir=$(cd "$dir" && pwd)
conf=$dir/ceph.conf
trap 'if [ $? -ne 0 ]; then tail -n 5 "$dir"/log/*.out >&2; echo "s3-server.sh: start failed (logs in $dir/log)" >&2; stop; fi' EXIT

# No auth (loopback, throwaway data), one copy of everything, no mgr, and every path inside DIR so nothing touches
# /etc/ceph, /var/lib/ceph or /var/log/ceph. msgr v1 is off so each daemon binds half as many ports.
# radosgw defaults ms_mon_client_mode to "secure", which needs cephx: without "crc" it never reaches the monitor.
# radosgw creates 6 pools, 2 monitor updates each, and the monitor commits at most once a second by default:
# 0.1 s takes start-up from ~13 s to ~2 s. 8 placement groups a pool (not 32) keep the OSD small.
# memstore keeps objects in the OSD's memory (up to 1 GiB): nothing to format, no disk I/O.
# The monitor stops itself when its disk has under 5% free; the data is throwaway, so that guard is off.
# A client that cannot reach the monitor gives up after 30 s instead of 300.
cat >"$conf" <<EOF
[global]
fsid = $(uuidgen)
mon host = v2:127.0.0.1:$((port + 1))
ms bind msgr1 = false
ms bind port min = $((port + 2))
ms bind port max = $((port + 20))
public addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
mon data avail crit = 0
paxos propose interval = 0.1
run dir = $dir/run
log file = $dir/log/\$name.log
mon cluster log file = $dir/log/cluster.log
crash dir = $dir/crash
client mount timeout = 30
[mon]
mon data = $dir/mon
[osd]
osd data = $dir/osd
osd objectstore = memstore
memstore device bytes = 1073741824
[client.rgw]
rgw data = $dir/rgw
rgw frontends = beast endpoint=127.0.0.1:$port
EOF

t0=$(date +%s)
monmaptool --create --fsid "$(awk '/^fsid/ {print $3}' "$conf")" --addv a "[v2:127.0.0.1:$((port + 1))]" "$dir/monmap" >/dev/null
ceph-mon -c "$conf" -i a --mkfs --monmap "$dir/monmap"
run mon.a ceph-mon -c "$conf" -i a
wait_for 20 mon.a ceph -c "$conf" --connect-timeout 2 mon stat

osd_uuid=$(uuidgen)
osd_id=$(ceph -c "$conf" osd new "$osd_uuid")
ceph-osd -c "$conf" -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" 2>"$dir/log/osd-mkfs.out"
run "osd.$osd_id" ceph-osd -c "$conf" -i "$osd_id"
wait_for 30 "osd.$osd_id" sh -c "ceph -c '$conf' osd stat | grep -q ' 1 up'"

run client.rgw radosgw -c "$conf" -n client.rgw
wait_for 40 client.rgw curl -sf "http://127.0.0.1:$port/"
radosgw-admin -c "$conf" user create --uid rollout-test --display-name "Rollout tests" \
  --access-key rollout-test --secret-key rollout-test-secret >/dev/null

echo "s3-server.sh: ready in $(($(date +%s) - t0))s" >&2
echo "endpoint=http://127.0.0.1:$port"
