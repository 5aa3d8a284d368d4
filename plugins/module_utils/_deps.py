# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Optional third-party libraries, imported under guard.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

A plugin declares its imports inside ``with declare("pyotp"):`` at module level, so that the file
always imports (ansible-test's import sanity test runs plugins in a near-empty virtualenv). The
code that needs the library then calls ``validate(module, "pyotp")`` in a module, or
``require("pyotp")`` on the controller, and the user gets one clear message naming the library and
the Python it looked in.
"""

from __future__ import annotations

import sys
import traceback
from contextlib import contextmanager

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.fleet2fa.nas.plugins.module_utils._errors import Fleet2faError


class MissingLibraryError(Fleet2faError):
    """A declared library could not be imported; the message names it and the interpreter."""

    def __init__(self, message, import_traceback=None):
        super().__init__(message)
        self.import_traceback = import_traceback


class _Declared:
    __slots__ = ("name", "reason", "url", "import_traceback")

    def __init__(self, name, reason=None, url=None):
        self.name = name
        self.reason = reason
        self.url = url
        self.import_traceback = None

    @property
    def missing(self):
        return self.import_traceback is not None

    def message(self):
        return missing_required_lib(self.name, reason=self.reason, url=self.url)


_DECLARED = {}


@contextmanager
def declare(name, reason=None, url=None):
    """Run the ``import`` statements of the block, remembering an ImportError instead of raising it."""
    declared = _Declared(name, reason=reason, url=url)
    _DECLARED[name] = declared
    try:
        yield declared
    except ImportError:
        declared.import_traceback = traceback.format_exc()


def missing(*names):
    """Names of the given declared libraries that failed to import (all declared when none given)."""
    wanted = names or tuple(_DECLARED)
    return [name for name in wanted if name in _DECLARED and _DECLARED[name].missing]


def validate(module, *names):
    """Fail an AnsibleModule with missing_required_lib for the first missing library."""
    for name in missing(*names):
        declared = _DECLARED[name]
        module.fail_json(msg=declared.message(), exception=declared.import_traceback)


def require(*names):
    """Controller side: raise MissingLibraryError for the first missing library."""
    for name in missing(*names):
        declared = _DECLARED[name]
        raise MissingLibraryError(
            "Failed to import the required Python library (%s) on the controller's Python %s. "
            "Install it into the Python that runs ansible (pip install %s)."
            % (name, sys.executable, declared.name),
            import_traceback=declared.import_traceback,
        )
