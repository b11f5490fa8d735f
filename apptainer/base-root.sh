#!/usr/bin/env bash
# base-root.sh: print the path of a tarball of the Debian 12 root that
# stands in for the docker image golang:1.26-bookworm (what the definition
# files' "From:" names), making it with mmdebstrap when the cache lacks it.
#
# The packages are those the golang image has over debian:bookworm
# (buildpack-deps:bookworm-scm, then gcc, libc6-dev, make, pkg-config); Go
# itself is not in the tarball: build.sh copies the host's /usr/local/go.
# The tarball is cached in $MPICHAN_CONTAINER_CACHE (default
# /var/cache/mpichan-container),
# named by a hash of the suite, mirrors and package list, so a changed list
# makes a new one. It is written under a temporary name and renamed, so a
# cache file is always whole.
#   bash apptainer/base-root.sh   ->  /var/cache/mpichan-container/bookworm-<hash>.tar
set -euo pipefail

CACHE=${MPICHAN_CONTAINER_CACHE:-/var/cache/mpichan-container}
SUITE=bookworm
MIRRORS=(
  "deb http://deb.debian.org/debian bookworm main"
  "deb http://deb.debian.org/debian bookworm-updates main"
  "deb http://deb.debian.org/debian-security bookworm-security main"
)
PACKAGES=ca-certificates,curl,gnupg,netbase,wget,git,openssh-client,procps,g++,gcc,libc6-dev,make,pkg-config
# dpkg without fsync, as the debian:bookworm image has it (docker-apt-speedup).
OPTIONS=(--variant=minbase --dpkgopt=force-unsafe-io)

key=$(printf '%s\n' "$SUITE" "${MIRRORS[@]}" "$PACKAGES" "${OPTIONS[@]}" | sha256sum | cut -c1-16)
tarball=$CACHE/$SUITE-$key.tar
if [ -s "$tarball" ]; then
  echo "$tarball"
  exit 0
fi
command -v mmdebstrap >/dev/null || {
  echo "base-root: mmdebstrap is missing: apt-get install mmdebstrap" >&2
  exit 1
}
mkdir -p "$CACHE"
partial=$(mktemp "$CACHE/.$SUITE-$key.XXXXXX.tar")
trap 'rm -f "$partial"' EXIT
echo "base-root: making $tarball with mmdebstrap (cached afterwards)" >&2
mmdebstrap --quiet "${OPTIONS[@]}" --include="$PACKAGES" \
  "$SUITE" "$partial" "${MIRRORS[@]}" >&2
mv "$partial" "$tarball"
trap - EXIT
echo "$tarball"
