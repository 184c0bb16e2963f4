#!/usr/bin/env bash
# The web pages' front-end assets, from npm (package-lock.json pins them):
#   govuk-frontend  the GOV.UK Design System's CSS and JS (not its font or crown: see static/site/)
#   htmx.org        partial updates on top of pages that work without JavaScript
#   axe-core        accessibility checks in the browser tests (never served)
#   swagger-ui-dist the API docs page (/api/docs/), served from our own origin like the rest
#   oidc-provider   the tests' real OpenID Connect provider (tests/oidc/provider.mjs, run by
#   jose            Node.js 20), with jose to sign its altered ID tokens; never served
# Only the files the pages load are copied into static/vendor/ (gitignored), which Django's
# static files finder serves and collectstatic collects.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v npm >/dev/null 2>&1; then
    echo "npm is needed for the web assets: install Node.js 20 or later (e.g. apt-get install nodejs npm)" >&2
    exit 1
fi

# npm ci only when the lock changed since the last install (it wipes node_modules each time).
stamp=node_modules/.tre-installed
if [[ ! -f $stamp || package-lock.json -nt $stamp ]]; then
    # No install scripts: these packages are files to copy, and swagger-ui-dist's dependency
    # @scarf/scarf would otherwise report the install to a third party.
    npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
    touch "$stamp"
fi

vendor=static/vendor
mkdir -p "$vendor"
# The source maps go too: the files name them, and collectstatic's manifest storage
# (production) follows those references.
for file in govuk-frontend.min.css govuk-frontend.min.js; do
    cp "node_modules/govuk-frontend/dist/govuk/$file" "node_modules/govuk-frontend/dist/govuk/$file.map" "$vendor/"
done
cp node_modules/htmx.org/dist/htmx.min.js "$vendor/"
# Swagger UI for /api/docs/ (core/api/docs.py), with the source maps its files name.
mkdir -p "$vendor/swagger-ui"
for file in swagger-ui-bundle.js swagger-ui-standalone-preset.js swagger-ui.css favicon-32x32.png; do
    cp "node_modules/swagger-ui-dist/$file" "$vendor/swagger-ui/"
    if [[ -f "node_modules/swagger-ui-dist/$file.map" ]]; then
        cp "node_modules/swagger-ui-dist/$file.map" "$vendor/swagger-ui/"
    fi
done
# We do not use the GOV.UK typeface (GDS Transport is licensed for GOV.UK only): drop its
# @font-face rules, whose /assets/fonts/ URLs would otherwise 404 on every page.
sed -E -i 's/@font-face\{[^}]*\}//g' "$vendor/govuk-frontend.min.css"
