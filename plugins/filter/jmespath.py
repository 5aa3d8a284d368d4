# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet2fa.nas.jmespath filter. The work is in plugin_utils/_query.py."""

from __future__ import annotations

DOCUMENTATION = r"""
name: jmespath
short_description: Select from fleet data with a JMESPath expression
version_added: 0.1.0
author: fleet2fa.nas developers (@fleet2fa)
description:
  - Evaluates a JMESPath expression (U(https://jmespath.org/specification.html)) over the input,
    for example the fleet report data or escrow metadata, to pick hosts and users.
  - Besides the standard functions, two functions help with dates, which JMESPath lacks.
    The function C(age_days) takes an ISO 8601 UTC timestamp such as V(2026-11-28T17:09:08Z) and
    returns the number of whole days since then (V(null) for V(null)). The function C(now) takes no
    argument and returns the current time as such a timestamp.
  - Input is converted to plain JSON types first, so Ansible's own string and mapping types work
    with type-checking functions such as C(starts_with) and C(contains).
  - A bad expression fails the task with a message that names the expression and where it is wrong.
  - Needs the Python library C(jmespath) on the controller.
options:
  _input:
    description: The data to query (mappings, lists, strings, numbers, booleans, null).
    type: raw
    required: true
  expression:
    description: The JMESPath expression.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Hosts and users whose secret is older than 90 days
  ansible.builtin.debug:
    msg: "{{ report | fleet2fa.nas.jmespath('hosts[].users[?age_days > `90`][].[host, user]') }}"

- name: The same over raw escrow metadata, with the date function
  ansible.builtin.debug:
    msg: "{{ entries | fleet2fa.nas.jmespath('[?age_days(rotated || created) > `90`].user') }}"

- name: Hosts where SSH OTP is off
  ansible.builtin.debug:
    msg: "{{ report | fleet2fa.nas.jmespath('hosts[?ssh_otp == `false`].host') }}"
"""

RETURN = r"""
_value:
  description: What the expression selects; V(null) when nothing matches a non-projection expression.
  type: raw
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.fleet2fa.nas.plugins.module_utils._errors import Fleet2faError
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._query import search


def fleet2fa_jmespath(data, expression):
    try:
        return search(expression, data)
    except Fleet2faError as exc:
        raise AnsibleFilterError("fleet2fa.nas.jmespath: %s" % exc) from None


class FilterModule:
    def filters(self):
        return {"jmespath": fleet2fa_jmespath}
