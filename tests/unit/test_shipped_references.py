# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ships cites only what ships: no design notes or research files of the project's workspace, no
placeholder links, and the docs/ files that code and roles point a reader to exist."""
from __future__ import annotations

import os
import re

import pytest

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SHIPPED = ("plugins", "roles", "playbooks", "meta")
NOT_SHIPPED = re.compile(r"DESIGN\.md|research/|\bresearch\b.*\.md|example\.invalid")
DOC_REFERENCE = re.compile(r"docs/([a-z0-9_.-]+\.md)")


def _shipped_files():
    for top in SHIPPED:
        for folder, _dirs, names in os.walk(os.path.join(TOP, top)):
            for name in names:
                if name.endswith((".py", ".yml", ".yaml", ".j2")):
                    yield os.path.join(folder, name)


@pytest.mark.parametrize("path", sorted(_shipped_files()), ids=lambda p: os.path.relpath(p, TOP))
def test_a_shipped_file_cites_nothing_that_does_not_ship(path):
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    assert not NOT_SHIPPED.search(text), NOT_SHIPPED.search(text).group(0)
    for name in DOC_REFERENCE.findall(text):
        assert os.path.isfile(os.path.join(TOP, "docs", name)), "docs/%s" % name
