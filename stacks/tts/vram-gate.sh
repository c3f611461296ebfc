set -eu
: "${ACTION:?}" "${FLOOR:?}" "${GPU_TOTAL:?}"
METRICS_URL="http://gpu-pod-exporter.nvidia.svc.cluster.local:80/metrics"

# Sum gpu_pod_memory_used_bytes across all pods. Missing metric / empty
# scrape => used=0 (card idle). -f so a non-200 scrape is a hard error we
# treat conservatively (skip scale-up).
if ! BODY="$(curl -sf -m 10 "${METRICS_URL}")"; then
  echo "WARN: could not scrape ${METRICS_URL}"
  if [ "${ACTION}" = "up" ] || [ "${ACTION}" = "demand" ]; then
    echo "${ACTION}: scrape failed -> NOT scaling up (fail-safe)"; exit 0
  fi
  # For down/guard a failed scrape must NOT block yielding the card.
  BODY=""
fi
USED="$(printf '%s\n' "${BODY}" \
  | awk '/^gpu_pod_memory_used_bytes\{/ { s += $NF } END { printf "%d", s }')"
USED="${USED:-0}"
FREE="$(( GPU_TOTAL - USED ))"
echo "GPU VRAM: used=${USED} free=${FREE} floor=${FLOOR} (total=${GPU_TOTAL})"

case "${ACTION}" in
  up)
    if [ "${FREE}" -ge "${FLOOR}" ]; then
      echo "preflight PASS: free >= floor -> scaling chatterbox-tts to 1"
      kubectl -n tts scale deploy/chatterbox-tts --replicas=1
    else
      echo "preflight SKIP: free < floor -> leaving chatterbox-tts at 0 (retry next window)"
    fi
    ;;
  guard)
    if [ "${FREE}" -lt "${FLOOR}" ]; then
      echo "guard TRIP: free < floor -> yielding the card, scaling chatterbox-tts to 0"
      kubectl -n tts scale deploy/chatterbox-tts --replicas=0
    else
      echo "guard OK: free >= floor -> chatterbox-tts may keep running"
    fi
    ;;
  down)
    echo "window end -> scaling chatterbox-tts to 0"
    kubectl -n tts scale deploy/chatterbox-tts --replicas=0
    ;;
  demand)
    # GPU-gated LIVE narration (tripit#24 amendment, 2026-06-12): scale up
    # whenever tripit has audio waiting AND the card has room; idle back
    # down when the queue empties (even inside the nightly window — done is
    # done, free the card early). The 02:00 window-up stays the guaranteed
    # nightly catch-up for days the daytime card never had room.
    # A FAILED probe must not read as "queue empty": defaulting to 0 idled
    # the deployment the very minute it first went Ready (2026-06-12 20:30
    # UTC — one transient curl failure, 27 items still queued). Fail-safe
    # is NO ACTION; worst case a stale-up deployment idles until the 06:00
    # window-down. (This also covers a 404 from an older tripit image.)
    if ! QBODY="$(curl -sf -m 10 "${QUEUE_URL}")"; then
      echo "demand: queue probe failed -> no action (fail-safe)"; exit 0
    fi
    QUEUED="$(printf '%s\n' "${QBODY}" \
      | sed -n 's/.*"queued"[^0-9]*\([0-9][0-9]*\).*/\1/p')"
    if [ -z "${QUEUED}" ]; then
      echo "demand: unparseable queue response -> no action (fail-safe)"; exit 0
    fi
    REPLICAS="$(kubectl -n tts get deploy/chatterbox-tts -o jsonpath='{.spec.replicas}')"
    echo "demand: queued=${QUEUED} replicas=${REPLICAS}"
    if [ "${QUEUED}" -gt 0 ] && [ "${REPLICAS}" = "0" ]; then
      if [ "${FREE}" -ge "${FLOOR}" ]; then
        echo "demand: audio waiting + room on the card -> scaling chatterbox-tts to 1"
        kubectl -n tts scale deploy/chatterbox-tts --replicas=1
      else
        echo "demand: audio waiting but free < floor -> staying down (nightly window catches up)"
      fi
    elif [ "${QUEUED}" -eq 0 ] && [ "${REPLICAS}" != "0" ]; then
      echo "demand: queue empty -> idling chatterbox-tts back to 0"
      kubectl -n tts scale deploy/chatterbox-tts --replicas=0
    fi
    ;;
esac
