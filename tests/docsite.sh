#!/usr/bin/env bash
# The guides in docs/*.md are the one home of their text; a collection docsite (antsibull-docs)
# reads RST pages from docs/docsite/rst and their index from docs/docsite/extra-docs.yml. This
# makes both from the guides with pandoc (gfm to RST, links between guides kept as links between
# pages: docs/docsite/links.lua).
#
#   tests/docsite.sh write    make docs/docsite/rst/*.rst and extra-docs.yml anew (make docsite)
#   tests/docsite.sh check    they match the guides, and antsibull-docs lint-collection-docs
#                             --plugin-docs passes (make lint)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# The order of the index; a guide not named here is listed after the user guides.
USER_GUIDES=(guide escrow linux-sshd truenas report handout awx molecule performance)
LAB_GUIDES=(lab truenas-simulator)

title_of() { sed -n '1s/^# //p' "docs/$1.md"; }

yaml_quote() { python3 -c 'import json, sys; print(json.dumps(sys.argv[1]))' "$1"; }

render() {  # render DEST: every guide as DEST/rst/<name>.rst, and DEST/extra-docs.yml
  local dest=$1 name listed=" ${USER_GUIDES[*]} ${LAB_GUIDES[*]} " users=() labs=()
  mkdir -p "$dest/rst"
  for md in docs/*.md; do
    name=$(basename "$md" .md)
    {
      echo ".. Made by tests/docsite.sh from docs/$name.md: edit that file, then run make docsite."
      echo
      echo ".. _ansible_collections.fleet2fa.nas.docsite.$name:"
      echo
      pandoc -f gfm-gfm_auto_identifiers -t rst --wrap=none --columns=1000 --lua-filter docs/docsite/links.lua "$md"
    } >"$dest/rst/$name.rst"
  done
  for name in "${USER_GUIDES[@]}"; do [[ -f docs/$name.md ]] && users+=("$name"); done
  for md in docs/*.md; do
    name=$(basename "$md" .md)
    [[ $listed == *" $name "* ]] || users+=("$name")
  done
  for name in "${LAB_GUIDES[@]}"; do [[ -f docs/$name.md ]] && labs+=("$name"); done
  {
    echo "---"
    echo "# Made by tests/docsite.sh from docs/*.md (make docsite): the guides as docsite pages."
    echo "sections:"
    echo "  - title: Guides"
    echo "    toctree:"
    for name in "${users[@]}"; do
      echo "      - ref: $name"
      echo "        title: $(yaml_quote "$(title_of "$name")")"
    done
    echo "  - title: The test lab"
    echo "    toctree:"
    for name in "${labs[@]}"; do
      echo "      - ref: $name"
      echo "        title: $(yaml_quote "$(title_of "$name")")"
    done
  } >"$dest/extra-docs.yml"
}

case ${1:-} in
  write)
    rm -rf docs/docsite/rst
    render docs/docsite
    echo "docsite: $(find docs/docsite/rst -name '*.rst' | wc -l) pages in docs/docsite/rst, index in docs/docsite/extra-docs.yml"
    ;;
  check)
    work=$(mktemp -d /tmp/fleet2fa-docsite.XXXXXX)
    trap 'rm -rf "$work"' EXIT
    render "$work"
    if ! diff -ru docs/docsite/rst "$work/rst" >"$work/diff" || ! diff -u docs/docsite/extra-docs.yml "$work/extra-docs.yml" >>"$work/diff"; then
      head -n 40 "$work/diff" >&2
      echo "docsite: docs/docsite does not match the guides in docs/: run make docsite and commit the result" >&2
      exit 1
    fi
    # antsibull-docs lints a copy of the collection in a temporary folder. With the Makefile's
    # PYTHONPATH it would find this checkout too and write each plugin page's "edit on GitHub" link
    # relative to the copy's random folder name; a name that ends in "_" then reads as an RST
    # reference and fails the page ("Unknown target name"), about one run in 37.
    env -u PYTHONPATH antsibull-docs lint-collection-docs --plugin-docs .
    echo "docsite: $(find docs/docsite/rst -name '*.rst' | wc -l) pages match the guides; antsibull-docs lint-collection-docs --plugin-docs passed"
    ;;
  *) echo "usage: $0 write | check" >&2; exit 2 ;;
esac
