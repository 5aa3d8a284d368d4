# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The proof's way to a host, as the controller's own ssh client (ssh -G) reads Ansible's options."""
from __future__ import annotations

import shlex

import pytest

from ansible_collections.fleet2fa.nas.plugins.plugin_utils._ssh_route import (
    RouteError,
    SshRoute,
    ansible_route,
    ansible_ssh_argv,
    expand_tokens,
    jump_command,
    parse_hop,
    parse_public_keys,
    route_from_settings,
)


def _options(**values):
    return values.get


def test_the_ssh_argv_is_ansibles_order_port_user_key_then_common_and_extra_args():
    argv = ansible_ssh_argv(_options(ssh_args="-C -o ControlMaster=auto", host_key_checking=False,
                                     private_key_file="/k", remote_user="admin", ssh_common_args="-o A=1",
                                     ssh_extra_args="-o B=2"), port=2222)
    assert argv == ["-C", "-o", "ControlMaster=auto", "-o", "StrictHostKeyChecking=no", "-o", "Port=2222",
                    "-o", 'IdentityFile="/k"', "-o", 'User="admin"', "-o", "A=1", "-o", "B=2"]


@pytest.mark.parametrize("hop, parsed", [
    ("bastion", (None, "bastion", None)),
    ("root@10.0.0.3", ("root", "10.0.0.3", None)),
    ("ops@jump.example:2222", ("ops", "jump.example", 2222)),
    ("root@[10.0.0.3]", ("root", "10.0.0.3", None)),
    ("[fd00::1]:22", (None, "fd00::1", 22)),
    ("ssh://a@b:23", ("a", "b", 23)),
])
def test_proxyjump_hops_are_read_like_openssh(hop, parsed):
    assert parse_hop(hop) == parsed


@pytest.mark.parametrize("hop", ["-oProxyCommand=x", "u@h:port", "u@"])
def test_a_hop_that_is_no_host_is_refused_by_name(hop):
    with pytest.raises(RouteError, match="ProxyJump hop"):
        parse_hop(hop)


def test_proxyjump_becomes_the_proxycommand_openssh_makes_of_it():
    command = jump_command("a@first,ops@last:2222", "/usr/bin/ssh", "/lab/ssh_config")
    assert shlex.split(command) == ["/usr/bin/ssh", "-l", "ops", "-p", "2222", "-J", "a@first", "-F",
                                    "/lab/ssh_config", "-o", "BatchMode=yes", "-W", "[%h]:%p", "last"]


def test_settings_route_straight_through_a_jump_or_a_proxycommand():
    assert route_from_settings({"hostname": "10.0.0.5", "port": "2200"}, "ssh", [], "nas1") == SshRoute("10.0.0.5", 2200)
    jumped = route_from_settings({"hostname": "10.0.0.5", "port": "22", "proxyjump": "root@10.0.0.3"}, "ssh",
                                 ["-F", "/cfg"], "nas1")
    assert shlex.split(jumped.proxy_command)[-3:] == ["-W", "[10.0.0.5]:22", "10.0.0.3"]
    assert "-F" in jumped.proxy_command and "ProxyJump" in jumped.via
    proxied = route_from_settings({"hostname": "h", "port": "22", "proxycommand": "nc -X 5 %h %p", "user": "r"},
                                  "ssh", [], "h")
    assert proxied.proxy_command == "nc -X 5 h 22"


@pytest.mark.parametrize("settings, name", [
    ({"bindaddress": "192.0.2.7"}, "BindAddress 192.0.2.7"),
    ({"bindinterface": "eth1"}, "BindInterface eth1"),
    ({"proxyusefdpass": "yes", "proxycommand": "x"}, "ProxyUseFdpass yes"),
])
def test_settings_the_proof_cannot_follow_fail_naming_them(settings, name):
    with pytest.raises(RouteError, match=name + ", which the login proof cannot follow"):
        route_from_settings(dict(settings, hostname="h", port="22"), "ssh", [], "h")


def test_proxycommand_tokens_beyond_h_n_p_r_are_refused():
    assert expand_tokens("connect %h:%p as %r 100%%", "h", 22, "u") == "connect h:22 as u 100%"
    with pytest.raises(RouteError, match="%C"):
        expand_tokens("x %C", "h", 22, "u")


def test_the_real_ssh_client_resolves_jump_port_and_config_the_way_ansible_would(tmp_path):
    config = tmp_path / "ssh_config"
    config.write_text("Host nas1\n  HostName 10.0.0.9\n  Port 2022\n")
    option = _options(ssh_common_args="-F %s -o ProxyJump=root@10.0.0.3" % config, remote_user="root")
    route = ansible_route("ssh", option, "nas1", 22, False)
    assert (route.host, route.port) == ("10.0.0.9", 2022)
    assert shlex.split(route.proxy_command)[-3:] == ["-W", "[10.0.0.9]:2022", "10.0.0.3"]
    # ansible_port, when set, wins over ssh_config's Port, as it does for Ansible's ssh.
    assert ansible_route("ssh", option, "nas1", 2200, True).port == 2200


def test_an_option_the_ssh_client_refuses_fails_with_its_message():
    with pytest.raises(RouteError, match="refuses the connection's ssh options for nas1: .*[Bb]ogus"):
        ansible_route("ssh", _options(ssh_extra_args="-o Bogus=1"), "nas1", 22, False)


def test_without_an_ssh_connection_the_route_is_straight_or_paramikos_proxy_command():
    assert ansible_route("local", _options(), "10.0.0.5", 2200, True) == SshRoute("10.0.0.5", 2200)
    route = ansible_route("paramiko", _options(proxy_command="ssh -W %h:%p jump"), "10.0.0.5", 22, False)
    assert route.proxy_command == "ssh -W 10.0.0.5:22 jump"


def test_public_key_lines_lose_comments_and_repeats():
    text = "ssh-ed25519 AAAA1 root@a\n# note\nssh-ed25519 AAAA1 other\necdsa-sha2-nistp256 BBBB\n\ngarbage\n"
    assert parse_public_keys(text) == ["ssh-ed25519 AAAA1", "ecdsa-sha2-nistp256 BBBB"]
