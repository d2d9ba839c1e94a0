# Shared helpers for scripts/test.sh and scripts/demo.sh. Source it; it does nothing on its own.
# Each ensure_* function is idempotent: it checks first and only installs what is missing, so the
# scripts work on a fresh Debian machine (as root) and stay fast on a machine that is already set up.

OPENSHELL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OPENSHELL_NODE_MAJOR=20
CURRENT_STEP="start"

log() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

is_ci() { [[ "${CI:-}" == "true" || "${CI:-}" == "1" ]]; }
is_root() { [[ "$(id -u)" -eq 0 ]]; }
have() { command -v "$1" >/dev/null 2>&1; }

# Runs a named step; the EXIT trap installed by on_exit_report names the step that failed.
step() {
  CURRENT_STEP="$1"
  shift
  log "$CURRENT_STEP"
  "$@"
}

on_exit_report() {
  on_exit_report_rc $?
}

# The same, for an EXIT trap that does its own cleanup first and passes the exit code on.
on_exit_report_rc() {
  local rc=$1
  if [[ "$rc" -ne 0 ]]; then
    printf '\n\033[1;31mFAILED\033[0m at step "%s" (exit %s)\n' "$CURRENT_STEP" "$rc" >&2
  fi
  return "$rc"
}

apt_updated=0
apt_install() {
  is_root || die "missing packages ($*) and not root: install them, or rerun as root"
  have apt-get || die "missing packages ($*) and no apt-get on this machine: install them yourself"
  if [[ "$apt_updated" -eq 0 ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

# git (check:gen diffs src/gen) and CA certificates (npm talks to the registry over TLS).
ensure_system_tools() {
  local missing=()
  have git || missing+=(git)
  [[ -e /etc/ssl/certs/ca-certificates.crt ]] || missing+=(ca-certificates)
  if [[ "${#missing[@]}" -gt 0 ]]; then
    apt_install "${missing[@]}"
  fi
  echo "git $(git --version | awk '{print $3}'), CA certificates: present"
}

node_major() {
  if have node; then node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; else echo 0; fi
}

# Node >= 20: the distribution's package when it is new enough (Debian 12 ships 18, so usually
# not), else the official linux tarball into /usr/local, checked against its SHASUMS256.txt.
ensure_node() {
  if [[ "$(node_major)" -ge "$OPENSHELL_NODE_MAJOR" ]] && have npm; then
    echo "node $(node --version), npm $(npm --version)"
    return 0
  fi
  is_root || die "Node.js >= ${OPENSHELL_NODE_MAJOR} is required (found: $(node --version 2>/dev/null || echo none))"
  local candidate
  candidate="$(apt-cache policy nodejs 2>/dev/null | awk '/Candidate:/ {print $2}' | sed -E 's/^[0-9]+://; s/\..*//')"
  if [[ "$candidate" =~ ^[0-9]+$ && "$candidate" -ge "$OPENSHELL_NODE_MAJOR" ]]; then
    apt_install nodejs
    have npm || apt_install npm || true
  fi
  if [[ "$(node_major)" -lt "$OPENSHELL_NODE_MAJOR" ]] || ! have npm; then
    install_node_tarball
  fi
  [[ "$(node_major)" -ge "$OPENSHELL_NODE_MAJOR" ]] || die "could not install Node.js >= ${OPENSHELL_NODE_MAJOR}"
  echo "node $(node --version), npm $(npm --version)"
}

install_node_tarball() {
  local base="${NODE_DIST_URL:-https://nodejs.org/dist}/latest-v${OPENSHELL_NODE_MAJOR}.x"
  local arch
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) die "no Node.js tarball for architecture $(uname -m); install Node.js >= ${OPENSHELL_NODE_MAJOR} yourself" ;;
  esac
  local tools=()
  have curl || tools+=(curl)
  have xz || tools+=(xz-utils)
  if [[ "${#tools[@]}" -gt 0 ]]; then apt_install "${tools[@]}"; fi
  local tmp
  tmp="$(mktemp -d)"
  echo "downloading Node.js ${OPENSHELL_NODE_MAJOR} (linux-${arch}) from ${base}"
  curl -fsSL "${base}/SHASUMS256.txt" -o "${tmp}/SHASUMS256.txt" ||
    die "cannot reach ${base}; install Node.js >= ${OPENSHELL_NODE_MAJOR} yourself or set NODE_DIST_URL"
  local file
  file="$(awk -v a="linux-${arch}.tar.xz" '$2 ~ a"$" {print $2}' "${tmp}/SHASUMS256.txt" | head -n1)"
  [[ -n "$file" ]] || die "no linux-${arch}.tar.xz listed in ${base}/SHASUMS256.txt"
  curl -fsSL "${base}/${file}" -o "${tmp}/${file}"
  (cd "$tmp" && grep " ${file}\$" SHASUMS256.txt | sha256sum -c -) || die "checksum mismatch for ${file}"
  tar -xJf "${tmp}/${file}" -C /usr/local --strip-components=1 --no-same-owner
  rm -rf "$tmp"
  hash -r
}

# npm ci when node_modules is missing or older than package-lock.json, so a stale tree never
# tests code against the wrong dependency versions. npm writes node_modules/.package-lock.json on
# every install, which makes it the freshness marker.
ensure_npm_deps() {
  cd "$OPENSHELL_ROOT"
  local marker="node_modules/.package-lock.json"
  if [[ ! -f "$marker" || package-lock.json -nt "$marker" ]]; then
    # Exactly the committed lockfile, or a failure: a lock that drifted from package.json is a
    # defect to fix (`npm install --package-lock-only`), not something to paper over here.
    npm ci --no-audit --no-fund
  else
    echo "node_modules is up to date with package-lock.json (reusing it)"
  fi
}
