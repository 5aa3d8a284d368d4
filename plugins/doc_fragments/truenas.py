# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How the TrueNAS modules reach the middleware, and which versions they drive.

The list of versions comes from module_utils/_truenas/version.py, its one home.
"""

from __future__ import annotations

from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.version import SUPPORTED

_DOCUMENTATION = r"""
options:
  transport:
    description:
      - How to reach the TrueNAS middleware.
      - V(midclt) (the default) runs C(midclt call) on the box itself, where Ansible logged in with its SSH key.
        midclt talks to the local middleware socket as the connecting user (root has full rights), so there is
        no login and no one-time code, from CORE 13 to 26.
      - V(websocket) calls the middleware over the network with an API key, from wherever the module runs.
        Run the task with C(delegate_to=localhost) so that it runs on the controller. JSON-RPC 2.0 at
        C(/api/current) on 25.04 and later, the DDP-style C(/websocket) before; the endpoint is found by
        trying them in this order.
      - There is no REST transport. HTTP Basic auth is refused as soon as 2FA is on, and REST is gone in 26.
    type: str
    choices: [midclt, websocket]
    default: midclt
  api_url:
    description:
      - Base URL of the box for O(transport=websocket), for example V(wss://nas1.example.com) or
        V(wss://10.0.0.5:443).
      - With a path (V(wss://nas1/api/current)), that endpoint alone is used.
      - Use V(wss://); V(ws://) sends the API key in clear text.
    type: str
  api_key:
    description:
      - API key for O(transport=websocket).
      - On 24.10 and before keys are global; from 25.04 they belong to a user (give O(api_username)).
      - >-
        Mint one on the box with C(midclt call api_key.create '{"name": "fleet2fa", "username": "root"}')
        (25.04+) or C(midclt call api_key.create '{"name": "fleet2fa"}') (before).
    type: str
  api_username:
    description:
      - The user an API key belongs to (25.04+). When set, the key is sent with C(auth.login_ex)
        C(API_KEY_PLAIN); otherwise with the older C(auth.login_with_api_key), which 25.04 to 26 still take.
    type: str
  api_validate_certs:
    description:
      - Verify the box's TLS certificate and host name for O(transport=websocket).
      - Turn off only for a lab box with a self-signed certificate; prefer O(api_ca_path).
    type: bool
    default: true
  api_ca_path:
    description: A PEM file of the CA (or the self-signed certificate) to trust for O(transport=websocket).
    type: path
  api_timeout:
    description: Seconds to wait for the box to answer one call over O(transport=websocket).
    type: int
    default: 30
requirements:
  - C(websocket-client) on the controller, for O(transport=websocket) only.
notes:
  - Errors name the box and its C(system.version) string, never a secret.
  - "Supported versions: SUPPORTED_VERSIONS. Others are refused with a clear error before anything is changed."
"""


class ModuleDocFragment:
    """How the TrueNAS modules reach the middleware; DOCUMENTATION is set below."""


# Set after the class: ansible-test's yamllint reads only string literals in a fragment's class body,
# and the version list must come from version.py.
ModuleDocFragment.DOCUMENTATION = _DOCUMENTATION.replace("SUPPORTED_VERSIONS", SUPPORTED)
