#!/bin/bash
# Run once while the image is built (its Dockerfile's RUN): writes the class-data sharing
# archives of the image's three JVMs (see java-env.sh). It starts this image's Cassandra as
# a one-node ring, runs nodetool and kubegrade-cql against it, and stops it; each JVM,
# started with KUBEGRADE_CDS_DUMP=1, writes the classes it loaded to its archive as it
# exits. Nothing of the run stays in the image but the archives.
set -euo pipefail
log=/tmp/cds-server.log
fail() {
  echo "kubegrade-cds-archives: $*" >&2
  tail -n 40 "$log" >&2 || true
  exit 1
}

coproc SERVER { KUBEGRADE_CDS_DUMP=1 exec /run.sh 2>&1; }
server=$SERVER_PID
started=""
# Each line as the server writes it; no line for 300 s, or the server gone, is a failure.
while IFS= read -r -t 300 line <&"${SERVER[0]}"; do
  printf '%s\n' "$line" >>"$log"
  if [[ "$line" == *"Startup complete"* ]]; then started=1; break; fi
done
[[ -n "$started" ]] || fail "the server did not start"
cat <&"${SERVER[0]}" >>"$log" &
drain=$!

ip="$(hostname -i | awk '{print $1}')"
KUBEGRADE_CDS_DUMP=1 nodetool status >/dev/null || fail "nodetool status failed"
KUBEGRADE_CDS_DUMP=1 kubegrade-cql --host "$ip" --consistency ONE "SELECT release_version FROM system.local" >/dev/null ||
  fail "kubegrade-cql failed"

kill -TERM "$server"
wait "$server" || true
wait "$drain" || true
for archive in server nodetool kubegrade-cql; do
  [[ -s "/usr/share/cassandra/$archive.jsa" ]] || fail "no archive /usr/share/cassandra/$archive.jsa was written"
done
rm -rf /cassandra_data/* /var/log/cassandra/* /tmp/* /etc/cassandra/cassandra.yaml /etc/cassandra/cassandra-rackdc.properties
