# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Time and plain-data helpers of the controller, one of each, and the names of password variables.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

Timestamps are those of module_utils/_time.py (``2026-11-28T17:09:08Z``).
"""

from __future__ import annotations

import datetime

from ansible_collections.fleet2fa.nas.plugins.module_utils._time import iso_utc

# Ansible's variables for an SSH login password (the preflight refuses them: the rollout needs a key).
SSH_PASSWORD_VARS = ("ansible_password", "ansible_ssh_pass", "ansible_ssh_password")
# Host variables that hold a password whether or not they are vaulted: the SSH ones, become's, and the
# collection's root password variables (roles/rollout/defaults/main.yml).
PASSWORD_VARS = SSH_PASSWORD_VARS + ("ansible_become_password", "ansible_become_pass", "ansible_sudo_pass",
                                     "fleet2fa_root_password", "fleet2fa_vault_root_password")
_PASSWORD_SUFFIXES = ("_password", "_pass", "_passwd")


def is_password_var(name):
    """Whether a variable of this name holds a password: a known one, or any ``*_password``/``*_pass``."""
    return isinstance(name, str) and (name in PASSWORD_VARS or name.endswith(_PASSWORD_SUFFIXES))


def utcnow():
    """Now, as an escrow or report timestamp."""
    return iso_utc()


def parse_timestamp(value):
    """A timezone-aware datetime of an ISO 8601 timestamp (UTC when it names no zone), or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        stamp = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=datetime.timezone.utc)
    return stamp


def epoch_seconds(value):
    """Seconds since 1970 of an ISO 8601 timestamp, or None when it is not one."""
    stamp = parse_timestamp(value)
    return None if stamp is None else stamp.timestamp()


def plain(value):
    """Plain JSON/YAML types, recursively; anything else becomes its string.

    ansible-core 2.19+ hands plugins tagged str and dict subclasses, which YAML dumpers and jmespath
    (it checks argument types by exact class) refuse.
    """
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if hasattr(value, "items") and callable(value.items):
        return {str(k): plain(v) for k, v in value.items()}
    return str(value)
