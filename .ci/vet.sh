#!/usr/bin/env bash
# make vet: gofmt, goimports, go vet and staticcheck on every module of the
# workspace and on a project generated from every built-in template. The
# tools' versions are pinned by the `tool` lines of the root go.mod.
# Also no-tracker-refs.sh. VET_TEMPLATES=0 skips the generated projects
# (make check does, for time).
# Needs CGO_CFLAGS/CGO_LDFLAGS for MPI (the Makefile sets them).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/bin/" golang.org/x/tools/cmd/goimports honnef.co/go/tools/cmd/staticcheck
PATH=$work/bin:$PATH
failed=0

# check DIR: the four checks on the Go module in DIR.
check() {
	local dir=$1 out
	# templates/_bundle is the generated module bundle: upstream code, embedded as it is.
	out=$(cd "$dir" && { gofmt -l .; goimports -l .; } | { grep -v '^templates/_bundle' || true; } | sort -u)
	if [ -n "$out" ]; then
		echo "vet: $dir: files not formatted (run gofmt -w / goimports -w):"
		echo "$out"
		failed=1
	fi
	(cd "$dir" && go vet ./... && staticcheck ./...) || failed=1
}

for m in sdk examples .; do
	echo "== vet $m"
	check "$m"
done

# Its own module (the SIF library is needed nowhere else).
echo "== vet apptainer/sif"
GOWORK=off check apptainer/sif

echo "== no tracker issue numbers or work sessions"
bash .ci/no-tracker-refs.sh || failed=1

[ "${VET_TEMPLATES:-1}" = 0 ] && exit "$failed"
# The templates of the module bundle too (make vet makes it first).
go build -o "$work/bin/mpichan-init" ./cmd/mpichan-init
for name in $(mpichan-init list | cut -d' ' -f1); do
	echo "== vet template $name"
	mpichan-init new --template "$name" --sdk-path "$root/sdk" "$work/$name" >/dev/null
	(cd "$work/$name" && GOWORK=off GOFLAGS=-mod=mod go mod tidy) || { failed=1; continue; }
	GOWORK=off check "$work/$name"
done
exit "$failed"
