from http.server import HTTPServer, BaseHTTPRequestHandler
import subprocess, time, json, os

BOT_USER = os.environ.get('FORGEJO_BOT_USER', 'viktor')

class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        try:
            body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
            data = json.loads(body)
            action = data.get('action', '')

            # Trigger on: new issue, reopened issue, or new comment
            trigger = False
            if action in ('opened', 'reopened'):
                issue = data.get('issue', {})
                print(f"Issue #{issue.get('number','?')} {action}: {issue.get('title','?')}")
                trigger = True
            elif action == 'created' and 'comment' in data:
                comment = data.get('comment', {})
                commenter = comment.get('user', {}).get('login', '')
                # Skip comments from the bot itself to avoid loops
                if commenter != BOT_USER:
                    issue = data.get('issue', {})
                    print(f"Comment on #{issue.get('number','?')} by {commenter}")
                    trigger = True
                else:
                    print(f"Skipping own comment on #{data.get('issue',{}).get('number','?')}")

            if trigger:
                job_name = f"task-processor-{int(time.time())}"
                subprocess.run([
                    'kubectl', 'create', 'job', job_name,
                    '--from=cronjob/task-processor',
                    '-n', 'openclaw'
                ], check=True)
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b'{"ok":true}')
            else:
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b'{"ok":true,"skipped":true}')
        except Exception as e:
            print(f"Error: {e}")
            self.send_response(500)
            self.end_headers()
            self.wfile.write(f'{{"error":"{e}"}}'.encode())

    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'{"status":"ok"}')

    def log_message(self, fmt, *args):
        print(f"[webhook] {args[0]} {args[1]} {args[2]}")

print("Task webhook receiver listening on :8080")
HTTPServer(('', 8080), Handler).serve_forever()
