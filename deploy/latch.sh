#!/bin/sh
# bin/latch of the install kit: runs the Latch CLI on the kit's own Node.js (nothing else needed on
# the host). Settings come from the environment; those not set there are read from
# ${LATCH_ENV_FILE:-/etc/latch/latch.env} (KEY=value lines, as the systemd unit reads them).
set -eu
here=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
env_file=${LATCH_ENV_FILE:-/etc/latch/latch.env}
if [ -r "$env_file" ]; then
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in '' | '#'*) continue ;; esac
    key=${line%%=*}
    case $key in '' | *[!A-Za-z0-9_]* | [0-9]*) continue ;; esac
    eval "set_already=\${$key+yes}"
    [ -n "$set_already" ] || export "$key=${line#*=}"
  done <"$env_file"
fi
: "${LATCH_CONFIG_DIR:=$here/config}"
export LATCH_CONFIG_DIR
# Plugins are started as `node …`: the kit's Node.js comes first.
PATH="$here/node/bin:$PATH"
export PATH
exec "$here/node/bin/node" "$here/packages/server/dist/cli/main.js" "$@"
