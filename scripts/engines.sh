# shellcheck shell=bash
# Container engines and test images for the integration and e2e tests. Source it (scripts/test.sh
# does); `bash scripts/engines.sh` also runs it on its own.
#
# Idempotent like the rest of lib.sh: an engine that already answers is reused as it is; one that
# is installed but stopped is started; one that is missing is installed from Debian's packages.
# No image registry is reachable from these machines, so the test images are made here from Debian
# packages (busybox-static, debootstrap) and imported into each engine, once per machine.
#
# Exports what the tests read:
#   OPENSHELL_TEST_DOCKER_HOST   unix socket of the Docker engine
#   OPENSHELL_TEST_PODMAN_HOST   unix socket of the Podman API service
#   OPENSHELL_TEST_BUSYBOX_IMAGE, OPENSHELL_TEST_DEBIAN_IMAGE
#   OPENSHELL_TEST_CURL_IMAGE     Debian with curl and CA certificates (egress tests)
#   OPENSHELL_TEST_SANDBOX_IMAGE  the busybox rootfs with a non-root USER (1000:1000) and WORKDIR
#                                 /sandbox, as local-mode sandboxes need (the gateway refuses root)
#   OPENSHELL_TEST_REGISTRY      host:port of a local plain-http registry (for real pulls)
#   OPENSHELL_TEST_A2A_AGENT_IMAGE  the A2A echo agent (test/support/a2a-agent) on Debian's Node.js,
#                                 user sandbox, listening on 8080 with the command given

OPENSHELL_DOCKER_SOCKET="${OPENSHELL_DOCKER_SOCKET:-/var/run/docker.sock}"
OPENSHELL_PODMAN_SOCKET_PATH="${OPENSHELL_PODMAN_SOCKET_PATH:-/run/podman/podman.sock}"
OPENSHELL_TEST_BUSYBOX_IMAGE="${OPENSHELL_TEST_BUSYBOX_IMAGE:-openshell-test/busybox:1}"
OPENSHELL_TEST_DEBIAN_IMAGE="${OPENSHELL_TEST_DEBIAN_IMAGE:-openshell-test/debian:bookworm}"
OPENSHELL_TEST_SANDBOX_IMAGE="${OPENSHELL_TEST_SANDBOX_IMAGE:-openshell-test/sandbox:1}"
OPENSHELL_TEST_CURL_IMAGE="${OPENSHELL_TEST_CURL_IMAGE:-openshell-test/curl:1}"
# The debootstrap tarball is the slow part (about 25 s and 200 MB); keep it outside the checkout so
# every clone on the machine shares it.
OPENSHELL_IMAGE_CACHE="${OPENSHELL_IMAGE_CACHE:-/var/cache/openshell-test}"
ENGINE_LOG_DIR="${ENGINE_LOG_DIR:-/var/log/openshell-test}"

# Waits until "$@" succeeds, up to $1 seconds. Returns 1 on timeout.
wait_for() {
  local seconds=$1
  shift
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then return 1; fi
    sleep 0.5
  done
}

docker_answers() { docker -H "unix://${OPENSHELL_DOCKER_SOCKET}" info --format '{{.ServerVersion}}'; }
podman_answers() { curl -fsS --max-time 3 --unix-socket "$OPENSHELL_PODMAN_SOCKET_PATH" http://d/_ping; }

# A running dockerd whose default bridge is gone (another dockerd started with --bridge=none deletes
# docker0) answers pings but cannot start a container on its default network; only a restart brings
# the bridge back.
docker_bridge_missing() {
  have ip || return 1
  local bridge
  bridge="$(docker -H "unix://${OPENSHELL_DOCKER_SOCKET}" network inspect bridge \
    --format '{{index .Options "com.docker.network.bridge.name"}}' 2>/dev/null)" || return 1
  [[ -n "$bridge" ]] && ! ip link show "$bridge" >/dev/null 2>&1
}

