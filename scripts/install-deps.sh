#!/bin/sh
# Installs the Debian packages listed in scripts/deps.txt that are missing.
# Idempotent: does nothing (and needs no network) when all are present.
# Services must not start on install: a temporary policy-rc.d prevents it.
set -eu
here=$(dirname "$0")
missing=""
for p in $(grep -v '^#' "$here/deps.txt" | grep -v '^$'); do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing:$missing" >&2
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: not root; run: sudo apt-get install -y$missing" >&2
	exit 1
fi
created_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	created_policy=1
fi
mkdir -p /etc/postgresql-common/createcluster.d
echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/50-no-main-cluster.conf
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
if ! apt-get install -y --no-install-recommends $missing; then
	apt-get update -qq || apt-get update -qq
	apt-get install -y --no-install-recommends $missing
fi
[ "$created_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
exit 0
