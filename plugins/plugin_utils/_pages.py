# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTML pages the collection writes (report.html, the handout's index.html), from Jinja2 templates.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

Jinja2 comes with ansible-core. The pages are rendered with a plain ``jinja2.Environment`` rather than
Ansible's Templar: autoescape on (host and user names come from inventories and boxes), undefined
names are errors, and no lookup or filter plugin can reach into the page.
"""

from __future__ import annotations

import os

import jinja2

ROLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "roles")


def builtin(role, name):
    """The path of a role's built-in template, in the installed collection."""
    return os.path.normpath(os.path.join(ROLES, role, "templates", name))


def render(path, context, filters=None):
    """The text of template file ``path`` with ``context``."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.dirname(path)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    env.filters.update(filters or {})
    return env.get_template(os.path.basename(path)).render(context)
