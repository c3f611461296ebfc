import sys
p = sys.argv[1]
lines = open(p).read().splitlines(True)
out, done = [], False
for ln in lines:
    out.append(ln)
    if not done and '- --authorization-mode=' in ln:
        indent = ln[:len(ln) - len(ln.lstrip())]
        out.append(indent + '- --authentication-config=/etc/kubernetes/pki/auth-config.yaml\n')
        done = True
open(p, 'w').writelines(out)
print('flag-inserted' if done else 'ANCHOR-NOT-FOUND')
