# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The distribution table: each fact is looked for in the table's order, and every family is named."""
from __future__ import annotations

import pytest

from ansible_collections.fleet2fa.nas.plugins.module_utils._linux import layout
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux.pam_stack import PamStackError, SshdPamStack
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux.preflight import pam_problems


def _systemctl(loaded):
    """A systemctl that knows the units in ``loaded``, as ``systemctl show -p LoadState --value`` answers."""
    calls = []

    def run(argv):
        calls.append(argv)
        return 0, ("loaded\n" if argv[-1] in loaded else "not-found\n"), ""
    return run, calls


def test_the_sshd_unit_is_the_first_of_the_table_that_systemd_knows():
    debian, dummy = _systemctl({"ssh.service", "sshd.service"})  # Debian aliases sshd.service to ssh.service
    assert layout.service_unit(debian) == "ssh.service"
    el, calls = _systemctl({"sshd.service"})
    assert layout.service_unit(el) == "sshd.service"
    assert [call[-1] for call in calls] == ["ssh.service", "sshd.service"]
    assert layout.service_unit(_systemctl(set())[0]) is None


def test_sshd_is_the_first_of_the_tables_paths_then_the_one_on_the_path():
    assert layout.find_sshd(executable=lambda path: path == "/usr/local/sbin/sshd", which=lambda name: None) == \
        "/usr/local/sbin/sshd"
    assert layout.find_sshd(executable=lambda path: True, which=lambda name: None) == "/usr/sbin/sshd"
    assert layout.find_sshd(executable=lambda path: False, which=lambda name: "/opt/bin/sshd") == "/opt/bin/sshd"
    assert layout.find_sshd(executable=lambda path: False, which=lambda name: None) is None


def test_messages_name_every_family_of_the_table():
    hint = layout.install_hint()
    shapes = layout.password_step_shapes()
    for row in layout.LAYOUTS:
        if row.pam_oath_package:
            assert "%s on %s" % (row.pam_oath_package, row.label) in hint
        if row.password_step_shape:
            assert "%s (%s)" % (row.password_step_shape, row.label) in shapes


def test_a_new_distribution_is_one_row_that_preflight_and_sshd_otp_take_at_once(monkeypatch):
    """The recipe of docs/extending.md: Arch Linux reads the password through system-remote-login."""

    arch = "#%PAM-1.0\nauth      include   system-remote-login\naccount   include   system-remote-login\n"
    line = "auth required pam_oath.so usersfile=/etc/users.oath window=3 digits=6"
    assert pam_problems("/etc/pam.d/sshd", arch)
    with pytest.raises(PamStackError):
        SshdPamStack(arch).ensure(line)
    monkeypatch.setattr(layout, "LAYOUTS", layout.LAYOUTS + (layout.Layout(
        name="arch", label="Arch Linux", password_steps=(r"^\s*auth\s+include\s+system-remote-login\b",),
        password_step_shape="auth include system-remote-login", pam_module_dirs=("/usr/lib/security",),
        sshd_paths=("/usr/bin/sshd",), service_units=("sshd.service",), pam_oath_package="oath-toolkit"),))
    assert pam_problems("/etc/pam.d/sshd", arch) == []
    stack = SshdPamStack(arch)
    assert stack.ensure(line) is True
    assert stack.text().splitlines()[2] == line
    assert "/usr/bin/sshd" in layout.sshd_paths() and "oath-toolkit on Arch Linux" in layout.install_hint()
