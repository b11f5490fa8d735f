#!/usr/bin/env bash
# build.sh: build an image from an Apptainer definition file the way
# `apptainer build` would, without Apptainer (which cannot be installed
# here). Run it, like apptainer build, in the directory the %files sources
# are relative to:
#   cd PROJECT && bash .../apptainer/build.sh apptainer/job.def OUT
# OUT (which must not exist yet) then holds
#   rootfs/         the image's root file system (run in it with exec.sh)
#   image.squashfs  that root as squashfs (mksquashfs)
#   image.sif       a SIF with the definition file and the squashfs partition
#
# Only single-stage "Bootstrap: docker" definitions "From: golang:X.Y-bookworm"
# are built: the image is a Debian 12 root from base-root.sh (cached) with
# the host's /usr/local/go, which must be Go X.Y, in its place and the
# golang image's ENV in /.singularity.d/env/10-docker2singularity.sh. Then,
# as Apptainer does: %files copied, %post run as written by /bin/sh -e -x
# inside the root (bubblewrap, as root, with the network), %environment
# written to /.singularity.d/env/90-environment.sh, %runscript to
# /.singularity.d/runscript, the definition to /.singularity.d/Singularity,
# and %test run inside the finished image. Downloaded .debs are kept in
# $CACHE/apt-archives for later builds. On failure OUT is removed again.
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: build.sh DEFFILE OUT" >&2
  exit 2
fi
def=$(realpath "$1")
out=$2
repo=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${MPICHAN_CONTAINER_CACHE:-/var/cache/mpichan-container}
export MPICHAN_CONTAINER_CACHE=$CACHE PATH=/usr/local/go/bin:$PATH

if [ "$(id -u)" != 0 ]; then echo "build.sh: must run as root (as apptainer build does without --fakeroot)" >&2; exit 1; fi
for tool in bwrap mksquashfs mmdebstrap; do
  command -v "$tool" >/dev/null || { echo "build.sh: $tool is missing: apt-get install bubblewrap squashfs-tools mmdebstrap" >&2; exit 1; }
done
if [ -e "$out" ]; then echo "build.sh: $out exists; give a new directory" >&2; exit 1; fi
mkdir -p "$out"
out=$(realpath "$out")
case $out in
  / | /usr* | /etc* | /bin* | /lib* | /var/lib*) echo "build.sh: refusing OUT=$out" >&2; exit 1 ;;
esac
# remove_out: on failure, delete what was made (guarded: never / or empty).
# step NAME: say that NAME starts, and how long the build has taken so far.
step() { echo "build.sh: $1 (at ${SECONDS}s)" >&2; }
remove_out() {
  [ -n "$out" ] && [ "$out" != / ] && [ -d "$out" ] && rm -rf --one-file-system -- "$out"
}
trap 'echo "build.sh: failed; removing $out" >&2; remove_out' EXIT

go -C "$repo" build -o "$out/defsection" ./cmd/mpichan-init/internal/defsection
part() { "$out/defsection" "$def" "$@"; }

bootstrap=$(part header bootstrap)
from=$(part header from)
want_go=${from#golang:}
want_go=${want_go%-bookworm}
if [ "$bootstrap" != docker ] || [ "$want_go" = "$from" ] || [ "golang:$want_go-bookworm" != "$from" ]; then
  echo "build.sh: $def: only Bootstrap: docker From: golang:X.Y-bookworm is built here, not $bootstrap $from" >&2
  false
fi
have_go=$(go env GOVERSION)
case $have_go in
  "go$want_go" | "go$want_go".*) ;;
  *) echo "build.sh: $from needs Go $want_go, and the host's /usr/local/go is $have_go" >&2; false ;;
esac

