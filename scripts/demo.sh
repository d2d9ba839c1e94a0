#!/usr/bin/env bash
# The main job: bash scripts/demo.sh
# Local mode end to end on this machine, with no OpenShell gateway installed: installs what is
# missing (Node.js 20, npm dependencies, Docker or Podman), makes the images it needs in that engine
# (no image registry is needed: a busybox base image, a Debian one by debootstrap, and on it the A2A
# echo agent, on Debian's Node.js as a non-root user), builds the SDK, then runs two examples:
#   examples/local-quickstart.mjs  starts the embedded gateway through OpenShell.local(), builds
#     an image, creates a sandbox, execs in it, forwards a port to a server inside it, follows its
#     logs, deletes it, and prints each step's time;
#   examples/deploy-agent.mjs  deploys the echo agent the way an agent registry does, through the
#     agent-registry adapter (apply answers at once with Progressing; each condition change until
#     Ready, the agent answering), sends it a message and streams another over A2A, shows its last
#     log lines, and removes it.
#
# OPENSHELL_RUNTIME=podman bash scripts/demo.sh runs it on Podman instead; only the chosen engine
# is installed and used.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=scripts/engines.sh
source "$(dirname "${BASH_SOURCE[0]}")/engines.sh"
cd "$OPENSHELL_ROOT"
trap on_exit_report EXIT

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

# busybox for the quickstart's image; Debian for the agent image's build (debootstrap, about 30 s
# once per machine, cached outside the checkout like the tests' copy).
ensure_base_images() {
  mkdir -p "$OPENSHELL_IMAGE_CACHE" "$ENGINE_LOG_DIR"
  local busybox_tar="$OPENSHELL_IMAGE_CACHE/busybox-rootfs.tar"
  local debian_tar="$OPENSHELL_IMAGE_CACHE/debian-bookworm-minbase.tar"
  [[ -s "$busybox_tar" ]] || make_busybox_tar "$busybox_tar"
  [[ -s "$debian_tar" ]] || make_debian_tar "$debian_tar"
  import_image "$runtime" "$OPENSHELL_TEST_BUSYBOX_IMAGE" "$busybox_tar" /bin/sh
  import_image "$runtime" "$OPENSHELL_TEST_DEBIAN_IMAGE" "$debian_tar" /bin/bash
}

# $1 the example, then its arguments; the engine's socket is named for it as a user would.
run_example() {
  local endpoint_env=()
  if [[ "$runtime" == podman ]]; then
    endpoint_env=(CONTAINER_HOST="unix://${OPENSHELL_PODMAN_SOCKET_PATH}")
  else
    endpoint_env=(DOCKER_HOST="unix://${OPENSHELL_DOCKER_SOCKET}")
  fi
  log "node $* (runtime $runtime)"
  env "${endpoint_env[@]}" OPENSHELL_RUNTIME="$runtime" \
    OPENSHELL_DEMO_BASE_IMAGE="$OPENSHELL_TEST_BUSYBOX_IMAGE" node "$@"
}

main() {
  step "system tools" ensure_system_tools
  step "node" ensure_node
  step "container runtime ($runtime)" ensure_runtime
  step "base images" ensure_base_images
  step "npm dependencies" ensure_npm_deps
  # Only in the demo's engine: the tests load it into both, the demo may have only one installed.
  step "agent image" ensure_a2a_agent_image "$runtime"
  step "build" npm run --silent build
  CURRENT_STEP="local quickstart"
  run_example examples/local-quickstart.mjs
  CURRENT_STEP="deploy an agent"
  run_example examples/deploy-agent.mjs "$OPENSHELL_TEST_A2A_AGENT_IMAGE"
  CURRENT_STEP="done"
}

main "$@"
