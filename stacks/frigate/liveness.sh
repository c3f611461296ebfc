                nvidia-smi > /dev/null 2>&1 || exit 1
                STATS=$(curl -sf --max-time 5 http://localhost:5000/api/stats) || exit 1
                echo "$STATS" | python3 -c "
import sys, json
stats = json.load(sys.stdin)
for name, det in stats.get('detectors', {}).items():
    speed = det.get('inference_speed', 0)
    if speed > 100:
        print(f'UNHEALTHY: detector {name} inference {speed}ms > 100ms threshold')
        sys.exit(1)
"
