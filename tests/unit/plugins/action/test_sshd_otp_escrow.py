# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""sshd_otp reads the escrow itself; what it cannot use there stops it on the controller, before the host.

The host here is a closed local port: a task that got past the escrow would fail to connect instead,
with another message. The real logins with escrowed secrets are in tests/integration/sshd.
"""
from __future__ import annotations

import pytest
from ansible.errors import AnsibleActionFail

from ansible_collections.fleet2fa.nas.plugins.module_utils._totp import TotpKey
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import EscrowEntry


@pytest.fixture
def unreachable(closed_port):
    return {"inventory_hostname": "nas1", "ansible_host": "127.0.0.1", "ansible_port": closed_port}


def _run(make_action, args, host_vars):
    action = make_action("fleet2fa.nas.sshd_otp", args, connection_vars=host_vars)
    with pytest.raises(AnsibleActionFail) as failed:
        action.run(task_vars=dict(host_vars))
    return str(failed.value)


def test_a_user_the_escrow_holds_no_secret_for_stops_the_task(make_action, escrow, unreachable):
    options, _store = escrow
    message = _run(make_action, {"users": [{"name": "root"}], "escrow": options}, unreachable)
    assert message.endswith("nas1.yml has no secret for user root: run fleet2fa.nas.totp_secret first")


def test_an_escrowed_key_of_other_digits_than_the_task_asks_is_refused_naming_both(make_action, escrow, unreachable):
    options, store = escrow
    key = TotpKey.generate(digits=8)
    store.put_once("nas1", "root", EscrowEntry.new("root", key))
    message = _run(make_action, {"users": [{"name": "root"}], "escrow": options}, unreachable)
    assert "the escrowed key of root on nas1 has 8 digits and a 30 s period, the task asks for 6 and 30" in message
    assert key.secret not in message and key.hex not in message


def test_a_name_that_cannot_be_an_escrow_key_is_refused_before_the_escrow_is_read(make_action, escrow, unreachable):
    options, _store = escrow
    message = _run(make_action, {"users": [{"name": "../root"}], "escrow": options}, unreachable)
    assert "user name '../root' cannot be used in the escrow" in message
