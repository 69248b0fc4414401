#!/bin/sh
# Installs Latch from this unpacked kit, with no network: checks SHA256SUMS, creates the `latch`
# system user, copies the kit to /opt/latch/<kit> (and points /opt/latch/current at it), links
# /usr/local/bin/latch, creates /etc/latch (the example configuration and latch.env, kept if present)
# and /var/lib/latch, and installs the systemd unit (not started: see the last lines it prints).
# Run as root from the kit's directory: sudo ./install.sh
# LATCH_INSTALL_ROOT=<dir> installs under <dir> instead of / (no user is created; for a look first).
set -eu
kit=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
name=$(basename "$kit")
dest=${LATCH_INSTALL_ROOT:-}
[ "$dest" = / ] && dest=
say() { printf 'install: %s\n' "$*"; }

if [ -z "$dest" ] && [ "$(id -u)" != 0 ]; then
  say 'run as root (sudo ./install.sh), or set LATCH_INSTALL_ROOT to install under a directory of your own' >&2
  exit 1
fi

say "checking $name against SHA256SUMS"
(cd "$kit" && sha256sum --quiet --strict -c SHA256SUMS) || { say 'the kit does not match SHA256SUMS: not installing' >&2; exit 1; }

if [ -z "$dest" ] && ! id latch >/dev/null 2>&1; then
  say 'creating the system user latch'
  useradd --system --user-group --home-dir /var/lib/latch --no-create-home --shell /usr/sbin/nologin latch
fi
owner() { if [ -z "$dest" ]; then chown "$@"; fi; }

mkdir -p "$dest/opt/latch"
if [ -e "$dest/opt/latch/$name" ]; then
  say "$dest/opt/latch/$name exists: replacing it"
  rm -rf "$dest/opt/latch/$name"
fi
cp -a "$kit" "$dest/opt/latch/$name.partial"
mv "$dest/opt/latch/$name.partial" "$dest/opt/latch/$name"
ln -sfn "$name" "$dest/opt/latch/current"
mkdir -p "$dest/usr/local/bin"
ln -sfn /opt/latch/current/bin/latch "$dest/usr/local/bin/latch"

mkdir -p "$dest/etc/latch"
if [ -z "$(ls -A "$dest/etc/latch" 2>/dev/null | grep -v '^latch.env$' || true)" ]; then
  say "copying the example configuration to $dest/etc/latch"
  cp -R "$kit/config/." "$dest/etc/latch/"
fi
if [ ! -e "$dest/etc/latch/latch.env" ]; then
  cp "$kit/deploy/latch.env.example" "$dest/etc/latch/latch.env"
  chmod 640 "$dest/etc/latch/latch.env"
  owner root:latch "$dest/etc/latch/latch.env"
fi
mkdir -p "$dest/var/lib/latch"
chmod 750 "$dest/var/lib/latch"
owner latch:latch "$dest/var/lib/latch"

mkdir -p "$dest/etc/systemd/system"
cp "$kit/deploy/latch.service" "$dest/etc/systemd/system/latch.service"
if [ -z "$dest" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi

say "installed $name in $dest/opt/latch/current"
say "next: edit $dest/etc/latch/latch.env, then: systemctl enable --now latch"
say "      (PostgreSQL: sudo -u latch latch migrate first; embedded: nothing else)"
