set -e
export PATH=/data/npm-global/bin:$$PATH
export npm_config_cache=/data/npm-cache

# git identity + token rewrites so the agent can push from worktrees.
git config --global user.name "issue-implementer (AFK)"
git config --global user.email "afk-agent@viktorbarzin.me"
git config --global url."https://${GITHUB_TOKEN}@github.com/".insteadOf "https://github.com/"
git config --global url."https://${GITHUB_TOKEN}@github.com/".insteadOf "git@github.com:"
if [ -n "${FORGEJO_TOKEN}" ]; then
  git config --global url."https://${FORGEJO_TOKEN}@forgejo.viktorbarzin.me/".insteadOf "https://forgejo.viktorbarzin.me/"
fi

exec t3 serve --mode web --host 0.0.0.0 --port 3773 --base-dir /data/t3
