#!/bin/bash
# Ready when this node's own line in `nodetool status` says UN (Up, Normal), as in the
# original image. Cassandra opens its CQL port (9042) only once the node is Normal, so
# until then the answer is "not ready" without starting nodetool's JVM, which would take
# CPU from the starting node inside the same limit.
ip="${POD_IP:-$(hostname -i | awk '{print $1}')}"
not_ready() {
  [[ -n "${DEBUG:-}" ]] && echo "Not Up${1:+: $1}"
  exit 1
}
# 2352 is 9042 in hex; 0A is LISTEN.
grep -qE '^ *[0-9]+: [0-9A-F]+:2352 [0-9A-F]+:[0-9A-F]+ 0A ' /proc/net/tcp /proc/net/tcp6 2>/dev/null || not_ready "CQL port closed"
nodetool status 2>/dev/null | grep -qE "^UN +${ip//./\\.} " || not_ready
[[ -n "${DEBUG:-}" ]] && echo "UN"
exit 0