root=$out/rootfs
mkdir "$root"
step "base root for $from"
tar -C "$root" -xf "$(bash "$repo/apptainer/base-root.sh")"
cp -a /usr/local/go "$root/usr/local/go"
mkdir -p "$root/go/bin" "$root/go/src" "$root/.singularity.d/env" "$root/.singularity.d/actions"
# What the golang image's Dockerfile sets with ENV, as Apptainer records it.
cat >"$root/.singularity.d/env/10-docker2singularity.sh" <<ENV
#!/bin/sh
export PATH="/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
export GOLANG_VERSION="${have_go#go}"
export GOTOOLCHAIN="local"
export GOPATH="/go"
ENV
cat >"$root/.singularity.d/actions/exec" <<'ACTION'
#!/bin/sh
for script in /.singularity.d/env/*.sh; do
    if [ -f "$script" ]; then
        . "$script"
    fi
done
exec "$@"
ACTION
cat >"$root/.singularity.d/actions/run" <<'ACTION'
#!/bin/sh
for script in /.singularity.d/env/*.sh; do
    if [ -f "$script" ]; then
        . "$script"
    fi
done
exec /.singularity.d/runscript "$@"
ACTION
chmod 0755 "$root/.singularity.d/actions/exec" "$root/.singularity.d/actions/run"

step %files
while read -r src dst; do
  case $dst in
    */) mkdir -p "$root$dst" ;;
    *) mkdir -p "$(dirname "$root$dst")" ;;
  esac
  # Globs in SRC are expanded as Apptainer does; each match is copied.
  matches=$(compgen -G "$src") || { echo "build.sh: %files: $src matches nothing in $PWD" >&2; false; }
  while IFS= read -r m; do
    cp -rL --preserve=mode,timestamps -- "$m" "$root$dst"
  done <<<"$matches"
done < <(part files)

# in_root SCRIPT SHELL-FLAGS: run SCRIPT by /bin/sh inside the root being
# built, with the network and the image's docker environment (not
# %environment: Apptainer does not source it for %post).
in_root() {
  env -i HOME=/root TERM=dumb LANG=C.UTF-8 /usr/bin/bwrap \
    --bind "$root" / --dev /dev --proc /proc --perms 1777 --tmpfs /tmp \
    --ro-bind /etc/resolv.conf /etc/resolv.conf \
    --ro-bind "$1" /tmp/script.sh --chdir / \
    /bin/sh -c '. /.singularity.d/env/10-docker2singularity.sh && exec /bin/sh '"$2"' /tmp/script.sh'
}
# The .debs that earlier builds downloaded are put where apt finds them, and
# the ones %post downloads are kept for later builds (written under a
# temporary name and renamed: builds may run at once) and then removed from
# the image, as the debian image's docker-clean does.
debs=$CACHE/apt-archives
archives=$root/var/cache/apt/archives
part section post >"$out/post.sh"
if [ -s "$out/post.sh" ]; then
  step %post
  mkdir -p "$debs"
  find "$debs" -maxdepth 1 -name '*.deb' -exec cp -t "$archives" {} +
  in_root "$out/post.sh" "-e -x"
  find "$archives" -maxdepth 1 -name '*.deb' -printf '%f\n' | while read -r deb; do
    if [ ! -e "$debs/$deb" ]; then
      cp "$archives/$deb" "$debs/.$deb.partial" && mv "$debs/.$deb.partial" "$debs/$deb"
    fi
  done
  find "$archives" -maxdepth 1 -name '*.deb' -delete
fi

part section environment >"$root/.singularity.d/env/90-environment.sh"
{ echo '#!/bin/sh'; part section runscript; } >"$root/.singularity.d/runscript"
chmod 0755 "$root/.singularity.d/runscript" "$root/.singularity.d/env/90-environment.sh"
cp "$def" "$root/.singularity.d/Singularity"
# Mount points that exec.sh and Apptainer bind over.
mkdir -p "$root/proc" "$root/sys" "$root/dev" "$root/tmp"
touch "$root/etc/hosts" "$root/etc/resolv.conf"

part section test >"$out/test.sh"
if [ -s "$out/test.sh" ]; then
  step %test
  (cd / && bash "$repo/apptainer/exec.sh" "$root" /bin/sh -e -x /dev/stdin <"$out/test.sh")
fi

step mksquashfs
mksquashfs "$root" "$out/image.squashfs" -noappend -quiet -comp lz4 -processors 2 >&2
GOWORK=off go -C "$repo/apptainer/sif" build -o "$out/sif" .
"$out/sif" -def "$def" -squashfs "$out/image.squashfs" -o "$out/image.sif"
rm -f "$out/defsection" "$out/sif" "$out/post.sh" "$out/test.sh"
trap - EXIT
step "built $out/image.sif"
