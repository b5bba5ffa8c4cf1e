#!/usr/bin/env bash
# Re-vendors the front-end assets into hub/static/vendor/ from the npm registry.
# They are committed, so a fresh machine needs neither npm nor a network to serve them.
#
# GOV.UK Frontend's GDS Transport font and crown artwork are licensed for GOV.UK services only;
# this hub is not one, so the fonts are left out and the CSS falls back to Arial, as the
# Design System advises for services outside GOV.UK.
set -euo pipefail
GOVUK_FRONTEND=6.3.0   # the release govuk-frontend-jinja 4.1.0 is verified against
HTMX=2.0.11            # htmx 2.x: flask-htmx predates htmx 4's rewrite
LEAFLET=1.9.4          # the hotspot map; 2.x is still alpha
SORTABLE=1.15.7        # the planner board's drag and drop (htmx's "sortable" pattern)

here=$(cd "$(dirname "$0")/.." && pwd)
out="$here/hub/static/vendor"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm pack --silent "govuk-frontend@$GOVUK_FRONTEND" "htmx.org@$HTMX" "leaflet@$LEAFLET" "sortablejs@$SORTABLE" >/dev/null
mkdir g h l s
tar xzf "govuk-frontend-$GOVUK_FRONTEND.tgz" -C g
tar xzf "htmx.org-$HTMX.tgz" -C h
tar xzf "leaflet-$LEAFLET.tgz" -C l
tar xzf "sortablejs-$SORTABLE.tgz" -C s

rm -rf "$out" && mkdir -p "$out/govuk-frontend" "$out/htmx" "$out/leaflet" "$out/sortablejs"
dist=g/package/dist/govuk
python3 - "$dist/govuk-frontend.min.css" "$out/govuk-frontend/govuk-frontend.min.css" <<'PY'
import re, sys
css = open(sys.argv[1], encoding="utf-8").read()
css = re.sub(r"@font-face\{[^}]*\}", "", css)
css = css.replace("GDS Transport,", "").replace("font-family:GDS Transport", "font-family:arial,sans-serif")
css = re.sub(r"/\*# sourceMappingURL=[^*]*\*/", "", css)
open(sys.argv[2], "w", encoding="utf-8").write(css)
PY
sed 's#//\# sourceMappingURL=.*##' "$dist/govuk-frontend.min.js" > "$out/govuk-frontend/govuk-frontend.min.js"
echo "MIT licence (see package.json of govuk-frontend $GOVUK_FRONTEND); the npm tarball ships no licence file" > "$out/govuk-frontend/LICENSE"
cp h/package/dist/htmx.min.js "$out/htmx/htmx.min.js"
cp h/package/LICENSE "$out/htmx/LICENSE"
cp l/package/dist/leaflet.js l/package/dist/leaflet.css l/package/LICENSE "$out/leaflet/"
cp -r l/package/dist/images "$out/leaflet/images"
cp s/package/Sortable.min.js s/package/LICENSE "$out/sortablejs/"
printf 'govuk-frontend %s\nhtmx.org %s\nleaflet %s\nsortablejs %s\n' "$GOVUK_FRONTEND" "$HTMX" "$LEAFLET" "$SORTABLE" > "$out/VERSIONS"
echo "vendored into $out"
