#!/usr/bin/env bash
# Regenerates src/gen from proto/ and fails if the checked-in code differs: generated code is
# committed, so a proto edit without `npm run generate` (or a hand edit under src/gen) must not pass.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PATH="$PWD/node_modules/.bin:$PATH" buf generate

changed=0
if ! git diff --quiet --exit-code -- src/gen; then
  echo "check:gen: src/gen differs from what proto/ generates:" >&2
  git --no-pager diff --stat -- src/gen >&2
  changed=1
fi
untracked="$(git ls-files --others --exclude-standard -- src/gen)"
if [[ -n "$untracked" ]]; then
  echo "check:gen: generation produced files that are not committed:" >&2
  printf '  %s\n' $untracked >&2
  changed=1
fi
if [[ "$changed" -ne 0 ]]; then
  echo "check:gen: FAILED. Run 'npm run generate' and commit src/gen together with the proto change." >&2
  exit 1
fi
echo "check:gen: src/gen is up to date with proto/"