ensure_docker() {
  if docker_answers >/dev/null 2>&1 && docker_bridge_missing && is_root; then
    warn "docker: the engine's default bridge is gone; restarting dockerd to bring it back"
    pkill -x dockerd || true
    wait_for 30 bash -c '! pgrep -x dockerd >/dev/null' || die "dockerd did not stop within 30 s"
  fi
  if docker_answers >/dev/null 2>&1; then
    echo "docker: engine $(docker_answers) already answers on ${OPENSHELL_DOCKER_SOCKET} (reusing it)"
    return 0
  fi
  if ! have dockerd || ! have docker; then apt_install docker.io; fi
  is_root || die "dockerd is installed but not running, and starting it needs root"
  # A session that ended killed dockerd without letting it remove its pid file; the next dockerd
  # refuses to start while the file exists. Only remove it when no dockerd runs.
  if [[ -f /var/run/docker.pid ]] && ! pgrep -x dockerd >/dev/null; then
    rm -f /var/run/docker.pid
  fi
  mkdir -p "$ENGINE_LOG_DIR"
  if ! pgrep -x dockerd >/dev/null; then
    echo "docker: starting dockerd (log: ${ENGINE_LOG_DIR}/dockerd.log)"
    (cd / && exec setsid nohup dockerd --host "unix://${OPENSHELL_DOCKER_SOCKET}" >"${ENGINE_LOG_DIR}/dockerd.log" 2>&1 </dev/null) &
  fi
  if ! wait_for 60 docker_answers; then
    tail -n 30 "${ENGINE_LOG_DIR}/dockerd.log" >&2 || true
    die "dockerd did not answer on ${OPENSHELL_DOCKER_SOCKET} within 60 s (log above)"
  fi
  echo "docker: engine $(docker_answers) answers on ${OPENSHELL_DOCKER_SOCKET}"
}

# Podman's default ulimits are above this machine's hard limits, and every container then fails
# with "error setting rlimit"; lower them in containers.conf (keeping anything else in the file).
configure_podman_ulimits() {
  local conf=/etc/containers/containers.conf
  if [[ -f "$conf" ]] && grep -q 'default_ulimits' "$conf"; then return 0; fi
  mkdir -p /etc/containers
  if [[ -f "$conf" ]] && grep -q '^\[containers\]' "$conf"; then
    sed -i '/^\[containers\]/a default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]' "$conf"
  else
    printf '[containers]\ndefault_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]\n' >>"$conf"
  fi
}

ensure_podman() {
  if podman_answers >/dev/null 2>&1; then
    echo "podman: API service already answers on ${OPENSHELL_PODMAN_SOCKET_PATH} (reusing it)"
    return 0
  fi
  have podman || apt_install podman
  is_root || die "podman is installed but its API service is not running, and starting it needs root"
  configure_podman_ulimits
  mkdir -p "$(dirname "$OPENSHELL_PODMAN_SOCKET_PATH")" "$ENGINE_LOG_DIR"
  rm -f "$OPENSHELL_PODMAN_SOCKET_PATH"
  echo "podman: starting the API service (log: ${ENGINE_LOG_DIR}/podman.log)"
  # From /, like every daemon started here: they outlive this run, and a service whose working
  # directory was a checkout that is later deleted can no longer start containers (conmon needs it).
  (cd / && exec setsid nohup podman system service --time=0 "unix://${OPENSHELL_PODMAN_SOCKET_PATH}" \
    >"${ENGINE_LOG_DIR}/podman.log" 2>&1 </dev/null) &
  if ! wait_for 30 podman_answers; then
    tail -n 30 "${ENGINE_LOG_DIR}/podman.log" >&2 || true
    die "podman's API service did not answer on ${OPENSHELL_PODMAN_SOCKET_PATH} within 30 s (log above)"
  fi
  echo "podman: $(podman --version) answers on ${OPENSHELL_PODMAN_SOCKET_PATH}"
}

# A rootfs tarball holding Debian's static busybox, its applet links and a passwd/group with a
# non-root user (uid 1000) that the user and capability tests switch to.
make_busybox_tar() {
  local out=$1
  # busybox-static, not busybox: the image has no libc, so the binary must be static.
  dpkg -s busybox-static >/dev/null 2>&1 || apt_install busybox-static
  local root
  root="$(mktemp -d)"
  mkdir -p "$root"/{bin,etc,tmp,root,home/sandbox,proc,sys,dev,var/tmp}
  chmod 1777 "$root/tmp" "$root/var/tmp"
  cp /bin/busybox "$root/bin/busybox"
  local applet
  for applet in $("$root/bin/busybox" --list); do
    [[ "$applet" == busybox ]] || ln -s busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nsandbox:x:1000:1000:sandbox:/home/sandbox:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nsandbox:x:1000:\nnogroup:x:65534:\n' >"$root/etc/group"
  chown 1000:1000 "$root/home/sandbox"
  tar -C "$root" -cf "$out" .
  rm -rf "$root"
}

