#!/usr/bin/env bash
# The whole test suite: installs what it needs (redis-server, nginx, Node.js, Debian's Chromium for the browser tests,
# and the npm packages of the Koa reference app and the OpenAPI linter),
# then runs every test project.
# Usage: bash test.sh [extra dotnet test arguments]
set -euo pipefail
cd "$(dirname "$0")"

install_debian_packages() {
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: $* missing and apt-get is not available; install them and re-run." >&2
    exit 1
  fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      echo "test.sh: $* missing; run as root or install them: apt-get install $*" >&2
      exit 1
    fi
  fi
  echo "test.sh: installing $* ..."
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
# nginx stands in for the Functions host's HTTP proxy (HostProxyTests); Debian installs it in /usr/sbin.
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then install_debian_packages "${missing[@]}"; fi

# The Node helpers of the tests, exactly as locked: the Koa reference app (interop),
# Redocly's OpenAPI linter (OpenApiTests lints openapi/session-api.json with it) and the demo SPA's type checker.
for node_dir in SessionFunctions.Tests/KoaReferenceApp openapi samples/spa; do
  if [ ! -f "$node_dir/node_modules/.package-lock.json" ] || [ "$node_dir/package-lock.json" -nt "$node_dir/node_modules/.package-lock.json" ]; then
    echo "test.sh: npm ci in $node_dir ..."
    (cd "$node_dir" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error)
  fi
done

# The SPA's client is plain JavaScript with JSDoc types: its generated types must be what openapi-typescript makes of
# the committed OpenAPI document, and tsc must accept the client and the demo against them.
echo "test.sh: type-checking samples/spa against openapi/session-api.json ..."
(cd samples/spa && npm run --silent check)

if ! command -v dotnet >/dev/null 2>&1; then
  echo "test.sh: the .NET 10 SDK (dotnet) is required: https://dot.net" >&2
  exit 1
fi

# The code style (.editorconfig) and the analyzers are part of the build; formatting is checked here, so CI fails on it.
if ! dotnet format SessionFunctions.sln --verify-no-changes -v q; then
  echo "test.sh: the code is not formatted as .editorconfig says; run: dotnet format SessionFunctions.sln" >&2
  exit 1
fi

log=$(mktemp)
publish=$(mktemp -d)
trap 'rm -rf "$log" "$publish"' EXIT

# The Azure Functions app as azd deploys it: `dotnet publish` by its real Worker SDK, with the function metadata the
# host reads. (Its build and in-process tests run with the solution below; only a Functions host can run it.)
echo "test.sh: publishing the Functions app ..."
if ! dotnet publish SessionFunctions/SessionFunctions.csproj -c Release -o "$publish" -v q -nologo >"$log" 2>&1 \
  || [ ! -s "$publish/functions.metadata" ] || [ ! -f "$publish/host.json" ]; then
  cat "$log" >&2
  echo "test.sh: dotnet publish of the Functions app failed, or left no functions.metadata/host.json in its output" >&2
  exit 1
fi
set +e
dotnet test SessionFunctions.sln "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# One plain closing line for CI: "N passed, N failed".
passed=$(grep -Eo 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -Eo 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
echo "tests: ${passed} passed, ${failed} failed"
if [ "$status" -eq 0 ] && [ "$passed" -eq 0 ]; then
  echo "test.sh: no test ran" >&2
  exit 1
fi
exit "$status"
