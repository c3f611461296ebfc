if [ ! -f /tools/modelrelay/node_modules/.package-lock.json ]; then
  mkdir -p /tools/modelrelay
  cd /tools/modelrelay
  npm init -y > /dev/null 2>&1
  npm install modelrelay > /dev/null 2>&1
fi
cd /tools/modelrelay
exec npx modelrelay --port 7352