make_debian_tar() {
  local out=$1
  have debootstrap || apt_install debootstrap
  local root
  root="$(mktemp -d)"
  echo "debian: debootstrap --variant=minbase bookworm (about 30 s, once per machine)"
  debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >"${ENGINE_LOG_DIR}/debootstrap.log" 2>&1 ||
    {
      tail -n 20 "${ENGINE_LOG_DIR}/debootstrap.log" >&2
      die "debootstrap failed (log above)"
    }
  tar -C "$root" -cf "$out.partial" . && mv "$out.partial" "$out"
  rm -rf "$root"
}

# Imports a cached rootfs tarball into one engine unless the engine already has the tag.
# $1 engine CLI (docker|podman), $2 image, $3 tarball, $4 default command, then any further
# Dockerfile instructions for the image's config (`USER 1000:1000`, `WORKDIR /sandbox`).
import_image() {
  local cli=$1 image=$2 tarball=$3 cmd=$4
  shift 4
  local host_flag=() changes=() change
  [[ "$cli" == docker ]] && host_flag=(-H "unix://${OPENSHELL_DOCKER_SOCKET}")
  if "$cli" "${host_flag[@]}" image inspect "$image" >/dev/null 2>&1; then
    echo "$cli: $image present (reusing it)"
    return 0
  fi
  for change in "$@"; do changes+=(--change "$change"); done
  "$cli" "${host_flag[@]}" import \
    --change "CMD [\"$cmd\"]" --change 'LABEL openshell.ai/test-image=true' "${changes[@]}" \
    "$tarball" "$image" >/dev/null
  echo "$cli: imported $image"
}

# The image local-mode sandboxes run from: busybox as the non-root user its rootfs has (sandbox,
# 1000:1000), in /sandbox (which the engines create when a container starts). $1 engine CLI.
import_sandbox_image() {
  import_image "$1" "$OPENSHELL_TEST_SANDBOX_IMAGE" "$OPENSHELL_IMAGE_CACHE/busybox-rootfs.tar" /bin/sh \
    'USER 1000:1000' 'WORKDIR /sandbox'
}

# A test image made from the Debian test image by one `apt-get install`, built once per machine
# with Docker (apt-get from deb.debian.org), kept as an archive in the image cache, and loaded into
# both engines from it. $1 image, $2 archive file name, $3 what it is (for messages), then the
# packages to install.
ensure_debian_derived_image() {
  local image=$1 archive="$OPENSHELL_IMAGE_CACHE/$2" what=$3
  shift 3
  local docker=(docker -H "unix://${OPENSHELL_DOCKER_SOCKET}")
  if [[ ! -s "$archive" ]]; then
    if ! "${docker[@]}" image inspect "$image" >/dev/null 2>&1; then
      echo "${what} image: apt-get install $* on ${OPENSHELL_TEST_DEBIAN_IMAGE} (once per machine)"
      local log="${ENGINE_LOG_DIR}/${what}-image.log"
      if ! printf '%s\n' "FROM ${OPENSHELL_TEST_DEBIAN_IMAGE}" \
        "RUN apt-get update && apt-get install -y --no-install-recommends $* && rm -rf /var/lib/apt/lists/*" \
        'LABEL openshell.ai/test-image=true' 'CMD ["/bin/bash"]' |
        "${docker[@]}" build -q -t "$image" - >"$log" 2>&1; then
        tail -n 20 "$log" >&2
        die "building ${image} failed (log above)"
      fi
    fi
    "${docker[@]}" save -o "$archive.partial" "$image" && mv "$archive.partial" "$archive"
  fi
  if "${docker[@]}" image inspect "$image" >/dev/null 2>&1; then
    echo "docker: $image present (reusing it)"
  else
    "${docker[@]}" load -q -i "$archive" >/dev/null && echo "docker: loaded $image"
  fi
  if podman image inspect "$image" >/dev/null 2>&1; then
    echo "podman: $image present (reusing it)"
  else
    podman load -q -i "$archive" >/dev/null && echo "podman: loaded $image"
  fi
}

# Debian with curl and CA certificates: a TLS client that checks certificates and speaks CONNECT,
# for the local-mode egress tests (busybox wget does neither).
ensure_curl_image() {
  ensure_debian_derived_image "$OPENSHELL_TEST_CURL_IMAGE" debian-curl.tar curl curl ca-certificates
}

