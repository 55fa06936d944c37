"""Summarises `aegis telemetry evaluate --json` outputs per Security Dataset (see
scripts/telemetry-datasets.sh) as the Markdown table of docs/telemetry.md."""
import json
import os
import re
import sys

data, out = sys.argv[1], sys.argv[2]
techniques = {}
for name in os.listdir(os.path.join(data, "_metadata")):
    text = open(os.path.join(data, "_metadata", name), encoding="utf-8").read()
    ids = re.findall(r"technique:\s*(T\d+)\s*\n\s*sub-technique:\s*\"?(\d+|null|)\"?", text)
    mapped = sorted({t if s in ("", "null") else f"{t}.{s}" for t, s in ids})
    for link in re.findall(r"link:\s*(\S+\.zip)", text):
        techniques[os.path.basename(link)[:-4]] = mapped

rows, hits = [], 0
for file in sorted(os.listdir(out)):
    result = json.load(open(os.path.join(out, file)))
    name = file[:-5]
    wanted = techniques.get(name, [])
    fired = result["fired"]
    of_technique = [f for f in fired if any(t == w or t.startswith(w + ".") or w.startswith(t + ".") for t in f["techniques"] for w in wanted)]
    hits += bool(of_technique)
    listed = "; ".join(f"{f['title']} [{', '.join(f['techniques'])}] ×{f['matching_events']}" for f in fired[:8])
    if len(fired) > 8:
        listed += f"; … {len(fired) - 8} more"
    rows.append(f"| `{name}` | {', '.join(wanted)} | {result['events_read']} | {len(fired)} | {'yes' if of_technique else 'no'} | {listed or '—'} |")
print(f"{hits} of {len(rows)} datasets fired a rule of their technique.\n")
print("| dataset | technique | events | rules fired | technique's rule fired | rules that fired (matching events) |")
print("|---|---|---|---|---|---|")
print("\n".join(rows))
