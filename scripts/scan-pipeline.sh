#!/usr/bin/env sh
# A CI step that gates a change of detection content on Aegis (docs/scans.md): posts the diff
# of the change with an API key that has the `scans:write` scope, waits for the decision and
# exits 0 on pass, 1 on fail, 2 on error. Needs curl and jq; `aegis scan --server` does the
# same without them.
#
#   AEGIS_URL=https://aegis.example.com AEGIS_SCAN_KEY=aegis_... \
#     scripts/scan-pipeline.sh origin/main HEAD acme/detections
set -eu
base="${1:?base commit}"
head="${2:?head commit}"
repository="${3:-$(basename "$(git rev-parse --show-toplevel)")}"
: "${AEGIS_URL:?AEGIS_URL is required}"
: "${AEGIS_SCAN_KEY:?AEGIS_SCAN_KEY is required}"

diff_file="$(mktemp)"
trap 'rm -f "$diff_file"' EXIT
git diff "$base...$head" > "$diff_file"
commit="$(git rev-parse "$head")"

# The commit is the idempotency key: a retried step gets the same scan, not a second one.
scan="$(curl -fsS -X POST "$AEGIS_URL/api/v1/scans?repository=$repository&commit=$commit&base=$base" \
    -H "Authorization: Bearer $AEGIS_SCAN_KEY" -H "Content-Type: text/x-diff" \
    -H "Idempotency-Key: $repository@$commit" --data-binary "@$diff_file")" || exit 2
id="$(printf '%s' "$scan" | jq -r .id)"
echo "scan $id submitted"

for _ in $(seq 1 600); do
    scan="$(curl -fsS "$AEGIS_URL/api/v1/scans/$id" -H "Authorization: Bearer $AEGIS_SCAN_KEY")" || exit 2
    status="$(printf '%s' "$scan" | jq -r .status)"
    [ "$status" = completed ] || [ "$status" = error ] && break
    sleep 0.5
done

curl -fsS "$AEGIS_URL/api/v1/scans/$id/findings" -H "Authorization: Bearer $AEGIS_SCAN_KEY" |
    jq -r '.[] | "\(if .blocks then "BLOCKS " else "" end)\(.severity) \(.rule_id) \(.file):\(.line // "") \(.message)"'
curl -fsS "$AEGIS_URL/api/v1/scans/$id/artifact" -H "Authorization: Bearer $AEGIS_SCAN_KEY" > "scan-$id.json" || true

decision="$(printf '%s' "$scan" | jq -r '.decision // "error"')"
echo "decision: $decision (artifact: scan-$id.json)"
case "$decision" in
    pass) exit 0 ;;
    fail) exit 1 ;;
    *) exit 2 ;;
esac
