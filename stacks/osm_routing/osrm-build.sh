# sh, not bash: the osrm-backend image ships /bin/sh only. No pipefail for
# the same reason. wget, not curl: curl is not in the image (verified 2026-08-04).
set -eu
cd /data
echo "downloading Greater London extract"
rm -f greater-london-latest.osm.pbf.tmp
wget -q -O greater-london-latest.osm.pbf.tmp \
  https://download.geofabrik.de/europe/united-kingdom/england/greater-london-latest.osm.pbf
mv greater-london-latest.osm.pbf.tmp greater-london-latest.osm.pbf
for profile in foot bicycle; do
  echo "=== building $profile ==="
  rm -rf "$profile.new"
  mkdir -p "$profile.new"
  cp greater-london-latest.osm.pbf "$profile.new/"
  osrm-extract -p "/opt/$profile.lua" "$profile.new/greater-london-latest.osm.pbf"
  osrm-partition "$profile.new/greater-london-latest.osrm"
  osrm-customize "$profile.new/greater-london-latest.osrm"
  rm -f "$profile.new/greater-london-latest.osm.pbf"
  rm -rf "$profile.old"
  if [ -d "$profile" ]; then mv "$profile" "$profile.old"; fi
  mv "$profile.new" "$profile"
  rm -rf "$profile.old"
  echo "built $profile"
done
ls -la /data/foot /data/bicycle
