#!/usr/bin/env bash
# The main job: bash scripts/demo.sh
# Installs what is missing (Node.js 20, npm dependencies), builds the SDK, then runs the quickstart
# example. Until local mode (OpenShell.local()) lands, the example talks to a loopback gateway.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$OPENSHELL_ROOT"
trap on_exit_report EXIT

example="examples/quickstart.mjs"

main() {
  step "system tools" ensure_system_tools
  step "node" ensure_node
  step "npm dependencies" ensure_npm_deps
  step "build" npm run --silent build
  CURRENT_STEP="quickstart"
  [[ -f "$example" ]] || die "$example does not exist yet: the quickstart example has not been written. See examples/README.md."
  log "node $example"
  node "$example"
  CURRENT_STEP="done"
}

main "$@"