# Debian's containerd (and its `ctr`) on the Debian test image: a stand-in for a gateway's cluster
# container, which holds the images Kubernetes runs in containerd's k8s.io namespace. The image-load
# tests start containerd in it and import images with `ctr images import`.
OPENSHELL_TEST_CONTAINERD_IMAGE="${OPENSHELL_TEST_CONTAINERD_IMAGE:-openshell-test/containerd:1}"
ensure_containerd_image() {
  ensure_debian_derived_image "$OPENSHELL_TEST_CONTAINERD_IMAGE" debian-containerd.tar containerd containerd
  export OPENSHELL_TEST_CONTAINERD_IMAGE
}

# The A2A echo agent (test/support/a2a-agent: @a2a-js/sdk's own servers, current and 0.3) on
# Debian's Node.js, as the non-root user sandbox: the agent connectAgent and the agent-registry
# adapter are tested against. Its source is bundled into one file with esbuild (express and both SDK
# versions inside), so the image needs only `node`. The bundle's hash is a label of the image: the
# image is rebuilt when the agent's source changes, else reused; the Node layer stays in the
# builder's cache. Kept as an archive in the image cache and loaded from it into each engine.
# $@ the engines to make it in (docker, podman; default both, as the tests need); the first one
# builds it, from the Debian test image it must already hold. scripts/demo.sh names only its own.
OPENSHELL_TEST_A2A_AGENT_IMAGE="${OPENSHELL_TEST_A2A_AGENT_IMAGE:-openshell-test/a2a-agent:1}"
ensure_a2a_agent_image() {
  local engines=("$@")
  [[ "${#engines[@]}" -gt 0 ]] || engines=(docker podman)
  local image="$OPENSHELL_TEST_A2A_AGENT_IMAGE" label=openshell.ai/test-agent-bundle
  local builder="${engines[0]}" cli
  local repo context digest archive log="${ENGINE_LOG_DIR}/a2a-agent-image.log"
  repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  # The bundle is made from the npm dependencies, which scripts/test.sh installs after the engines:
  # on a fresh machine, install them here first (a subshell: ensure_npm_deps changes directory).
  if [[ ! -x "$repo/node_modules/.bin/esbuild" || ! -d "$repo/node_modules/a2a-sdk-v0.3" ]]; then
    (ensure_npm_deps) || die "npm dependencies for the A2A test agent's bundle failed to install"
  fi
  context="$(mktemp -d)"
  # ESM for the agent's top-level await; the banner gives express (CommonJS) its require. Debian
  # bookworm's nodejs is 18.20, below the SDK's Node 20: its server calls a bare
  # `crypto.randomUUID()`, and Node 18 has no global `crypto` in a module (19 added it), so every
  # message failed with "crypto is not defined" until the banner put node:crypto's webcrypto there.
  "$repo/node_modules/.bin/esbuild" "$repo/test/support/a2a-agent/main.ts" --bundle --platform=node \
    --target=node18 --format=esm --log-level=warning --outfile="$context/echo-agent.mjs" \
    --banner:js="import { createRequire } from 'node:module'; import { webcrypto } from 'node:crypto'; const require = createRequire(import.meta.url); globalThis.crypto ??= webcrypto;" ||
    die "bundling the A2A test agent failed"
  digest="$(sha256sum "$context/echo-agent.mjs" | cut -c1-16)"
  archive="$OPENSHELL_IMAGE_CACHE/a2a-agent-${digest}.tar"
  local inspect_label=(image inspect --format "{{index .Config.Labels \"$label\"}}" "$image")
  if [[ ! -s "$archive" ]]; then
    if [[ "$(engine_cli "$builder" "${inspect_label[@]}" 2>/dev/null)" != "$digest" ]]; then
      echo "a2a-agent image: Debian's nodejs on ${OPENSHELL_TEST_DEBIAN_IMAGE} + the echo agent bundle ${digest} (${builder} build)"
      printf '%s\n' "FROM ${OPENSHELL_TEST_DEBIAN_IMAGE}" \
        'RUN apt-get update && apt-get install -y --no-install-recommends nodejs && rm -rf /var/lib/apt/lists/*' \
        'RUN groupadd -g 1000 sandbox && useradd -u 1000 -g 1000 -d /sandbox -m -s /bin/bash sandbox' \
        'COPY echo-agent.mjs /app/echo-agent.mjs' \
        "LABEL openshell.ai/test-image=true ${label}=${digest}" \
        'USER sandbox' 'WORKDIR /sandbox' 'EXPOSE 8080' \
        'CMD ["node", "/app/echo-agent.mjs", "--port", "8080"]' >"$context/Dockerfile"
      if ! engine_cli "$builder" build -q -t "$image" "$context" >"$log" 2>&1; then
        tail -n 20 "$log" >&2
        rm -rf "$context"
        die "building ${image} failed (log above)"
      fi
    fi
    rm -f "$OPENSHELL_IMAGE_CACHE"/a2a-agent-*.tar
    # Podman's save reports every blob it copies unless told not to; Docker's has no such output.
    local quiet=()
    [[ "$builder" == podman ]] && quiet=(-q)
    engine_cli "$builder" save "${quiet[@]}" -o "$archive.partial" "$image" && mv "$archive.partial" "$archive"
  fi
  rm -rf "$context"
  for cli in "${engines[@]}"; do
    if [[ "$(engine_cli "$cli" "${inspect_label[@]}" 2>/dev/null)" == "$digest" ]]; then
      echo "$cli: $image present (reusing it)"
    else
      engine_cli "$cli" load -q -i "$archive" >/dev/null && echo "$cli: loaded $image"
    fi
    # Earlier builds of the agent, untagged by this one (only images with the bundle label).
    engine_cli "$cli" image prune -f --filter "label=${label}" >/dev/null || true
  done
  export OPENSHELL_TEST_A2A_AGENT_IMAGE
}

