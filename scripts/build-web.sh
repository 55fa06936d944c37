#!/usr/bin/env bash
# Builds the web UI into presentation/web/dist, which `aegis` serves (and embeds in release
# builds). Installs its npm packages first when package-lock.json changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/../presentation/web"
command -v npm >/dev/null || { echo "the web UI needs Node.js 20+ and npm" >&2; exit 1; }
export npm_config_cache="${AEGIS_CACHE_DIR:-$HOME/.cache/aegis}/npm"
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.aegis-lock-sum 2>/dev/null)" != "$lock_sum" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sum" > node_modules/.aegis-lock-sum
fi
npm run --silent build
