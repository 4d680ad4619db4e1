#!/usr/bin/env bash
# data/licenses/<SPDX id>.txt: the reference texts ferry's license detector
# (askalono) compares LICENSE/COPYING/NOTICE files against. Taken from the
# spdx-license-list npm package (SPDX license list data, CC-BY-3.0), for the
# licenses Go modules carry in practice. Re-run to refresh; commit the result.
set -euo pipefail
cd "$(dirname "$0")/.."
version=6.12.0
ids=(0BSD AGPL-3.0-only Apache-2.0 Artistic-2.0 BlueOak-1.0.0 BSD-2-Clause BSD-3-Clause
     BSD-4-Clause BSL-1.0 CC-BY-4.0 CC0-1.0 EPL-2.0 EUPL-1.2 GPL-2.0-only GPL-3.0-only ISC
     LGPL-2.1-only LGPL-3.0-only MIT MIT-0 MPL-2.0 PostgreSQL Unlicense Zlib)
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack -q "spdx-license-list@$version" >/dev/null && tar xzf "spdx-license-list-$version.tgz")
rm -rf data/licenses && mkdir -p data/licenses
for id in "${ids[@]}"; do
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["licenseText"], end="")' \
    "$work/package/licenses/$id.json" > "data/licenses/$id.txt"
done
echo "data/licenses: ${#ids[@]} texts from spdx-license-list@$version"
