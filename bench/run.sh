#!/usr/bin/env bash
# The benchmark, in one command: builds Release, installs what it needs (redis-server, wrk, node, the Koa app's
# packages), runs every workload on ours, koa, the ASP.NET Core Session peer and the limit server, and writes
# bench/results/latest.md and its chart, bench/results/latest.svg.
# Usage: bash bench/run.sh [--duration 5] [--rounds 3] [--connections 16] [--soak 60]
#                          [--warmup 5] [--size-rounds N] [--no-count] [--workloads read,patch,…]
#        bash bench/run.sh --chart-only    (redraws latest.svg from latest.md; runs nothing, installs nothing)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--chart-only" ]; then exec dotnet run --project bench/SessionFunctions.Bench -v q -- --chart-only; fi

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "bench: install ${missing[*]} (apt-get) and re-run" >&2; exit 1; fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
(cd SessionFunctions.Tests/KoaReferenceApp && [ -d node_modules/koa-generic-session ] || npm ci --no-audit --no-fund --loglevel=error)

dotnet build -c Release SessionFunctions.Server -v q -nologo >/dev/null
dotnet build -c Release bench/LimitServer -v q -nologo >/dev/null
dotnet build -c Release bench/AspNetCoreSessionPeer -v q -nologo >/dev/null
dotnet run -c Release --project bench/SessionFunctions.Bench -- "$@"
