#!/usr/bin/env bash
# The main job: bash scripts/demo.sh
# Local mode end to end on this machine, with no OpenShell gateway installed: installs what is
# missing (Node.js 20, npm dependencies, Docker), imports a small busybox base image (no image
# registry is needed), builds the SDK, and runs examples/local-quickstart.mjs, which starts the
# embedded gateway through OpenShell.local(), builds an image, creates a sandbox, execs in it,
# forwards a port to a server inside it, follows its logs, deletes it, and prints each step's time.
#
# OPENSHELL_RUNTIME=podman bash scripts/demo.sh runs it on Podman instead.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=scripts/engines.sh
source "$(dirname "${BASH_SOURCE[0]}")/engines.sh"
cd "$OPENSHELL_ROOT"

example="examples/local-quickstart.mjs"
runtime="${OPENSHELL_RUNTIME:-docker}"

ensure_runtime() {
  have curl || apt_install curl
  have pgrep || apt_install procps
  case "$runtime" in
    docker) ensure_docker ;;
    podman) ensure_podman ;;
    *) die "OPENSHELL_RUNTIME=$runtime: the demo installs docker or podman; pick one of those" ;;
  esac
}

ensure_base_image() {
  mkdir -p "$OPENSHELL_IMAGE_CACHE" "$ENGINE_LOG_DIR"
  local tarball="$OPENSHELL_IMAGE_CACHE/busybox-rootfs.tar"
  [[ -s "$tarball" ]] || make_busybox_tar "$tarball"
  import_image "$runtime" "$OPENSHELL_TEST_BUSYBOX_IMAGE" "$tarball" /bin/sh
}

main() {
  step "system tools" ensure_system_tools
  step "node" ensure_node
  step "container runtime ($runtime)" ensure_runtime
  step "base image" ensure_base_image
  step "npm dependencies" ensure_npm_deps
  step "build" npm run --silent build
  CURRENT_STEP="local quickstart"
  log "node $example (runtime $runtime)"
  local endpoint_env=()
  if [[ "$runtime" == podman ]]; then
    endpoint_env=(CONTAINER_HOST="unix://${OPENSHELL_PODMAN_SOCKET_PATH}")
  else
    endpoint_env=(DOCKER_HOST="unix://${OPENSHELL_DOCKER_SOCKET}")
  fi
  env "${endpoint_env[@]}" OPENSHELL_RUNTIME="$runtime" \
    OPENSHELL_DEMO_BASE_IMAGE="$OPENSHELL_TEST_BUSYBOX_IMAGE" node "$example"
  CURRENT_STEP="done"
}

main "$@"
