# Shared by the benchmark scripts (sourced, not run): medians of RUNS runs of
# a command, and the reading rows (verify and unpack against unzip) of one
# bundle. Needs $runs, $ferry, and k.pub in the current folder.

# Median wall time, median CPU time (user+sys) of $runs runs of a command, and
# the largest peak RSS (MiB) among them: "wall cpu rss".
measure() {
  local walls=() cpus=() rss=0 w m u s
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M %U %S" -o t.out "$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; exit 3; }
    read -r w m u s < t.out
    walls+=("$w"); cpus+=("$(python3 -c "print(f'{$u + $s:.2f}')")")
    [ "$m" -gt "$rss" ] && rss=$m
  done
  printf '%s %s %s\n' "$(printf '%s\n' "${walls[@]}" | median_of)" \
    "$(printf '%s\n' "${cpus[@]}" | median_of)" "$(( rss / 1024 ))"
}
# Peak RSS (MiB) of one run of a command that exits 0 or 1 (1: it found something).
peak_rss() {
  local rc=0 m
  /usr/bin/time -f "%M" -o t.out "$@" >/dev/null 2>&1 || rc=$?
  [ "$rc" -le 1 ] || { echo "bench: failed ($rc): $*" >&2; exit 3; }
  m=$(tail -n1 t.out); echo "$(( m / 1024 ))"
}
median_of() { sort -n | sed -n "$(( (runs + 1) / 2 ))p"; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }

unzip_check() { rm -rf y && unzip -q "$1" -d y && (cd y && sha256sum -c --quiet ../sums); }
unpack_once() { rm -rf site && "$ferry" unpack "$1" --pub k.pub -C site -q; }

# The reading rows of BUNDLE as Markdown table rows: verify against
# `unzip -tq`, unpack against `unzip -q` + `sha256sum -c` (sums made once),
# with ferry's CPU time and peak RSS; TARGET is verify's target ratio.
reading_rows() {
  local bundle=$1 target=$2 v vc vr u uc ur p pc pr z zc
  echo "bench: verify and unpack of $bundle" >&2
  "$ferry" verify "$bundle" --pub k.pub -q >/dev/null 2>&1 || { echo "bench: $bundle does not verify" >&2; exit 3; }
  read -r v vc vr < <(measure "$ferry" verify "$bundle" --pub k.pub -q)
  read -r u uc _ < <(measure unzip -tq "$bundle")
  rm -rf x && unzip -q "$bundle" -d x && (cd x && find . -type f -print0 | sort -z | xargs -0 sha256sum > ../sums) && rm -rf x
  export -f unzip_check unpack_once; export ferry
  read -r z zc _ < <(measure bash -c "unzip_check $bundle")
  read -r p pc pr < <(measure bash -c "unpack_once $bundle")
  rm -rf y site sums
  echo "| verify | $v s ($vc s CPU) | $u s ($uc s CPU): \`unzip -tq\` | $(ratio "$v" "$u") | ≤ $target | $vr MiB |"
  echo "| unpack | $p s ($pc s CPU) | $z s ($zc s CPU): \`unzip -q\` + \`sha256sum -c\` | $(ratio "$p" "$z") | ≤ 1.0 | $pr MiB |"
}