# Runs an engine's CLI against the engine these scripts use. $1 docker|podman, then its arguments.
engine_cli() {
  local cli=$1
  shift
  case "$cli" in
    docker) docker -H "unix://${OPENSHELL_DOCKER_SOCKET}" "$@" ;;
    podman) podman "$@" ;;
    *) die "engine_cli: unknown engine ${cli} (docker or podman)" ;;
  esac
}

ensure_test_images() {
  mkdir -p "$OPENSHELL_IMAGE_CACHE" "$ENGINE_LOG_DIR"
  local busybox_tar="$OPENSHELL_IMAGE_CACHE/busybox-rootfs.tar"
  local debian_tar="$OPENSHELL_IMAGE_CACHE/debian-bookworm-minbase.tar"
  [[ -s "$busybox_tar" ]] || make_busybox_tar "$busybox_tar"
  [[ -s "$debian_tar" ]] || make_debian_tar "$debian_tar"
  local cli
  for cli in docker podman; do
    import_image "$cli" "$OPENSHELL_TEST_BUSYBOX_IMAGE" "$busybox_tar" /bin/sh
    import_sandbox_image "$cli"
    import_image "$cli" "$OPENSHELL_TEST_DEBIAN_IMAGE" "$debian_tar" /bin/bash
  done
  ensure_curl_image
  ensure_containerd_image
  ensure_a2a_agent_image docker podman
}

# A local image registry, so pullImage is tested against a real one (no public registry is
# reachable): Debian's docker-registry (the CNCF distribution registry) on 127.0.0.1:5000, plain
# http, no auth, holding 127.0.0.1:5000/openshell-test/busybox:1 (the busybox test image plus a layer).
OPENSHELL_TEST_REGISTRY="127.0.0.1:5000"
OPENSHELL_REGISTRY_DIR="${OPENSHELL_REGISTRY_DIR:-/var/lib/openshell-test/registry}"

registry_answers() { curl -fsS --max-time 3 "http://${OPENSHELL_TEST_REGISTRY}/v2/"; }

