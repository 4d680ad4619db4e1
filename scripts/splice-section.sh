#!/usr/bin/env bash
# Puts standard input into FILE between the lines `<!-- NAME: begin -->` and
# `<!-- NAME: end -->`, replacing what was there (or appending the section
# when FILE lacks it), so that each benchmark script rewrites its own part of
# BENCHMARKS.md and leaves the rest alone.
#   scripts/splice-section.sh NAME FILE < section.md
set -euo pipefail
name="$1" file="$2"
body="$(mktemp)"
trap 'rm -f "$body"' EXIT
cat > "$body"
# The section arrives on stdin, so python reads it from a file: its own
# program is the heredoc below.
python3 - "$name" "$file" "$body" <<'PY'
import sys
name, path, body_path = sys.argv[1], sys.argv[2], sys.argv[3]
body = open(body_path).read().rstrip("\n") + "\n"
begin, end = f"<!-- {name}: begin -->\n", f"<!-- {name}: end -->\n"
try:
    text = open(path).read()
except FileNotFoundError:
    text = ""
if begin in text and end in text:
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    text = head + begin + body + end + tail
else:
    text = text.rstrip("\n") + ("\n\n" if text else "") + begin + body + end
open(path, "w").write(text)
PY
