#!/usr/bin/env bash
# Installs Aegis from a bundle made by `aegis bundle create` (an air-gapped install: nothing is
# downloaded). Run it from the unpacked bundle, as root:
#   tar xzf aegis-bundle.tar.gz && sudo ./aegis-bundle/install.sh
# It checks every file against the bundle's MANIFEST.sha256, creates the `aegis` user,
# installs the binary (/usr/local/bin/aegis), /etc/aegis/aegis.env (from the example, when
# there is none yet: fill it in), the systemd units aegis.service (API) and
# aegis-worker.service (jobs), and the feed archives (/var/lib/aegis/feeds). With
# --import it then applies the migrations and imports every feed of the bundle (the
# settings in /etc/aegis/aegis.env must be complete by then).
#   --root DIR   install under DIR instead of / (no user, no systemctl: for packaging and tests)
#   --import     migrate and import the bundle's feeds after installing
#   --start      enable and start both services
set -euo pipefail
bundle=$(cd "$(dirname "$0")" && pwd)
root=/
import=false
start=false
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root=$2; shift 2 ;;
    --import) import=true; shift ;;
    --start) start=true; shift ;;
    *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
root=${root%/}
(cd "$bundle" && sha256sum --quiet -c MANIFEST.sha256) || { echo "the bundle is damaged: MANIFEST.sha256 does not verify" >&2; exit 1; }

install -d -m 0755 "$root/usr/local/bin" "$root/etc/systemd/system"
install -d -m 0750 "$root/etc/aegis" "$root/var/lib/aegis" "$root/var/lib/aegis/feeds"
install -m 0755 "$bundle/bin/aegis" "$root/usr/local/bin/aegis"
for unit in aegis.service aegis-worker.service; do
  install -m 0644 "$bundle/systemd/$unit" "$root/etc/systemd/system/$unit"
done
if [ ! -f "$root/etc/aegis/aegis.env" ]; then
  install -m 0640 "$bundle/systemd/aegis.env.example" "$root/etc/aegis/aegis.env"
  echo "created $root/etc/aegis/aegis.env: fill in the secret, the database and the S3 store"
fi
if [ -d "$bundle/feeds" ]; then
  cp -R "$bundle/feeds/." "$root/var/lib/aegis/feeds/"
fi

if [ -z "$root" ]; then
  id aegis >/dev/null 2>&1 || useradd --system --home-dir /var/lib/aegis --shell /usr/sbin/nologin aegis
  chown -R aegis:aegis /var/lib/aegis
  chgrp aegis /etc/aegis /etc/aegis/aegis.env
  command -v systemctl >/dev/null && systemctl daemon-reload
fi

if [ "$import" = true ]; then
  as_aegis=()
  [ -z "$root" ] && as_aegis=(runuser -u aegis --)
  run() { (set -a; . "$root/etc/aegis/aegis.env"; set +a; "${as_aegis[@]}" "$root/usr/local/bin/aegis" "$@"); }
  run migrate up
  # ATT&CK first: the other feeds name its techniques.
  for kind in attack atomic caldera sigma elastic d3fend lolbas gtfobins stix compliance; do
    for file in "$root/var/lib/aegis/feeds/$kind"/*; do
      [ -e "$file" ] || continue
      echo "importing $kind from $file"
      run import "$kind" --path "$file"
    done
  done
fi

if [ "$start" = true ] && [ -z "$root" ]; then
  systemctl enable --now aegis.service aegis-worker.service
fi
echo "Aegis $("$root/usr/local/bin/aegis" --version | cut -d' ' -f2) installed under ${root:-/}"
