#!/bin/bash
# Entrypoint of kubegrade's stand-in for gcr.io/google-samples/cassandra:v13: Apache
# Cassandra 5.0 (jars from Maven Central) on Debian's Java 17, configured from the same
# environment variables the original image reads. Everything it decides is printed
# first, so `kubectl logs` tells a student which seeds, addresses and heap it used.
set -euo pipefail

CONF=/etc/cassandra
mkdir -p "$CONF"

POD_IP="${POD_IP:-}"
if [[ -z "$POD_IP" ]]; then
  POD_IP="$(hostname -i | awk '{print $1}')"
  echo "kubegrade-cassandra: POD_IP is not set; using $POD_IP from hostname -i"
fi
CASSANDRA_LISTEN_ADDRESS="${CASSANDRA_LISTEN_ADDRESS:-$POD_IP}"
CASSANDRA_BROADCAST_ADDRESS="${CASSANDRA_BROADCAST_ADDRESS:-$POD_IP}"
CASSANDRA_BROADCAST_RPC_ADDRESS="${CASSANDRA_BROADCAST_RPC_ADDRESS:-$POD_IP}"
CASSANDRA_RPC_ADDRESS="${CASSANDRA_RPC_ADDRESS:-0.0.0.0}"
CASSANDRA_CLUSTER_NAME="${CASSANDRA_CLUSTER_NAME:-Test Cluster}"
CASSANDRA_NUM_TOKENS="${CASSANDRA_NUM_TOKENS:-32}"
CASSANDRA_DATA_DIR="${CASSANDRA_DATA_DIR:-/cassandra_data/data}"
CASSANDRA_COMMITLOG_DIR="${CASSANDRA_COMMITLOG_DIR:-/cassandra_data/commitlog}"
CASSANDRA_AUTO_BOOTSTRAP="${CASSANDRA_AUTO_BOOTSTRAP:-true}"
# The original's default is 30 s; a fresh test ring with no data needs far less.
CASSANDRA_RING_DELAY="${CASSANDRA_RING_DELAY:-5000}"
CASSANDRA_ENDPOINT_SNITCH="${CASSANDRA_ENDPOINT_SNITCH:-SimpleSnitch}"
MAX_HEAP_SIZE="${MAX_HEAP_SIZE:-512M}"
HEAP_NEWSIZE="${HEAP_NEWSIZE:-100M}"

# As in the original: a datacenter and a rack switch to the gossiping snitch.
if [[ -n "${CASSANDRA_DC:-}" && -n "${CASSANDRA_RACK:-}" ]]; then
  printf 'dc=%s\nrack=%s\n' "$CASSANDRA_DC" "$CASSANDRA_RACK" > "$CONF/cassandra-rackdc.properties"
  CASSANDRA_ENDPOINT_SNITCH="GossipingPropertyFileSnitch"
fi

# Seeds: CASSANDRA_SEEDS, comma-separated names or addresses, resolved through the
# cluster's DNS. A seed that names this very pod (cassandra-0.cassandra on cassandra-0)
# is this pod's own address: its DNS record appears only once the pod is Ready, and a
# node must be able to start as its own seed.
FQDN="$(hostname -f 2>/dev/null || hostname)"
SHORT="$(hostname)"
is_self() {
  local seed="${1%.}" name="$FQDN"
  [[ "$seed" == "$SHORT" || "$seed" == "$POD_IP" || "$seed" == "$CASSANDRA_BROADCAST_ADDRESS" ]] && return 0
  while [[ "$name" == *.* ]]; do
    [[ "$seed" == "$name" ]] && return 0
    name="${name%.*}"
  done
  return 1
}
SEEDS_IN="${CASSANDRA_SEEDS:-$CASSANDRA_BROADCAST_ADDRESS}"
SEEDS=()
UNRESOLVED=()
IFS=',' read -ra SEED_LIST <<< "$SEEDS_IN"
for raw in "${SEED_LIST[@]}"; do
  seed="$(echo "$raw" | tr -d '[:space:]')"
  [[ -z "$seed" ]] && continue
  if is_self "$seed"; then
    SEEDS+=("$CASSANDRA_BROADCAST_ADDRESS")
    echo "kubegrade-cassandra: seed $seed is this pod ($CASSANDRA_BROADCAST_ADDRESS)"
  elif address="$(getent hosts "$seed" | awk '{print $1; exit}')" && [[ -n "$address" ]]; then
    SEEDS+=("$seed")
    echo "kubegrade-cassandra: seed $seed resolves to $address"
  else
    UNRESOLVED+=("$seed")
    echo "kubegrade-cassandra: seed $seed does not resolve"
  fi
