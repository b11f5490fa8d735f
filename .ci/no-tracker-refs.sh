#!/usr/bin/env bash
# no-tracker-refs.sh: fails when a file of the repository other than
# CHANGELOG.md (tracked, or new and not ignored) refers to a tracker issue
# number or a numbered work session. Docs and comments say how things are
# now; history lives in git and CHANGELOG.md.
# Third-party modules vendored into templates/_vendor are upstream code,
# embedded as they are (the SDK's own copy there is checked).
# Run from anywhere inside the repository.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
pattern='session [0-9]|issue #?[0-9]'
hits=$(git ls-files -z --cached --others --exclude-standard |
	grep -zv -e '^CHANGELOG\.md$' |
	grep -zv -E '^templates/_vendor/' |
	xargs -0 grep -niE "$pattern" -- || true)
sdkcopy=$(git ls-files -z --cached --others --exclude-standard templates/_vendor/github.com/mpichan |
	xargs -0 -r grep -niE "$pattern" -- || true)
hits=$(printf '%s\n%s\n' "$hits" "$sdkcopy" | sed '/^$/d')
if [ -n "$hits" ]; then
	echo "no-tracker-refs: these lines name a tracker issue or a work session;"
	echo "say what the code or doc does now (history goes in CHANGELOG.md / git log):"
	echo "$hits"
	exit 1
fi
