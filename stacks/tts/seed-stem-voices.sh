set -eu
mkdir -p /data/reference_audio
for f in /app/voices/*.wav /app/voices/*.mp3; do
  [ -e "$f" ] || continue
  stem="$(basename "$f")"; stem="${stem%.*}"
  [ -e "/data/reference_audio/$stem" ] || cp "$f" "/data/reference_audio/$stem"
done
echo "reference_audio seeded:"; ls /data/reference_audio
