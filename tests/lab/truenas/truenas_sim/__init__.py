# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A TrueNAS middleware stand-in for the fleet2fa lab.

Each behaviour follows the middleware's own source at the release branch of its version
(github.com/truenas/middleware: truenas/13.0-stable, stable/bluefin, stable/cobia,
stable/dragonfish, stable/electriceel, stable/fangtooth, stable/goldeye, stable/26) and the
official client (github.com/truenas/api_client); comments cite branch:path:line, ``mw:`` standing
for src/middlewared/middlewared/. "[sim]" marks what the simulator does where it models less than
the box (and says what).
"""


def load_methods():
    from . import (audit, methods_account, methods_api_key, methods_auth, methods_internal,  # noqa: F401
                   methods_settings, methods_system, methods_twofactor, methods_user)
