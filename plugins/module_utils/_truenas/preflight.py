# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host half of the preflight of a TrueNAS box: the middleware answers, the version is one we drive.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

It also reads the certificate the middleware serves on the box, over the key-authenticated SSH
session, so that a later API login proof from the controller can pin it (docs/truenas.md §7).
"""

from __future__ import annotations

import hashlib
import json
import ssl

from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.client import find_midclt
from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.version import UnsupportedVersionError, capabilities


def _server_certificate(address):
    try:
        return ssl.get_server_certificate(address, timeout=10)
    except TypeError:  # Python 3.9 has no timeout argument
        return ssl.get_server_certificate(address)


def truenas_preflight(module):
    """({truenas_version, profile, api_cert_sha256}, problems) for this box."""
    problems = []
    result = {}
    midclt = find_midclt(module)
    if not midclt:
        return result, ["midclt is not on this host: is it a TrueNAS box?"]
    rc, out, err = module.run_command([midclt, "call", "system.version"])
    if rc != 0:
        return result, ["midclt call system.version failed (is middlewared running?): %s"
                        % (err.strip().splitlines() or ["?"])[-1]]
    raw = out.strip()
    if raw.startswith('"'):
        try:
            raw = json.loads(raw)
        except ValueError:
            pass
    result["truenas_version"] = raw
    try:
        result["profile"] = capabilities(raw, host="this box").profile
    except UnsupportedVersionError as exc:
        problems.append(str(exc))
    try:
        pem = _server_certificate(("127.0.0.1", module.params["api_port"]))
        result["api_cert_sha256"] = hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest()
    except (OSError, ssl.SSLError, ValueError):
        result["api_cert_sha256"] = None
    return result, problems
