#!/usr/bin/env bash
# Throw-away single-node Ceph (1 monitor, 1 memstore OSD) + radosgw on 127.0.0.1, for tests.
# Usage: scripts/ceph-rgw.sh start|stop|adduser UID AK SK   Env: CEPH_BASE (dir), RGW_PORT, CEPH_PORT_BASE (mon
# v2/v1 on BASE and BASE+1, OSD on BASE+2..BASE+9, so sessions can run side by side),
# RGW_ACCESS_KEY, RGW_SECRET_KEY. Needs Debian's radosgw ceph-mon ceph-osd. Data is wiped on
# every start. Prints "<endpoint> <access key> <secret key>" on its last line.
set -euo pipefail
BASE=${CEPH_BASE:-/tmp/chartvault-ceph}; PORT=${RGW_PORT:-7480}
AK=${RGW_ACCESS_KEY:-chartvaulttest}; SK=${RGW_SECRET_KEY:-chartvaulttestsecret}
MP=${CEPH_PORT_BASE:-3300}
CONF=$BASE/conf/ceph.conf; KEYRING=$BASE/conf/keyring

stop() {
  for f in "$BASE"/run/*.pid; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  done
  sleep 0.5
  for f in "$BASE"/run/*.pid; do
    [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true
  done
  return 0
}

start() {
  stop
  rm -rf "$BASE"; mkdir -p "$BASE"/{conf,data/mon.a,data/osd.0,run,log}
  local fsid osd_uuid
  fsid=$(cat /proc/sys/kernel/random/uuid); osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  cat > "$CONF" <<CONF
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$MP,v1:127.0.0.1:$((MP + 1))]
ms bind port min = $((MP + 2))
ms bind port max = $((MP + 9))
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv6 = false
keyring = $KEYRING
run dir = $BASE/run
admin socket = $BASE/run/\$name.asok
pid file = $BASE/run/\$name.pid
log file = $BASE/log/\$name.log
mon cluster log file = default=$BASE/log/ceph.\$channel.log cluster=$BASE/log/ceph.log
mon data = $BASE/data/mon.\$id
osd data = $BASE/data/osd.\$id
osd objectstore = memstore
memstore device bytes = 2147483648
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
paxos propose interval = 0.1
paxos min wait = 0.01
mon max pg per osd = 1000
mon warn on pool no redundancy = false
mon data avail crit = 1
mon data avail warn = 2
auth allow insecure global id reclaim = false
[client.rgw.gw]
rgw frontends = beast endpoint=127.0.0.1:$PORT
rgw thread pool size = 32
rgw dynamic resharding = false
rgw crypt require ssl = false
rgw crypt s3 kms backend = testing
rgw crypt s3 kms encryption keys = testkey-1=YmluCmJvb3N0CmJvb3N0LWJ1aWxkCmNlcGguY29uZgo=
CONF
  ceph-authtool -C "$KEYRING" -g -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool "$KEYRING" -g -n client.admin --cap mon 'allow *' --cap osd 'allow *' \
    --cap mgr 'allow *' --cap mds 'allow *' >/dev/null
  ceph-authtool "$KEYRING" -g -n osd.0 --cap mon 'allow profile osd' --cap osd 'allow *' \
    --cap mgr 'allow profile osd' >/dev/null
  ceph-authtool "$KEYRING" -g -n client.rgw.gw --cap mon 'allow rw' --cap osd 'allow rwx' \
    --cap mgr 'allow rw' >/dev/null
  monmaptool --create --addv a "[v2:127.0.0.1:$MP,v1:127.0.0.1:$((MP + 1))]" --fsid "$fsid" \
    "$BASE/conf/monmap" >/dev/null
  ceph-mon -c "$CONF" --mkfs -i a --monmap "$BASE/conf/monmap" --keyring "$KEYRING"
  ceph-mon -c "$CONF" -i a
  ceph -c "$CONF" --connect-timeout 30 osd new "$osd_uuid" 0 >/dev/null
  ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$osd_uuid" 2>>"$BASE/log/osd-mkfs.log"
  ceph-osd -c "$CONF" -i 0 2>>"$BASE/log/osd-start.log"
  radosgw -c "$CONF" -n client.rgw.gw
  for _ in $(seq 1 240); do
    curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.5
  done
  curl -s -o /dev/null "http://127.0.0.1:$PORT/" || { echo "radosgw did not start; logs in $BASE/log" >&2; exit 1; }
  radosgw-admin -c "$CONF" user create --uid=chartvault --display-name=chartvault \
    --access-key="$AK" --secret-key="$SK" >/dev/null
  echo "http://127.0.0.1:$PORT $AK $SK"
}

adduser() {  # a further S3 user (no admin caps): adduser UID ACCESS_KEY SECRET_KEY
  radosgw-admin -c "$CONF" user create --uid="$1" --display-name="$1" \
    --access-key="$2" --secret-key="$3" >/dev/null
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  adduser) shift; adduser "$@" ;;
  *) echo "usage: $0 start|stop|adduser UID AK SK" >&2; exit 2 ;;
esac
