#!/usr/bin/env bash
# data/licenses/<SPDX id>.txt: the reference texts ferry's license detector
# (askalono) compares license files against, and data/licenses/notices/<id>.txt:
# the short notice form of a license (the text SPDX's own license text tells
# users to put in their files: Apache-2.0's appendix, MPL-2.0's Exhibit A),
# cut out of that same text. Taken from the spdx-license-list npm package
# 6.12.0 (SPDX License List 3.28.0, CC-BY-3.0), for the licenses Go modules
# carry in practice. Re-run to refresh; commit the result.
set -euo pipefail
cd "$(dirname "$0")/.."
version=6.12.0
ids=(0BSD AGPL-3.0-only Apache-2.0 Artistic-2.0 BlueOak-1.0.0 BSD-2-Clause BSD-3-Clause
     BSD-4-Clause BSL-1.0 CC-BY-4.0 CC0-1.0 EPL-2.0 EUPL-1.2 GPL-2.0-only GPL-3.0-only ISC
     LGPL-2.1-only LGPL-3.0-only MIT MIT-0 MPL-2.0 PostgreSQL Unlicense Zlib
     # near kin of the above, so that a text is named for what it is
     # (CC-BY-SA-4.0 is not CC-BY-4.0), and the rest of pkg.go.dev's list
     AFL-3.0 Apache-1.1 BSD-1-Clause BSD-2-Clause-Patent BSD-2-Clause-Views BSD-3-Clause-Clear
     BSD-4-Clause-UC CC-BY-3.0 CC-BY-SA-3.0 CC-BY-SA-4.0 CDDL-1.0 EPL-1.0 HPND JSON
     LGPL-2.0-only MPL-1.1 MS-PL MulanPSL-2.0 NCSA OFL-1.1 OpenSSL PSF-2.0 Python-2.0
     Unicode-DFS-2016 UPL-1.0 WTFPL X11)
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack -q "spdx-license-list@$version" >/dev/null && tar xzf "spdx-license-list-$version.tgz")
rm -rf data/licenses && mkdir -p data/licenses/notices
for id in "${ids[@]}"; do
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["licenseText"], end="")' \
    "$work/package/licenses/$id.json" > "data/licenses/$id.txt"
done
# The notice form: from its first words to its last, as the license text has it.
notice() { # id first last
  python3 - "data/licenses/$1.txt" "$2" "$3" > "data/licenses/notices/$1.txt" <<'PY'
import sys
text, first, last = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3]
start = text.index(first)
end = text.index(last, start) + len(last)
print("\n".join(line.strip() for line in text[start:end].splitlines()))
PY
}
notice Apache-2.0 "Licensed under the Apache License" "limitations under the License."
notice MPL-2.0 "This Source Code Form is subject" "MPL/2.0/."
echo "data/licenses: ${#ids[@]} texts and 2 notices from spdx-license-list@$version"
