# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared descriptions of the attributes every plugin of the collection states.

Modules take ``fleet2fa.nas.attributes`` and state their own support levels; the other parts give
whole attributes that several modules share, and a module's own entry (``details``, a lower
``support``) overrides them.
"""

from __future__ import annotations


class ModuleDocFragment:
    # Each plugin states its own support level and the reason when it is partial.
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in C(check_mode) and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in C(check_mode)), when in diff mode.
  idempotent:
    description:
      - When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
      - This assumes that the system controlled/queried by the module has not changed in a relevant way.
"""

    # For modules with an action plugin that does part of the work on the controller.
    ACTION = r"""
options: {}
attributes:
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    support: full
"""

    # Members of the escrow action group (meta/runtime.yml).
    ACTIONGROUP_ESCROW = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/fleet2fa.nas.escrow) in C(module_defaults) to set O(escrow) once for every task that takes it.
    support: full
    membership:
      - fleet2fa.nas.escrow
"""

    # Members of the truenas action group (meta/runtime.yml).
    ACTIONGROUP_TRUENAS = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/fleet2fa.nas.truenas) in C(module_defaults) to set the middleware options once.
    support: full
    membership:
      - fleet2fa.nas.truenas
"""

    # Controller-only actions that read or write the escrow: what they have in common. A module states
    # only where it differs (details of check mode, a diff, partial idempotence).
    ESCROW_ACTION = r"""
options: {}
attributes:
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    support: full
    details: Runs on the controller only.
  action_group:
    description: Use C(group/fleet2fa.nas.escrow) in C(module_defaults) to set O(escrow) once for every task that takes it.
    support: full
    membership:
      - fleet2fa.nas.escrow
  check_mode:
    support: full
  diff_mode:
    support: none
  idempotent:
    support: full
"""
