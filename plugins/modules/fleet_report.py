#!/usr/bin/python
# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: fleet_report
short_description: Write the two-factor report of a fleet as JSON and as one HTML page
version_added: 0.1.0
author: fleet2fa.nas developers (@fleet2fa)
description:
  - Joins what each host said (the registered result of M(fleet2fa.nas.otp_state_info), read from the
    host variable O(state_var)) with the escrow's metadata, and writes C(<report_dir>/report.json)
    and C(<report_dir>/report.html).
  - A list of findings, each way around the code the report can see (a PAM line that makes the code optional,
    an authorized key of a person, a TrueNAS API key, a wide window, a secret missing from the escrow and more),
    with a stable C(id), the C(host), the C(user) (or V(null)), a C(severity) (V(low), V(medium), V(high)), a
    C(title), the C(fix) and a C(detail); high first, then by host. docs/report.md lists every id.
  - One record a host (status V(ok), V(failed), V(unreachable) or V(not_checked), 2FA and SSH OTP on or
    off) and one row a user (2FA and SSH OTP on the host, escrowed or not, fingerprint and whether it
    matches the host's, created, rotated, age in days, verified devices and their names, last proven
    login, last code used).
  - Unreachable and failed hosts stay in the report with their error, so they never vanish from it.
  - No secret is in either file. Before writing, both are checked against every escrowed secret
    (base32, hex and otpauth URI forms); the task fails rather than write one.
  - Files are 0600 in a 0700 folder and rewritten only when their bytes change. Ages are whole UTC
    calendar days, so an unchanged fleet gives the same bytes all day.
  - Runs once on the controller; give it every host of the play in O(hosts) and run it with
    C(run_once).
options:
  hosts:
    description: The inventory hostnames to report on. Hosts without O(state_var) are V(not_checked).
    type: list
    elements: str
    required: true
  state_var:
    description: The host variable that holds each host's registered M(fleet2fa.nas.otp_state_info) result.
    type: str
    default: fleet2fa_report_state
  outcome_var:
    description:
      - The host variable in which the rollout roles record a host's outcome (C(status), C(step),
        C(reason), C(rolled_back)). A status other than V(ok) marks the host V(failed) with that step
        and reason, even when the host answers now.
    type: str
    default: fleet2fa_outcome
  report_dir:
    description: Folder of C(report.json) and C(report.html), created 0700; relative to the playbook's folder.
    type: path
    required: true
  query:
    description:
      - A JMESPath expression over the report document (see docs/report.md for its fields) that narrows
        the report. Both files then hold the fleet summary and the selection (C(result)).
      - The functions C(age_days) and C(now) of the P(fleet2fa.nas.jmespath#filter) filter are available.
    type: str
  title:
    description: Title of the HTML page.
    type: str
    default: fleet2fa report
  template:
    description:
      - A Jinja2 template file for C(report.html), relative to the playbook's folder; by default the
        collection's C(roles/report/templates/report.html.j2). Copy that one to start from, its first
        lines list the context and the filters (C(word), C(when), C(cell), C(label)).
      - Rendered with autoescape on. The output is checked against every secret like the built-in page's.
    type: path
  fail_on:
    description:
      - Fail the task when a finding of this severity or worse is in the report, after both files are written
        (nightly drift checks in CI). The message names each finding's id, host and user.
      - Unset, findings never fail the task.
    type: str
    choices: [low, medium, high]
  max_window:
    description:
      - The widest code window (time steps either side) that is no finding (C(window-wide)); by default 3, the
        collection's Linux default. Set 1 for the bar of NIST SP 800-63B.
    type: int
  max_secret_age_days:
    description: Secrets older than this many days are a finding (C(secret-old)); by default 365.
    type: int
  accepted_key_users:
    description:
      - Users whose authorized keys log in without the code by design (C(authorized-key-human) is not reported
        for them). The automation account (the one Ansible runs the modules as) is always accepted.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - fleet2fa.nas.escrow
  - fleet2fa.nas.attributes
  - fleet2fa.nas.attributes.ESCROW_ACTION
attributes:
  check_mode:
    details: Reports which files would change; writes nothing.
  idempotent:
    details: The files change when the fleet, the escrow or the UTC date changes.
seealso:
  - module: fleet2fa.nas.otp_state_info
"""

EXAMPLES = r"""
- name: Read the state of each host
  fleet2fa.nas.otp_state_info:
    platform: "{{ 'truenas' if 'truenas' in group_names else 'linux' }}"
  register: fleet2fa_report_state
  ignore_errors: true
  ignore_unreachable: true

- name: Write the report once
  fleet2fa.nas.fleet_report:
    hosts: "{{ ansible_play_hosts_all }}"
    escrow:
      dir: "{{ playbook_dir }}/escrow"
    report_dir: "{{ playbook_dir }}/report"
    query: "hosts[?status != 'ok' || ssh_otp == `false`]"
  run_once: true
"""

RETURN = r"""
json:
  description: Path of the JSON report.
  returned: always
  type: str
  sample: /srv/fleet2fa/report/report.json
html:
  description: Path of the HTML report.
  returned: always
  type: str
  sample: /srv/fleet2fa/report/report.html
written:
  description: Files written (or that would be, in check mode).
  returned: always
  type: list
  elements: str
summary:
  description: Counts over the whole fleet (not narrowed by O(query)).
  returned: always
  type: dict
  sample: {hosts: 4, by_status: {ok: 3, unreachable: 1, failed: 0, not_checked: 0}, ssh_otp_on: 3}
findings:
  description: The findings (not narrowed by O(query)); no secret, code or password.
  returned: always
  type: list
  elements: dict
  sample: [{id: pam-oath-sufficient, host: lin02, user: null, severity: high, detail: sufficient,
            title: "pam_oath is 'sufficient': a failed code does not stop the login", fix: "make it 'auth required ...'"}]
report:
  description: What report.json holds; metadata only.
  returned: always
  type: dict
"""
