# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one timestamp format of escrow entries, reports and state.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

ISO 8601 in UTC, to the second, with a ``Z``: ``2026-11-28T17:09:08Z``. Host modules write it with
``iso_utc``; the controller reads it back with plugin_utils/_common.py's ``parse_timestamp``.
"""

from __future__ import annotations

import datetime

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def iso_utc(epoch=None):
    """``epoch`` (seconds since 1970; now when omitted) as such a timestamp."""
    when = datetime.datetime.now(datetime.timezone.utc) if epoch is None else \
        datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)
    return when.strftime(TIMESTAMP_FORMAT)
