set -euo pipefail
for node in $(kubectl get nodes -l nvidia.com/gpu.present=true -o jsonpath='{.items[*].metadata.name}'); do
  echo "re-asserting viktorbarzin.me/gpumem=14000 on $node"
  kubectl patch node "$node" --subresource=status --type=json \
    -p="[{\"op\":\"add\",\"path\":\"/status/capacity/viktorbarzin.me~1gpumem\",\"value\":\"14000\"}]"
done
