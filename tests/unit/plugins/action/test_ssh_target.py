# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every login proof dials where Ansible's own connection goes (one resolver for login_proof and sshd_otp)."""
from __future__ import annotations

import pytest
from ansible.errors import AnsibleActionFail

from ansible_collections.fleet2fa.nas.plugins.module_utils._totp import TotpKey
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import EscrowEntry

# An old-style inventory: ansible_ssh_host wins over ansible_host in the ssh connection plugin.
OLD_STYLE = {"inventory_hostname": "nas1", "ansible_host": "192.0.2.1", "ansible_ssh_host": "127.0.0.1",
             "ansible_ssh_port": 2222}


def test_login_proof_dials_the_address_and_port_of_ansibles_connection(make_action, escrow, closed_port):
    options, store = escrow
    store.put_once("nas1", "root", EscrowEntry.new("root", TotpKey.generate()))
    host_vars = dict(OLD_STYLE, ansible_ssh_port=closed_port)
    args = {"escrow": options, "ssh": "password", "password": "x", "timeout": 1, "record": False}
    proof = make_action("fleet2fa.nas.login_proof", args, connection_vars=host_vars)
    with pytest.raises(AnsibleActionFail) as failed:
        proof.run(task_vars=dict(host_vars))
    assert "nas1 (127.0.0.1:%d): login proof failed: cannot open an SSH session to 127.0.0.1:%d" \
        % (closed_port, closed_port) in str(failed.value)


def test_login_proof_and_sshd_otp_resolve_the_same_target_for_a_host(make_action):
    proof = make_action("fleet2fa.nas.login_proof", {}, connection_vars=OLD_STYLE)
    sshd_otp = make_action("fleet2fa.nas.sshd_otp", {"users": [{"name": "root"}]}, connection_vars=OLD_STYLE)
    assert proof.ssh_target(OLD_STYLE) == sshd_otp.ssh_target(OLD_STYLE) == ("127.0.0.1", 2222)


def test_without_an_ssh_connection_the_target_is_ansible_host_and_port_else_the_inventory_name(make_action):
    proof = make_action("fleet2fa.nas.login_proof", {}, connection="local")
    assert proof.ssh_target({"inventory_hostname": "nas1", "ansible_host": "10.0.0.5", "ansible_port": 2200}) == \
        ("10.0.0.5", 2200)
    assert proof.ssh_target({"inventory_hostname": "nas1"}) == ("nas1", 22)
    assert proof.ssh_target({"inventory_hostname": "nas1"}, address="10.0.0.9", port=2201) == ("10.0.0.9", 2201)
