#!/usr/bin/env bash
# The whole test suite, as CI runs it: bash scripts/test.sh
#
# Works on a fresh Debian machine as root (installs Node.js 20 and the npm dependencies when they
# are missing), CI=true or not. Steps, in order, stopping at the first failure:
#   system tools, Node.js, container engines (Docker, Podman, test images), npm deps, wire-check, check:gen, lint, typecheck,
#   build, then every vitest project (unit, integration, e2e, package) in ONE vitest run, so a
#   single "Tests  N passed (N)" line closes the output.
# Under CI=true nothing is skipped: a missing wire-check tool, a non-git tree or any skipped test
# is a failure, not a warning.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$OPENSHELL_ROOT"
trap on_exit_report EXIT

# Docker, Podman and the locally made test images (scripts/engines.sh): installed and started when
# missing, reused when present. A missing engine fails the run; nothing skips for want of one.
# shellcheck source=scripts/engines.sh
source "$(dirname "${BASH_SOURCE[0]}")/engines.sh"

wire_check() {
  local tool="../shared/tools/wire-check.mjs"
  if [[ ! -f "$tool" ]]; then
    if is_ci; then
      die "wire-check: $tool not found beside the repository; CI must run it (clone next to shared/)"
    fi
    warn "wire-check skipped: $tool not found (not a CI run)"
    return 0
  fi
  local out
  out="$(npm run --silent wire-check 2>&1)" || {
    printf '%s\n' "$out"
    die "wire-check failed"
  }
  printf '%s\n' "$out"
  grep -q "0 mismatches" <<<"$out" || die "wire-check did not report 0 mismatches"
}

check_gen() {
  if ! git -C "$OPENSHELL_ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    if is_ci; then die "check:gen needs a git checkout to compare src/gen against"; fi
    warn "check:gen skipped: not a git checkout"
    return 0
  fi
  npm run --silent check:gen
}

lint() { npm run --silent lint; }
typecheck() { npm run --silent typecheck && echo "typecheck: no errors"; }
build() { npm run --silent build; }

# One vitest invocation for all projects. The JSON report (outside the tree, so lint never sees
# it) lets CI refuse skipped or todo tests: a test that skips because an engine is missing would
# otherwise pass silently.
# What a run made in the system's temporary folder: the suite keeps its own in one folder per run
# (test/support/suite-temp-dir.ts) and removes it, so under CI anything new here is a leak.
temp_entries() { find "${TMPDIR:-/tmp}" -mindepth 1 -maxdepth 1 -name 'openshell-*' 2>/dev/null | sort; }

run_tests() {
  local report temp_before
  temp_before="$(temp_entries)"
  report="$(mktemp -t openshell-vitest-XXXXXX.json)"
  local rc=0
  # The pipe drops the JSON reporter's trailing "report written" notice so vitest's summary stays
  # the last thing it prints; keep colours when a person is watching.
  if [[ -t 1 ]]; then export FORCE_COLOR=1; fi
  set +o pipefail
  npx vitest run --project unit --project integration --project e2e --project package \
    --reporter=default --reporter=json --outputFile.json="$report" 2>&1 |
    { grep --line-buffered -v '^JSON report written to ' || true; }
  rc="${PIPESTATUS[0]}"
  set -o pipefail
  if [[ "$rc" -eq 0 ]] && is_ci; then
    node -e '
      const r = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
      const skipped = r.testResults.flatMap((f) =>
        f.assertionResults.filter((t) => t.status !== "passed" && t.status !== "failed")
          .map((t) => `  ${t.status}: ${f.name.replace(process.cwd() + "/", "")} > ${t.fullName}`));
      if (skipped.length > 0) {
        console.error(`CI=true: ${skipped.length} test(s) did not run; nothing may be skipped in CI:`);
        console.error(skipped.join("\n"));
        process.exit(1);
      }
    ' "$report" || rc=$?
  fi
  rm -f "$report"
  if [[ "$rc" -eq 0 ]] && is_ci; then
    local leaked
    leaked="$(comm -13 <(printf '%s\n' "$temp_before") <(temp_entries) | grep -v '^$' || true)"
    if [[ -n "$leaked" ]]; then
      printf 'CI=true: the tests left temporary entries behind:\n%s\n' "$leaked" >&2
      rc=1
    fi
  fi
  return "$rc"
}

main() {
  if is_ci; then echo "CI=true: every step runs; skips are failures"; fi
  step "system tools" ensure_system_tools
  step "node" ensure_node
  step "container engines" ensure_engines
  step "npm dependencies" ensure_npm_deps
  step "wire-check" wire_check
  step "check:gen" check_gen
  step "lint" lint
  step "typecheck" typecheck
  step "build" build
  step "tests (unit, integration, e2e, package)" run_tests
  CURRENT_STEP="done"
  log "all steps passed"
}

main "$@"
