#!/usr/bin/env bash
# Copies the built files of the npm packages in package.json into static/vendor/, where
# they are committed: the service and its pages never load code from a CDN.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --silent --no-audit --no-fund
rm -rf static/vendor/swagger-ui
mkdir -p static/vendor/swagger-ui
cp node_modules/swagger-ui-dist/{swagger-ui-bundle.js,swagger-ui.css,LICENSE} static/vendor/swagger-ui/
# Leaflet for the supervisors' map (static/dashboard): script, style, marker images.
rm -rf static/vendor/leaflet
mkdir -p static/vendor/leaflet
cp -r node_modules/leaflet/dist/{leaflet.js,leaflet.js.map,leaflet.css,images} static/vendor/leaflet/
cp node_modules/leaflet/LICENSE static/vendor/leaflet/
