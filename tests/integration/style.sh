#!/bin/bash
# tests/integration/style.sh - every C file tracked by git is formatted as
# .clang-format says (STYLE.md rule 11). Also run by `make check-format`.
. "$(dirname "$0")/../lib.sh"
command -v clang-format >/dev/null || skip_all "clang-format is not installed"
cd "$TOP_SRCDIR" || exit 1
git rev-parse --git-dir >/dev/null 2>&1 || skip_all "not a git checkout (the file list comes from git)"
for f in $(git ls-files '*.c' '*.h'); do
    if clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
        ok "format: $f"
    else
        not_ok "format: $f (run clang-format -i $f)"
    fi
done
done_testing
