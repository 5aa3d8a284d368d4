# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The root of every error the collection raises on purpose, and the contract that comes with it.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.
"""

from __future__ import annotations


class Fleet2faError(Exception):
    """A clean failure whose message may be shown to anyone who reads the log.

    ansible-core prints failure messages even under ``no_log``, and task results carry them, so the
    message names the option, the host, the file or the version and what is wrong with it, and never
    holds a secret, a one-time code, a password or an otpauth URI. Text that came from elsewhere (a
    server's answer) is scrubbed before it goes in. Action plugins, lookups and module bodies catch
    this one class and show ``str(exc)``, without a traceback.
    """
