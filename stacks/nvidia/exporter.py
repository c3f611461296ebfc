#!/usr/bin/env python3
"""GPU Pod Memory Exporter - Collects per-pod GPU memory usage."""

import subprocess
import time
import re
import os
import json
import urllib.request
import ssl
from http.server import HTTPServer, BaseHTTPRequestHandler

METRICS_PORT = 9401
SCRAPE_INTERVAL = 15

# Kubernetes API configuration
K8S_API = "https://kubernetes.default.svc"
TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount/token"
CA_PATH = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"

# Cache for container ID to pod info mapping
container_cache = {}
cache_refresh_time = 0
CACHE_TTL = 60  # Refresh cache every 60 seconds

def get_k8s_token():
    """Read Kubernetes service account token."""
    try:
        with open(TOKEN_PATH, 'r') as f:
            return f.read().strip()
    except:
        return None

def refresh_container_cache():
    """Refresh the container ID to pod mapping from Kubernetes API."""
    global container_cache, cache_refresh_time

    token = get_k8s_token()
    if not token:
        return

    try:
        # Create SSL context with K8s CA
        ctx = ssl.create_default_context()
        if os.path.exists(CA_PATH):
            ctx.load_verify_locations(CA_PATH)

        # Get all pods on this node
        node_name = os.environ.get('NODE_NAME', '')
        url = f"{K8S_API}/api/v1/pods?fieldSelector=spec.nodeName={node_name}"

        req = urllib.request.Request(url, headers={
            'Authorization': f'Bearer {token}',
            'Accept': 'application/json'
        })

        with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
            data = json.loads(resp.read().decode())

        new_cache = {}
        for pod in data.get('items', []):
            pod_name = pod['metadata']['name']
            namespace = pod['metadata']['namespace']

            # Get container statuses
            for status in pod.get('status', {}).get('containerStatuses', []):
                container_id = status.get('containerID', '')
                # Extract the ID part (e.g., "containerd://abc123..." -> "abc123")
                if '://' in container_id:
                    container_id = container_id.split('://')[-1]
                if container_id:
                    short_id = container_id[:12]
                    new_cache[short_id] = {
                        'pod': pod_name,
                        'namespace': namespace,
                        'container': status.get('name', 'unknown')
                    }

        container_cache = new_cache
        cache_refresh_time = time.time()
        print(f"Refreshed container cache: {len(new_cache)} containers")

    except Exception as e:
        print(f"Error refreshing container cache: {e}")

def get_pod_info(container_id):
    """Look up pod info for a container ID."""
    global cache_refresh_time

    # Refresh cache if stale
    if time.time() - cache_refresh_time > CACHE_TTL:
        refresh_container_cache()

    return container_cache.get(container_id, {
        'pod': 'unknown',
        'namespace': 'unknown',
        'container': 'unknown'
    })

def get_gpu_processes():
    """Run nvidia-smi to get GPU process info."""
    try:
        result = subprocess.run(
            ["nvidia-smi", "--query-compute-apps=pid,used_memory,process_name", "--format=csv,noheader,nounits"],
            capture_output=True, text=True, timeout=10
        )
        if result.returncode != 0:
            print(f"nvidia-smi error: {result.stderr}")
            return []

        processes = []
        for line in result.stdout.strip().split('\n'):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split(',')]
            if len(parts) >= 3:
                pid, memory_mib, process_name = parts[0], parts[1], parts[2]
                processes.append({
                    'pid': pid,
                    'memory_bytes': int(memory_mib) * 1024 * 1024,
                    'process_name': process_name
                })
        return processes
    except Exception as e:
        print(f"Error running nvidia-smi: {e}")
        return []

def get_container_id(pid):
    """Map PID to container ID via cgroup."""
    cgroup_path = f"/host_proc/{pid}/cgroup"
    try:
        with open(cgroup_path, 'r') as f:
            for line in f:
                # Match container ID patterns (docker, containerd, cri-o)
                match = re.search(r'[:/]([a-f0-9]{64})', line)
                if match:
                    return match.group(1)[:12]
                match = re.search(r'cri-containerd-([a-f0-9]{64})', line)
                if match:
                    return match.group(1)[:12]
    except (FileNotFoundError, PermissionError):
        pass
    return "host"

# Global metrics storage
current_metrics = []

def collect_metrics():
    """Collect GPU memory metrics."""
    global current_metrics
    metrics = []
    processes = get_gpu_processes()

    for proc in processes:
        container_id = get_container_id(proc['pid'])
        pod_info = get_pod_info(container_id)
        metrics.append({
            'container_id': container_id,
            'pid': proc['pid'],
            'process_name': proc['process_name'],
            'memory_bytes': proc['memory_bytes'],
            'pod': pod_info['pod'],
            'namespace': pod_info['namespace'],
            'container': pod_info['container']
        })

    current_metrics = metrics

def format_metrics():
    """Format metrics in Prometheus exposition format."""
    lines = [
        "# HELP gpu_pod_memory_used_bytes GPU memory used by pod",
        "# TYPE gpu_pod_memory_used_bytes gauge"
    ]

    for m in current_metrics:
        labels = ','.join([
            f'namespace="{m["namespace"]}"',
            f'pod="{m["pod"]}"',
            f'container="{m["container"]}"',
            f'process_name="{m["process_name"]}"',
            f'pid="{m["pid"]}"'
        ])
        lines.append(f'gpu_pod_memory_used_bytes{{{labels}}} {m["memory_bytes"]}')

    return '\n'.join(lines) + '\n'

class MetricsHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == '/metrics':
            content = format_metrics()
            self.send_response(200)
            self.send_header('Content-Type', 'text/plain; charset=utf-8')
            self.end_headers()
            self.wfile.write(content.encode())
        elif self.path == '/health':
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'ok')
        else:
            self.send_response(404)
            self.end_headers()

    def log_message(self, format, *args):
        pass  # Suppress request logging

def background_collector():
    """Background thread to collect metrics periodically."""
    import threading
    def run():
        while True:
            collect_metrics()
            time.sleep(SCRAPE_INTERVAL)
    thread = threading.Thread(target=run, daemon=True)
    thread.start()

if __name__ == '__main__':
    print(f"Starting GPU Pod Memory Exporter on port {METRICS_PORT}")
    refresh_container_cache()  # Initial cache load
    collect_metrics()  # Initial collection
    background_collector()

    server = HTTPServer(('', METRICS_PORT), MetricsHandler)
    server.serve_forever()