done
if [[ ${#SEEDS[@]} -eq 0 ]]; then
  echo "kubegrade-cassandra: no seed in CASSANDRA_SEEDS=\"$SEEDS_IN\" resolves through DNS (${UNRESOLVED[*]:-empty})." >&2
  echo "kubegrade-cassandra: a seed is a pod's DNS name, <pod>.<headless service>, such as cassandra-0.cassandra; it resolves once that pod is Ready." >&2
  exit 1
fi
SEEDS_CSV="$(IFS=','; echo "${SEEDS[*]}")"

for dir in "$CASSANDRA_DATA_DIR" "$CASSANDRA_COMMITLOG_DIR" /cassandra_data/hints /cassandra_data/saved_caches /cassandra_data/cdc_raw; do
  mkdir -p "$dir"
done

cat > "$CONF/cassandra.yaml" <<YAML
cluster_name: '${CASSANDRA_CLUSTER_NAME//\'/\'\'}'
num_tokens: ${CASSANDRA_NUM_TOKENS}
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
auto_bootstrap: ${CASSANDRA_AUTO_BOOTSTRAP}
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "${SEEDS_CSV}"
listen_address: ${CASSANDRA_LISTEN_ADDRESS}
broadcast_address: ${CASSANDRA_BROADCAST_ADDRESS}
rpc_address: ${CASSANDRA_RPC_ADDRESS}
broadcast_rpc_address: ${CASSANDRA_BROADCAST_RPC_ADDRESS}
endpoint_snitch: ${CASSANDRA_ENDPOINT_SNITCH}
storage_port: 7000
ssl_storage_port: 7001
native_transport_port: 9042
start_native_transport: true
data_file_directories:
  - ${CASSANDRA_DATA_DIR}
commitlog_directory: ${CASSANDRA_COMMITLOG_DIR}
hints_directory: /cassandra_data/hints
saved_caches_directory: /cassandra_data/saved_caches
cdc_raw_directory: /cassandra_data/cdc_raw
commitlog_sync: periodic
commitlog_sync_period: 10000ms
commitlog_segment_size: 8MiB
disk_access_mode: mmap_index_only
# Bounded caches and pools: three nodes share one small machine under a 1 GiB limit each.
file_cache_size: 16MiB
key_cache_size: 8MiB
counter_cache_size: 0MiB
networking_cache_size: 8MiB
concurrent_reads: 4
concurrent_writes: 4
concurrent_counter_writes: 2
concurrent_compactors: 1
memtable_heap_space: 64MiB
memtable_offheap_space: 16MiB
memtable_allocation_type: heap_buffers
native_transport_max_threads: 16
authenticator: AllowAllAuthenticator
authorizer: AllowAllAuthorizer
dynamic_snitch: true
YAML

. /usr/share/cassandra/java-env.sh
LIB=$CASSANDRA_LIB
mapfile -t CDS < <(cds_options /usr/share/cassandra/server.jsa)
JVM_OPTS=(
  "-Xms${MAX_HEAP_SIZE}" "-Xmx${MAX_HEAP_SIZE}" "-Xmn${HEAP_NEWSIZE}"
  "${CDS[@]}"
  -XX:+AlwaysPreTouch -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=48m
  -XX:MaxMetaspaceSize=192m -XX:CompressedClassSpaceSize=48m -XX:MaxDirectMemorySize=96m -Xss256k
  -XX:+ExitOnOutOfMemoryError -XX:-UsePerfData
  "-javaagent:$LIB/jamm-0.4.0.jar"
  @/etc/cassandra/jvm17.options
  -Dcassandra.jmx.local.port=7199
  "-Dcassandra.ring_delay_ms=${CASSANDRA_RING_DELAY}"
  # Cassandra's estimate of a memtable row's size, from 100 000 rows built at start-up by
  # default (3.4 s of a start under 500m); 100 rows, as Cassandra's own test runs use.
  -Dcassandra.memtable_row_overhead_computation_step=100
  -Dcassandra.skip_wait_for_gossip_to_settle=0
  -Dcassandra.config=file://$CONF/cassandra.yaml
  -Dcassandra-rackdc.properties=file://$CONF/cassandra-rackdc.properties
  -Dcassandra.storagedir=/cassandra_data
  -Dlogback.configurationFile=$CONF/logback.xml
  -Dcassandra.logdir=/var/log/cassandra
  -Dcassandra-foreground=yes
)
# glibc's per-thread arenas would otherwise grow native memory far past the heap.
export MALLOC_ARENA_MAX=2

echo "kubegrade-cassandra: cluster '$CASSANDRA_CLUSTER_NAME', snitch $CASSANDRA_ENDPOINT_SNITCH${CASSANDRA_DC:+, dc $CASSANDRA_DC, rack ${CASSANDRA_RACK}}, seeds $SEEDS_CSV, listen $CASSANDRA_LISTEN_ADDRESS, heap $MAX_HEAP_SIZE (new $HEAP_NEWSIZE)"
exec "$JAVA_HOME/bin/java" "${JVM_OPTS[@]}" -cp "$(class_path):$CONF" org.apache.cassandra.service.CassandraDaemon
