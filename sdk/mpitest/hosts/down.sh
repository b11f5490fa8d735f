#!/usr/bin/env bash
# down.sh: remove the test hosts that up.sh made (same HOSTS_PREFIX), and
# only those. Processes still inside them are named, then the namespace goes.
P=${HOSTS_PREFIX:-mpichan}
DIR=${HOSTS_DIR:-/tmp/$P-hosts}
for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$P-(br|h[0-9]+)$"); do
	pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
	[ -n "$pids" ] && echo "down.sh: processes still in $ns: $pids" >&2
	ip netns del "$ns"
	rm -rf "/etc/netns/$ns"
done
rmdir /etc/netns 2>/dev/null || true
rm -rf "$DIR"
echo "down.sh: test hosts $P-* removed"
