#!/usr/bin/env bash
# Local mode on a Mac's Apple `container` CLI, end to end, with a short report to paste back:
#
#   bash scripts/macos-acceptance.sh
#
# Run it from a checkout on macOS 26 or later on Apple silicon, with Apple's `container` CLI
# installed and its system service started (`container system start`) and Node.js 20.3 or newer.
# It installs the npm dependencies and builds the SDK when needed, then runs
# scripts/macos-acceptance.mjs, which starts OpenShell.local({ runtime: "apple-container" }) and
# checks the quickstart (create, ready, exec, logs), the policy refusals, a forwarded HTTP server and
# the cleanup, and prints one line per check and a report between two markers.
#
# Exit codes: 0 every check passed; 1 a check failed (the report says which); 2 this machine cannot
# run the checks (not macOS, no `container` CLI, its service not running, Node too old).
# OPENSHELL_ACCEPTANCE_IMAGE picks the image (default docker.io/library/busybox:1.36, pulled once).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

refuse() {
  echo "macos-acceptance: $*" >&2
  echo "macos-acceptance: nothing was run. This check is for macOS with Apple's container CLI; on Linux, \`bash scripts/test.sh\` runs the suite on Docker and Podman." >&2
  exit 2
}

[ "$(uname -s)" = "Darwin" ] || refuse "this machine runs $(uname -s), not macOS: Apple's container CLI exists only on macOS (26 or later, Apple silicon)."
[ "$(uname -m)" = "arm64" ] || refuse "this Mac is $(uname -m): Apple's container CLI needs Apple silicon (arm64)."
command -v container >/dev/null 2>&1 ||
  refuse "the \`container\` command is not on PATH: install Apple's container CLI (its signed installer package from the apple/container releases), then run \`container system start\`."
container system status >/dev/null 2>&1 ||
  refuse "Apple's container service is not running (\`container system status\` failed): start it with \`container system start\`, then run this again."
command -v node >/dev/null 2>&1 || refuse "Node.js is not on PATH: install Node.js 20.3 or newer."
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=3)?0:1)' ||
  refuse "Node.js $(node --version) is too old: the SDK needs 20.3 or newer."

if [ ! -d node_modules ]; then
  echo "installing npm dependencies (npm ci)..."
  npm ci --no-audit --no-fund >/dev/null
fi
if [ ! -f dist/index.js ] || [ -n "$(find src -newer dist/index.js -name '*.ts' -print -quit)" ]; then
  echo "building the SDK (npm run build)..."
  npm run build >/dev/null
fi

exec node scripts/macos-acceptance.mjs
