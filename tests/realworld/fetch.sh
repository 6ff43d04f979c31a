#!/usr/bin/env bash
# Copies the real-world Terraform roots listed in SOURCES.md out of local git
# snapshots into $CONTIN_REALWORLD_DIR, one directory per row:
#
#   $CONTIN_REALWORLD_DIR/<directory>/          the repository's tree at <commit>
#   $CONTIN_REALWORLD_DIR/<directory>/.contin-realworld-root
#                                               the root's path inside it
#
# The whole tree is copied (not only the root) because roots use local
# modules (`source = "../../"`) and files (`file("user-data.sh")`) elsewhere
# in their repository. Nothing here is committed: it is third-party code.
#
# Snapshots: $CONTIN_MIRROR_DIR/<owner>+<name>/repo (a bare git directory,
# what the session's `fetch github:<owner>/<name>` tool brings), or
# $CONTIN_MIRROR_DIR/<owner>+<name> itself, or a clone at
# $CONTIN_MIRROR_DIR/<owner>/<name>. Default CONTIN_MIRROR_DIR: /work/.mirror.
#
# Usage: CONTIN_REALWORLD_DIR=/tmp/rw tests/realworld/fetch.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${CONTIN_REALWORLD_DIR:?set CONTIN_REALWORLD_DIR to the directory to fill}
mirrors=${CONTIN_MIRROR_DIR:-/work/.mirror}
mkdir -p "$out"
n=0 missing=0
# Rows of the corpus table: | directory | owner/name | `path` | commit |
while IFS='|' read -r _ dir repo path commit _; do
  dir=$(echo "$dir" | xargs) repo=$(echo "$repo" | xargs) commit=$(echo "$commit" | xargs)
  path=$(echo "$path" | xargs | tr -d '`')
  [[ "$path" == "/" ]] && path=.
  git=""
  for cand in "$mirrors/${repo/\//+}/repo" "$mirrors/${repo/\//+}" "$mirrors/$repo"; do
    if git -C "$cand" cat-file -e "$commit^{commit}" 2>/dev/null; then git=$cand; break; fi
  done
  if [[ -z "$git" ]]; then
    echo "missing: $repo at $commit (fetch github:$repo into $mirrors)" >&2
    missing=$((missing + 1))
    continue
  fi
  rm -rf "${out:?}/$dir"
  mkdir -p "$out/$dir"
  git -C "$git" archive --format=tar "$commit" | tar -x -C "$out/$dir"
  if [[ ! -d "$out/$dir/$path" ]]; then
    echo "$dir: $repo at $commit has no directory $path" >&2
    missing=$((missing + 1))
    continue
  fi
  printf '%s\n' "$path" >"$out/$dir/.contin-realworld-root"
  n=$((n + 1))
done < <(grep -E '^\| [A-Za-z0-9._-]+ \| [A-Za-z0-9._-]+/[A-Za-z0-9._-]+ \| `[^`]*` \| [0-9a-f]{40} \|$' "$here/SOURCES.md")
echo "fetched $n roots into $out ($missing missing)"
[[ $missing -eq 0 ]]
