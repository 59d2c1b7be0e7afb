#!/bin/bash
# Ready when this node's own line in `nodetool status` says UN (Up, Normal), as in the
# original image.
ip="${POD_IP:-$(hostname -i | awk '{print $1}')}"
if nodetool status 2>/dev/null | grep -E "^UN +${ip//./\\.} " >/dev/null; then
  [[ -n "${DEBUG:-}" ]] && echo "UN"
  exit 0
fi
[[ -n "${DEBUG:-}" ]] && echo "Not Up"
exit 1
