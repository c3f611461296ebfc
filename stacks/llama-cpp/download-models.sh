set -euo pipefail
pip install --quiet --no-cache-dir 'huggingface_hub>=0.24'
python - <<'PY'
import json, os, glob
from huggingface_hub import snapshot_download
models = json.loads(os.environ["MODELS_JSON"])
for mid, cfg in models.items():
    local_dir = f"/models/{mid}"
    os.makedirs(local_dir, exist_ok=True)
    text_only = cfg.get("text_only", False)
    patterns = [cfg["gguf_pattern"]]
    if not text_only and cfg.get("mmproj_pattern"):
        patterns.append(cfg["mmproj_pattern"])
    print(f"==> downloading {mid} from {cfg['hf_repo']} -> {local_dir} (text_only={text_only})", flush=True)
    snapshot_download(
        repo_id=cfg["hf_repo"],
        local_dir=local_dir,
        allow_patterns=patterns,
        token=os.environ.get("HF_TOKEN") or None,
        # Single-threaded download — multi-worker buffers
        # multi-GB chunks per worker and OOMs the Job at 2Gi.
        max_workers=1,
    )
    # Resolve actual filenames and create stable symlinks so
    # llama-swap config is filename-agnostic.
    # Glob by the model's OWN gguf_pattern. This was hardcoded to
    # *Q4_K_M* until 2026-08-21, which worked only because every
    # model happened to be Q4_K_M: any other quant downloaded fine
    # and then failed the symlink step with "no GGUF found".
    ggufs = [p for p in glob.glob(f"{local_dir}/{cfg['gguf_pattern']}") if "mmproj" not in p.lower()]
    if not ggufs:
        raise SystemExit(f"no GGUF found in {local_dir}")
    gguf_link = f"{local_dir}/model.gguf"
    if os.path.islink(gguf_link) or os.path.exists(gguf_link):
        os.unlink(gguf_link)
    os.symlink(os.path.basename(ggufs[0]), gguf_link)
    if not text_only:
        mmprojs = glob.glob(f"{local_dir}/*mmproj*.gguf")
        if not mmprojs:
            raise SystemExit(f"no mmproj found in {local_dir}")
        mmproj_link = f"{local_dir}/mmproj.gguf"
        if os.path.islink(mmproj_link) or os.path.exists(mmproj_link):
            os.unlink(mmproj_link)
        os.symlink(os.path.basename(mmprojs[0]), mmproj_link)
    print(f"==> done {mid}", flush=True)
    for f in sorted(os.listdir(local_dir)):
        full = os.path.join(local_dir, f)
        if os.path.isfile(full) and not os.path.islink(full):
            print(f"   {f} ({os.path.getsize(full):,} bytes)", flush=True)
print("==> warming page cache", flush=True)
PY
# Warm the kernel page cache so first inference reads warm.
# Wrapped in bash (not the Python heredoc) to keep the cat
# output out of stdout buffering.
find /models -type f -name '*.gguf' ! -name 'model.gguf' ! -name 'mmproj.gguf' \
  -exec sh -c 'cat "$1" > /dev/null' _ {} \;
echo "ALL DONE"
