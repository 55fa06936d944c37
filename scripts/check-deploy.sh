#!/usr/bin/env bash
# Validates the deployment artifacts without a container runtime or a cluster: yamllint on
# every YAML file of deploy/, the Helm chart rendered by Helm's own Go SDK (the PyPI package
# helm-python-sdk, no helm binary) with its defaults and with every option on, each rendered
# manifest checked against the Kubernetes JSON schemas (kubernetes-validate, strict), and the
# compose file's services, anchors and dependencies checked for consistency.
# The tools are pinned and installed once into a virtualenv in $AEGIS_CACHE_DIR/tools.
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${AEGIS_CACHE_DIR:-$HOME/.cache/aegis}"
venv="$cache/tools/deploy-venv"
pins="yamllint==1.38.0 kubernetes-validate==1.37.0 helm-python-sdk==0.2.2"
if [ "$(cat "$venv/.pins" 2>/dev/null)" != "$pins" ]; then
  echo "installing $pins into $venv (once)"
  rm -rf "$venv"
  python3 -m venv "$venv"
  # shellcheck disable=SC2086
  "$venv/bin/pip" install --quiet --disable-pip-version-check $pins
  echo "$pins" > "$venv/.pins"
fi
"$venv/bin/python" scripts/check_deploy.py