ensure_test_registry() {
  local image="${OPENSHELL_TEST_REGISTRY}/openshell-test/busybox:1"
  local conf="${OPENSHELL_REGISTRY_DIR}/config.yml"
  if registry_answers >/dev/null 2>&1; then
    echo "registry: ${OPENSHELL_TEST_REGISTRY} already answers (reusing it)"
  else
    have docker-registry || apt_install docker-registry
    is_root || die "the test registry is not running, and starting it needs root"
    mkdir -p "$OPENSHELL_REGISTRY_DIR/data" "$ENGINE_LOG_DIR"
    # Not the package's /etc/docker/registry/config.yml: that one listens on every interface and
    # wants an htpasswd file. The package's own start goes through systemd, which is not running
    # here, so the binary is started like dockerd.
    cat >"$conf" <<EOF
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: ${OPENSHELL_REGISTRY_DIR}/data
http:
  addr: ${OPENSHELL_TEST_REGISTRY}
EOF
    echo "registry: starting docker-registry on ${OPENSHELL_TEST_REGISTRY} (log: ${ENGINE_LOG_DIR}/registry.log)"
    (cd / && exec setsid nohup docker-registry serve "$conf" >"${ENGINE_LOG_DIR}/registry.log" 2>&1 </dev/null) &
    if ! wait_for 30 registry_answers; then
      tail -n 30 "${ENGINE_LOG_DIR}/registry.log" >&2 || true
      die "docker-registry did not answer on ${OPENSHELL_TEST_REGISTRY} within 30 s (log above)"
    fi
  fi
  # Podman refuses a plain-http registry unless registries.conf marks it insecure (Docker already
  # treats 127.0.0.0/8 as insecure). A running API service keeps the registries.conf it read at
  # start; SIGHUP makes it read the files again, and it keeps running. Once per service process:
  # the stamp file lists the pids already told.
  local dropin=/etc/containers/registries.conf.d/50-openshell-test-registry.conf
  local stamp="${OPENSHELL_REGISTRY_DIR}/podman-reloaded.pids"
  if ! grep -qs "location = \"${OPENSHELL_TEST_REGISTRY}\"" "$dropin"; then
    mkdir -p "$(dirname "$dropin")"
    cat >"$dropin" <<EOF
# The local registry of the openshell integration tests (scripts/engines.sh): plain http.
[[registry]]
location = "${OPENSHELL_TEST_REGISTRY}"
insecure = true
EOF
  fi
  mkdir -p "$OPENSHELL_REGISTRY_DIR"
  local pid
  for pid in $(pgrep -f "podman system service.*${OPENSHELL_PODMAN_SOCKET_PATH}"); do
    if ! grep -qsx "$pid" "$stamp"; then
      kill -HUP "$pid"
      echo "$pid" >>"$stamp"
      echo "podman: API service (pid ${pid}) told to reload registries.conf"
    fi
  done
  if curl -fsS --max-time 5 -o /dev/null -I \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://${OPENSHELL_TEST_REGISTRY}/v2/openshell-test/busybox/manifests/1" 2>/dev/null; then
    echo "registry: ${image} present (reusing it)"
  else
    local docker=(docker -H "unix://${OPENSHELL_DOCKER_SOCKET}")
    # The busybox test image plus a layer of its own (1 MiB of random bytes): both engines already
    # hold busybox's only layer, so a pull of busybox alone would download nothing.
    local log="${ENGINE_LOG_DIR}/registry-push.log"
    if ! printf 'FROM %s\nRUN head -c 1048576 /dev/urandom >/var/tmp/registry-layer\n' \
      "$OPENSHELL_TEST_BUSYBOX_IMAGE" | "${docker[@]}" build --network none -q -t "$image" - >"$log" 2>&1; then
      tail -n 20 "$log" >&2
      die "building ${image} failed (log above)"
    fi
    if ! "${docker[@]}" push "$image" >>"$log" 2>&1; then
      tail -n 20 "$log" >&2
      die "docker push ${image} failed (log above)"
    fi
    # The tests pull it back, so Docker must not keep a copy.
    "${docker[@]}" rmi "$image" >/dev/null
    echo "registry: pushed ${image}"
  fi
  export OPENSHELL_TEST_REGISTRY
}

ensure_engines() {
  have curl || apt_install curl
  have pgrep || apt_install procps
  ensure_docker
  ensure_podman
  ensure_test_images
  ensure_test_registry
  export OPENSHELL_TEST_DOCKER_HOST="unix://${OPENSHELL_DOCKER_SOCKET}"
  export OPENSHELL_TEST_PODMAN_HOST="unix://${OPENSHELL_PODMAN_SOCKET_PATH}"
  export OPENSHELL_TEST_BUSYBOX_IMAGE OPENSHELL_TEST_DEBIAN_IMAGE OPENSHELL_TEST_SANDBOX_IMAGE OPENSHELL_TEST_CURL_IMAGE
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  # shellcheck source=scripts/lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
  ensure_engines
fi
