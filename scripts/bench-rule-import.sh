#!/usr/bin/env bash
# Benchmark: importing detection rules on the embedded profile (SQLite). Generates a corpus of
# 3,000 Sigma and 1,000 Elastic rules (unique ids, real-looking content), imports each twice
# (first import, then the idempotent re-import) and prints the times the CLI reports.
#   scripts/bench-rule-import.sh            (AEGIS_BIN=path to use a built binary)
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
python3 - "$work" <<'PY'
import os, sys, uuid
root = sys.argv[1]
techniques = ["T1059.001", "T1059.003", "T1566.001", "T1027", "T1547.001", "T1003.001", "T1218.011", "T1070.004"]
os.makedirs(f"{root}/sigma/rules/windows", exist_ok=True)
for i in range(3000):
    t = techniques[i % len(techniques)].lower()
    with open(f"{root}/sigma/rules/windows/rule_{i:05}.yml", "w") as f:
        f.write(f"""title: Generated rule {i}
id: {uuid.uuid5(uuid.NAMESPACE_URL, f'sigma/{i}')}
status: test
description: A generated rule to measure imports ({i}).
references:
    - https://example.org/{i}
author: Aegis benchmark
date: 2024/01/15
tags:
    - attack.execution
    - attack.{t}
logsource:
    product: windows
    category: process_creation
detection:
    selection:
        CommandLine|contains:
            - ' -enc {i} '
            - ' -e {i} '
    condition: selection
falsepositives:
    - Unknown
level: medium
""")
os.makedirs(f"{root}/elastic/rules", exist_ok=True)
for i in range(1000):
    t = techniques[i % len(techniques)]
    main = t.split(".")[0]
    sub = f'\n[[rule.threat.technique.subtechnique]]\nid = "{t}"\nname = "Sub"\n' if "." in t else ""
    with open(f"{root}/elastic/rules/rule_{i:05}.toml", "w") as f:
        f.write(f"""[metadata]
creation_date = "2024/02/01"
maturity = "production"
updated_date = "2024/03/01"

[rule]
author = ["Elastic"]
description = "A generated rule ({i})."
name = "Generated Elastic rule {i}"
risk_score = 47
rule_id = "{uuid.uuid5(uuid.NAMESPACE_URL, f'elastic/{i}')}"
severity = "medium"
type = "eql"
language = "eql"
query = '''
process where process.name == "generated{i}.exe"
'''

[[rule.threat]]
framework = "MITRE ATT&CK"
[[rule.threat.technique]]
id = "{main}"
name = "Main"
{sub}
[rule.threat.tactic]
id = "TA0002"
name = "Execution"
""")
PY
data="$work/data"
mkdir -p "$data"
for source in sigma elastic; do
  for round in first again; do
    printf '%-7s %-5s ' "$source" "$round"
    (cd "$data" && AEGIS_LOG=warn "$bin" import "$source" --path "$work/$source" >"$work/out.txt")
    head -n1 "$work/out.txt"
  done
done
