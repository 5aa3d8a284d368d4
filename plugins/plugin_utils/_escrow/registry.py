# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Escrow backend names and the classes that serve them.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

The names are those of module_utils/_escrow_spec.py (``backend``'s choices); a unit test checks that
every name has a class here and every class a name there. This module imports the backends, and
they import only store.py: no circle.
"""

from __future__ import annotations

from ansible_collections.fleet2fa.nas.plugins.module_utils._escrow_spec import BACKENDS, DEFAULTS
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.file import VaultFileEscrow
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.openbao import KvEscrow, TotpEngineEscrow
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import EscrowError

BACKEND_CLASSES = {cls.backend: cls for cls in (VaultFileEscrow, KvEscrow, TotpEngineEscrow)}


def open_escrow(options, vault_secrets=None, basedir=None):
    """The store for the escrow options given (the rest take their defaults).

    ``vault_secrets`` are the play's, as in ``DataLoader._vault.secrets``; ``basedir`` is the
    playbook's folder, which a relative ``dir`` is relative to.
    """
    opts = dict(DEFAULTS)
    opts.update({name: value for name, value in (options or {}).items() if value is not None})
    cls = BACKEND_CLASSES.get(opts["backend"])
    if cls is None:
        raise EscrowError("unknown escrow backend %r: choose one of %s" % (opts["backend"], ", ".join(BACKENDS)))
    return cls.open(opts, vault_secrets=vault_secrets, basedir=basedir)
