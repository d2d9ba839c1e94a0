#!/usr/bin/env bash
# The main job: bash scripts/demo.sh
# Installs what is missing (Node.js 20, npm dependencies), builds the SDK, starts a gateway on
# 127.0.0.1 with mTLS, registers it the way the openshell CLI does (in a temporary config root), and
# runs examples/quickstart.mjs against it through plain OpenShell.connect().
# Until local mode (OpenShell.local()) lands, that gateway is the scripted test gateway, whose
# sandboxes are host processes rather than containers.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$OPENSHELL_ROOT"

example="examples/quickstart.mjs"
work="$(mktemp -d -t openshell-demo-XXXXXX)"
gateway_pid=""

cleanup() {
  local rc=$?
  if [[ -n "$gateway_pid" ]] && kill -0 "$gateway_pid" 2>/dev/null; then
    kill -TERM "$gateway_pid" 2>/dev/null || true
    wait "$gateway_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
  on_exit_report_rc "$rc"
}
trap cleanup EXIT

start_gateway() {
  # Built inside the checkout so that it resolves the project's node_modules.
  npx tsup scripts/demo/loopback-gateway.ts --no-config --format esm --target node20 \
    --out-dir .tmp/demo-gateway --silent
  local config_root="$work/config/openshell"
  node .tmp/demo-gateway/loopback-gateway.js "$config_root" >"$work/gateway.log" 2>&1 &
  gateway_pid=$!
  for _ in $(seq 1 100); do
    if grep -q '^ready ' "$work/gateway.log"; then
      echo "gateway: $(grep '^ready ' "$work/gateway.log" | cut -d' ' -f2) (registered as \"demo\" in $config_root)"
      return 0
    fi
    kill -0 "$gateway_pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$work/gateway.log" >&2
  die "the loopback gateway did not start"
}

main() {
  step "system tools" ensure_system_tools
  step "node" ensure_node
  step "npm dependencies" ensure_npm_deps
  step "build" npm run --silent build
  step "loopback gateway (mTLS)" start_gateway
  CURRENT_STEP="quickstart"
  log "node $example"
  XDG_CONFIG_HOME="$work/config" OPENSHELL_SYSTEM_GATEWAY_DIR="$work/no-system" node "$example"
  CURRENT_STEP="done"
}

main "$@"
