# Find the openclaw pod
POD=$(kubectl get pods -n openclaw -l app=openclaw -o jsonpath='{.items[0].metadata.name}' 2>/dev/null)
if [ -z "$POD" ]; then
  echo "ERROR: OpenClaw pod not found"
  exit 1
fi
echo "Executing task processor in pod $POD..."
kubectl exec -n openclaw "$POD" -c openclaw -- \
  env FORGEJO_TOKEN="$FORGEJO_TOKEN" \
      FORGEJO_URL="http://forgejo.forgejo.svc.cluster.local" \
      OPENCLAW_TOKEN="$OPENCLAW_TOKEN" \
      OPENCLAW_URL="https://integrate.api.nvidia.com" \
  bash /workspace/infra/scripts/task-processor.sh
