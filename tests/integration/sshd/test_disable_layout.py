"""Break glass on a host laid out like EL: sshd is sshd.service and lives in /usr/local/sbin, and there
is no ssh.service and no /usr/sbin/sshd. The disable role must find both where the host has them."""

import os

import pytest
import yaml

# Turn the Debian lab host into that layout: sshd.service runs /usr/local/sbin/sshd, ssh.service is
# masked, /usr/sbin/sshd is gone. Debian's ssh.service kills only the listener when it stops
# (KillMode=process), so the session that runs this survives.
EL_LAYOUT = r"""
set -eu
cp -p /usr/sbin/sshd /usr/local/sbin/sshd
sed -e 's|/usr/sbin/sshd|/usr/local/sbin/sshd|g' -e '/^Alias=/d' /lib/systemd/system/ssh.service > /root/sshd.service
systemctl disable ssh.service
rm -f /etc/systemd/system/sshd.service
mv /root/sshd.service /etc/systemd/system/sshd.service
systemctl daemon-reload
systemctl stop ssh.service
systemctl mask ssh.service
mv /usr/sbin/sshd /usr/sbin/sshd.moved
systemctl enable --now sshd.service
systemctl is-active sshd.service
"""
PLAYBOOKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "playbooks")
VAULT_PASSWORD = "disable layout vault password"


@pytest.fixture(scope="module")
def el_host(make_lab):
    lab = make_lab(linux=1)
    done = lab.ansible("linux", "ansible.builtin.shell", EL_LAYOUT)
    assert all(r.get("rc") == 0 and r["stdout"].endswith("active") for r in done.values()), done
    return lab


def test_disable_reloads_and_validates_with_the_sshd_the_host_has(el_host, tmp_path):
    vault = tmp_path / "vault-password"
    vault.write_text(VAULT_PASSWORD + "\n")
    escrow = str(tmp_path / "escrow")
    play = tmp_path / "escrow.yml"
    play.write_text(yaml.safe_dump([{"name": "Escrow", "hosts": "linux", "gather_facts": False, "tasks": [
        {"name": "A secret for root", "fleet2fa.nas.totp_secret": {"escrow": {"dir": escrow}}}]}]))
    assert el_host.run_playbook(str(play), "--vault-password-file", str(vault)).returncode == 0
    run = el_host.run_playbook(os.path.join(PLAYBOOKS, "disable.yml"), "--vault-password-file", str(vault),
                               "-e", "fleet2fa_escrow_dir=" + escrow)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "Disable | prove that the password alone gets in over SSH" in run.stdout
    state = el_host.ansible("linux", "ansible.builtin.shell",
                            "systemctl is-active sshd.service; /usr/local/sbin/sshd -T | grep -i '^passwordauthentication'; "
                            "test -f /etc/ssh/sshd_config.d/01-fleet2fa-breakglass.conf && echo dropin")
    for result in state.values():
        assert result["stdout"].split("\n") == ["active", "passwordauthentication yes", "dropin"], result
