#!/usr/bin/env bash
# Benchmark: the template, binary and intelligence importers on the embedded profile (SQLite).
# 1. The real samples in ../shared/feeds (when present), after the full ATT&CK bundle.
# 2. A generated corpus: 2,000 Atomic Red Team tests (200 technique files), 1,000 CALDERA
#    abilities, 500 LOLBAS entries (3 commands each), 500 GTFOBins pages (4 functions each) and
#    one STIX bundle of 300 intrusion sets with campaigns; each imported twice (first import,
#    then the idempotent re-import).
#   scripts/bench-feed-import.sh            (AEGIS_BIN=path to use a built binary)
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${AEGIS_CACHE_DIR:-$HOME/.cache/aegis}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$cache/target-release}"
bin="${AEGIS_BIN:-}"
if [ -z "$bin" ]; then
  cargo build --release -q -p aegis
  bin="$CARGO_TARGET_DIR/release/aegis"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
summary() { (cd "$1" && AEGIS_LOG=warn "$bin" import "$2" --path "$3" >"$work/out.txt") && head -n1 "$work/out.txt"; }

feeds="$(cd .. && pwd)/shared/feeds"
if [ -d "$feeds" ]; then
  echo "== shared samples"
  mkdir -p "$work/shared"
  summary "$work/shared" attack "$feeds/attack-stix/mitre__cti/enterprise-attack/enterprise-attack.json.gz" >/dev/null
  for s in atomic:atomic-red-team caldera:caldera-stockpile lolbas:lolbas gtfobins:gtfobins stix:stix-threat-intel; do
    printf '%-9s ' "${s%%:*}"
    summary "$work/shared" "${s%%:*}" "$feeds/${s#*:}"
  done
fi

python3 - "$work/gen" <<'PY'
import json, os, sys, uuid
root = sys.argv[1]
ids = [f"T{1000 + n}" for n in range(200)]
for n, t in enumerate(ids):
    d = f"{root}/atomic/atomics/{t}"
    os.makedirs(d, exist_ok=True)
    tests = []
    for k in range(10):
        tests.append(f"""- name: Generated test {n}.{k}
  auto_generated_guid: {uuid.uuid5(uuid.NAMESPACE_URL, f'atomic/{n}/{k}')}
  description: |
    A generated atomic test ({n}.{k}).
  supported_platforms:
  - windows
  - linux
  input_arguments:
    output_file:
      description: Where to write
      type: path
      default: /tmp/out{k}.txt
  dependencies:
  - description: Nothing
    prereq_command: exit 0
  executor:
    command: |
      echo {n}.{k} > #{{output_file}}
    cleanup_command: rm #{{output_file}}
    name: sh
""")
    with open(f"{d}/{t}.yaml", "w") as f:
        f.write(f"attack_technique: {t}\ndisplay_name: Generated {t}\natomic_tests:\n" + "".join(tests))
os.makedirs(f"{root}/caldera/abilities/discovery", exist_ok=True)
for n in range(1000):
    i = uuid.uuid5(uuid.NAMESPACE_URL, f"caldera/{n}")
    with open(f"{root}/caldera/abilities/discovery/{i}.yml", "w") as f:
        f.write(f"""- id: {i}
  name: Generated ability {n}
  description: Lists something ({n})
  tactic: discovery
  technique:
    attack_id: {ids[n % 200]}
    name: Generated
  platforms:
    windows:
      psh,pwsh:
        command: Get-Process -Id {n}
    linux,darwin:
      sh:
        command: ps -p {n}
""")
os.makedirs(f"{root}/lolbas/yml/OSBinaries", exist_ok=True)
for n in range(500):
    cmds = "".join(f"""  - Command: bin{n}.exe /do {k} {{PATH}}
    Description: Does {k}
    Usecase: Generated
    Category: Execute
    Privileges: User
    MitreID: {ids[(n + k) % 200]}
    OperatingSystem: Windows 10, Windows 11
""" for k in range(3))
    with open(f"{root}/lolbas/yml/OSBinaries/Bin{n}.yml", "w") as f:
        f.write(f"---\nName: Bin{n}.exe\nDescription: Generated binary {n}\nAuthor: Aegis benchmark\nCommands:\n{cmds}Full_Path:\n  - Path: C:\\Windows\\System32\\bin{n}.exe\n")
os.makedirs(f"{root}/gtfobins/_gtfobins", exist_ok=True)
for n in range(500):
    with open(f"{root}/gtfobins/_gtfobins/tool{n}", "w") as f:
        f.write(f"""---
functions:
  shell:
  - code: tool{n} -c /bin/sh
    contexts:
      sudo:
      suid:
      unprivileged:
  file-read:
  - code: tool{n} -r /path/to/input-file
  file-write:
  - code: tool{n} -w /path/to/output-file
  download:
  - code: tool{n} -get http://attacker.com/x
...
""")
objects = []
for n in range(300):
    actor = f"intrusion-set--{uuid.uuid5(uuid.NAMESPACE_URL, f'actor/{n}')}"
    campaign = f"campaign--{uuid.uuid5(uuid.NAMESPACE_URL, f'campaign/{n}')}"
    objects += [
        {"type": "intrusion-set", "id": actor, "name": f"Generated Actor {n}", "aliases": [f"GA{n}"]},
        {"type": "campaign", "id": campaign, "name": f"Campaign {n}"},
        {"type": "relationship", "id": f"relationship--{uuid.uuid5(uuid.NAMESPACE_URL, f'attr/{n}')}",
         "relationship_type": "attributed-to", "source_ref": campaign, "target_ref": actor},
    ]
    for k in range(10):
        pattern = f"attack-pattern--{uuid.uuid5(uuid.NAMESPACE_URL, f'pattern/{(n + k) % 200}')}"
        objects.append({"type": "relationship", "id": f"relationship--{uuid.uuid5(uuid.NAMESPACE_URL, f'uses/{n}/{k}')}",
                        "relationship_type": "uses", "source_ref": campaign, "target_ref": pattern})
for n, t in enumerate(ids):
    objects.append({"type": "attack-pattern", "id": f"attack-pattern--{uuid.uuid5(uuid.NAMESPACE_URL, f'pattern/{n}')}",
                    "name": t, "external_references": [{"source_name": "mitre-attack", "external_id": t}]})
os.makedirs(f"{root}/stix", exist_ok=True)
with open(f"{root}/stix/bundle.json", "w") as f:
    json.dump({"type": "bundle", "id": "bundle--generated", "objects": objects}, f)
PY
echo "== generated corpus"
mkdir -p "$work/data"
for source in atomic caldera lolbas gtfobins stix; do
  for round in first again; do
    printf '%-9s %-5s ' "$source" "$round"
    summary "$work/data" "$source" "$work/gen/$source"
  done
done
