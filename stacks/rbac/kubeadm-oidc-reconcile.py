import sys
lines = sys.stdin.read().split('\n')
out, i, n = [], 0, len(lines)
have_authn = any('name: authentication-config' in l for l in lines)
inserted = have_authn
while i < n:
    ln = lines[i]; s = ln.strip()
    if s.startswith('- name: oidc-'):
        i += 2 if (i + 1 < n and lines[i + 1].strip().startswith('value:')) else 1
        continue
    out.append(ln)
    if (not inserted) and s == '- name: authorization-mode':
        indent = ln[:len(ln) - len(ln.lstrip())]
        if i + 1 < n and lines[i + 1].strip().startswith('value:'):
            out.append(lines[i + 1]); i += 2
        else:
            i += 1
        out.append(indent + '- name: authentication-config')
        out.append(indent + '  value: /etc/kubernetes/pki/auth-config.yaml')
        inserted = True
        continue
    i += 1
if not inserted:
    sys.stderr.write('ANCHOR-NOT-FOUND: authorization-mode\n'); sys.exit(3)
sys.stdout.write('\n'.join(out))
