"""Each profile, over both transports, rolled out as docs/truenas.md says, then proven by real logins.

The tests run in file order and share one lab (see conftest.py): they are the steps of one rollout.
"""

import os
import time
from concurrent.futures import ThreadPoolExecutor

import paramiko
import pytest

from truenas_lab import PROFILES, ssh_password_and_code, wrong_code


def _failed(result):
    # The tree callback of ansible-core 2.21 keeps a failed module's msg but not always "failed".
    return bool(result.get("failed")) or ("msg" in result and "truenas_version" not in result)


def _named(host, tn):
    """How errors name a host: its hostname on the box (midclt), the URL's host over websocket."""
    return host.name if tn.transport(host) == "midclt" else host.address


def _failed_hosts(recap):
    return {host: counts for host, counts in recap.items() if counts["failed"] or counts["unreachable"]}


def test_a_23_10_box_starts_with_global_digits_and_interval_we_record(tn):
    host = tn.lab.host("tn2310-1")
    tn.before_2310 = tn.midclt(host, "auth.twofactor.config")
    assert tn.before_2310["otp_digits"] == 6 and tn.before_2310["interval"] == 30


def test_check_mode_predicts_the_provisioning_changes_and_makes_none(tn):
    res, recap = tn.playbook("rollout.yml", "-e", "tn_ssh_2fa=false", "--check", "--diff")
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    assert not _failed_hosts(recap)
    assert all(counts["changed"] >= 3 for counts in recap.values()), recap
    configs = tn.midclt_each("truenas", "auth.twofactor.config", {h.name: [] for h in tn.hosts})
    assert {name: config["enabled"] for name, config in configs.items()} == {h.name: False for h in tn.hosts}
    assert not os.path.exists(tn.escrow_dir) or not os.listdir(tn.escrow_dir)


def test_provisioning_phase_runs_on_every_profile_and_transport(tn):
    # At -vvvv, where the SSH connection prints each module's raw output: the run that carries secrets.
    res, recap = tn.playbook("rollout.yml", "-e", "tn_ssh_2fa=false", "-vvvv")
    tn.provisioning_output = res.stdout + res.stderr
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    assert set(recap) == {h.name for h in tn.hosts}
    assert not _failed_hosts(recap)
    assert all(counts["changed"] >= 3 for counts in recap.values()), recap


def test_nothing_secret_is_printed_by_the_provisioning_run_even_at_vvvv(tn):
    assert "otpauth://" not in tn.provisioning_output
    for api_key in tn.api_keys.values():
        assert api_key.split("-", 1)[-1] not in tn.provisioning_output
    for host in tn.hosts:
        for user in ("root", "admin") if host.truenas_version != "13.0" else ("root",):
            key = tn.escrowed_key(host, user)
            assert key.secret not in tn.provisioning_output
            assert key.hex not in tn.provisioning_output.upper()


def test_escrow_holds_the_admin_secret_the_box_checks_codes_against(tn):
    hosts = [h for h in tn.hosts if h.truenas_version in ("23.10", "24.10")]
    # These versions still answer user.verify_twofactor_token publicly: the box itself agrees.
    codes = {h.name: ["admin", tn.escrowed_key(h, "admin").now()] for h in hosts}
    answers = tn.midclt_each(",".join(codes), "user.verify_twofactor_token", codes)
    assert answers == {h.name: True for h in hosts}
    for host in tn.hosts:
        for user in ("root", "admin") if host.truenas_version != "13.0" else ("root",):
            key = tn.escrowed_key(host, user)
            assert (key.digits, key.period) == (6, 30)


def test_api_login_with_password_and_escrowed_code_is_proven_before_ssh_2fa(tn):
    tn.api_steps = {}
    outcomes = {}
    for host in tn.hosts:
        key = tn.escrowed_key(host, "root")
        now = time.time()
        outcomes[host.name] = (tn.api_login(host, wrong_code(key, now)), tn.api_login(host, key.code_at(now)))
        tn.api_steps[host.name] = now
    assert outcomes == {h.name: (False, True) for h in tn.hosts}


def test_ssh_2fa_phase_turns_ssh_2fa_on(tn):
    res, recap = tn.playbook("rollout.yml", "-e", "tn_ssh_2fa=true")
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    assert not _failed_hosts(recap)
    configs = tn.midclt_each("truenas", "auth.twofactor.config", {h.name: [] for h in tn.hosts})
    assert {name: config["services"]["ssh"] for name, config in configs.items()} == {h.name: True for h in tn.hosts}


def _ssh_outcome(host, code, password):
    try:
        return ssh_password_and_code(host.address, "root", password, code)
    except paramiko.AuthenticationException:
        return "refused"


def _on_every_host(tn, fn):
    """{host name: fn(host)}, the hosts in parallel (a refused SSH login costs PAM's fail delay)."""
    with ThreadPoolExecutor(max_workers=len(tn.hosts)) as pool:
        return dict(zip((h.name for h in tn.hosts), pool.map(fn, tn.hosts)))


def test_ssh_password_login_with_the_escrowed_code_succeeds(tn):
    keys = {h.name: tn.escrowed_key(h, "root") for h in tn.hosts}

    def login(host):
        key = keys[host.name]
        # A later step than the API login's: pam_oath refuses a replayed code (the API checks it too on 26).
        if int(time.time() // key.period) <= int(tn.api_steps[host.name] // key.period):
            time.sleep(key.period - time.time() % key.period + 0.2)
        return _ssh_outcome(host, key.now(), tn.lab.root_password)

    assert _on_every_host(tn, login) == {h.name: "root" for h in tn.hosts}


def test_ssh_password_login_with_a_wrong_code_is_refused(tn):
    keys = {h.name: tn.escrowed_key(h, "root") for h in tn.hosts}

    def login(host):
        return _ssh_outcome(host, wrong_code(keys[host.name], time.time()), tn.lab.root_password)

    assert _on_every_host(tn, login) == {h.name: "refused" for h in tn.hosts}


def test_ansibles_key_login_still_works(tn):
    results = tn.lab.ansible("truenas", "ansible.builtin.ping")
    assert sorted(results) == sorted(h.name for h in tn.hosts)
    assert all(r.get("ping") == "pong" for r in results.values()), results


def test_second_run_reports_no_change(tn):
    res, recap = tn.playbook("rollout.yml", "-e", "tn_ssh_2fa=true")
    assert res.returncode == 0, res.stdout[-4000:]
    assert {host: counts["changed"] for host, counts in recap.items()} == {h.name: 0 for h in tn.hosts}


@pytest.mark.parametrize("name", ["tn2410-1", "tn2410-2"])
def test_24_10_reads_a_secret_the_escrow_lacks_without_rotating_it(tn, name):
    host = tn.lab.host(name)
    other_escrow = os.path.join(tn.workdir, "escrow-read-%s" % name)
    result = tn.adhoc(host, "fleet2fa.nas.truenas_user_2fa", {"user": "root", "escrow": {"dir": other_escrow}})
    assert not _failed(result), result
    assert result["changed"] is True and result["new_secret"] is False and result["rotated"] is False
    assert result["escrow"]["fingerprint"] == tn.escrowed_key(host, "root").fingerprint


@pytest.mark.parametrize("name", ["tn2504-1", "tn2504-2"])
def test_25_04_rotates_only_when_asked_when_the_escrow_lacks_the_secret(tn, name):
    host = tn.lab.host(name)
    old = tn.escrowed_key(host, "root")
    other_escrow = os.path.join(tn.workdir, "escrow-rotate-%s" % name)
    refused = tn.adhoc(host, "fleet2fa.nas.truenas_user_2fa", {"user": "root", "escrow": {"dir": other_escrow}})
    assert _failed(refused) and "regenerate=always" in refused["msg"] and old.secret not in refused["msg"]
    rotated = tn.adhoc(host, "fleet2fa.nas.truenas_user_2fa",
                       {"user": "root", "escrow": {"dir": other_escrow}, "regenerate": "always"})
    assert not _failed(rotated), rotated
    assert rotated["rotated"] is True and rotated["escrow"]["fingerprint"] != old.fingerprint
    new = tn.escrowed_key(host, "root", escrow_dir=other_escrow)
    assert _ssh_outcome(host, wrong_code(new, time.time()), tn.lab.root_password) == "refused"
    assert _ssh_outcome(host, new.now(), tn.lab.root_password) == "root"
    # Put the first escrow back in charge, as the rest of the tests expect (an explicit rotation again).
    back = tn.adhoc(host, "fleet2fa.nas.truenas_user_2fa",
                    {"user": "root", "escrow": {"dir": tn.escrow_dir}, "regenerate": "always"})
    assert not _failed(back) and back["rotated"] is True


def test_23_10_run_never_changed_global_digits_or_interval(tn):
    after = tn.midclt(tn.lab.host("tn2310-1"), "auth.twofactor.config")
    assert (after["otp_digits"], after["interval"]) == (tn.before_2310["otp_digits"], tn.before_2310["interval"])


def test_23_10_refuses_to_change_global_digits_and_keeps_every_secret(tn):
    hosts = [tn.lab.host("tn2310-1"), tn.lab.host("tn2310-2")]
    for host in hosts:
        result = tn.adhoc(host, "fleet2fa.nas.truenas_2fa", {"enabled": True, "otp_digits": 8})
        assert _failed(result) and "wipes every user's 2FA secret" in result["msg"]
        assert result["msg"].startswith("%s (TrueNAS-SCALE-23.10" % _named(host, tn))
    names = ",".join(h.name for h in hosts)
    configs = tn.midclt_each(names, "auth.twofactor.config", {h.name: [] for h in hosts})
    assert {name: config["otp_digits"] for name, config in configs.items()} == {h.name: 6 for h in hosts}
    codes = {h.name: ["root", tn.escrowed_key(h, "root").now()] for h in hosts}
    assert tn.midclt_each(names, "user.verify_twofactor_token", codes) == {h.name: True for h in hosts}


@pytest.mark.parametrize("name", ["tn260-1", "tn260-2"])
def test_26_refuses_interval_45_before_calling_the_box(tn, name):
    host = tn.lab.host(name)
    result = tn.adhoc(host, "fleet2fa.nas.truenas_user_2fa",
                      {"user": "root", "interval": 45, "regenerate": "always", "escrow": {"dir": tn.escrow_dir}})
    assert _failed(result)
    # The argument spec refuses it: no middleware call was made, and the escrowed secret still works.
    assert "interval" in result["msg"] and "45" in result["msg"] and "30, 60" in result["msg"]
    assert "truenas_version" not in result
    key = tn.escrowed_key(host, "root")
    # The next step's code (window 1): later than any code used so far, so pam_oath takes it.
    assert ssh_password_and_code(host.address, "root", tn.lab.root_password, key.code_at(time.time() + key.period)) \
        == "root"


def test_wrong_api_key_is_refused_with_host_named(tn):
    host = tn.lab.host("tn2510-2")
    result = tn.lab.ansible(host.name, "fleet2fa.nas.truenas_2fa", {
        "enabled": True, "transport": "websocket", "api_url": "wss://%s" % host.address,
        "api_key": "1-not-a-real-key", "api_username": "root", "api_validate_certs": False,
    }, extra=["-e", "ansible_connection=local", "-e", "ansible_python_interpreter=" + __import__("sys").executable])
    assert _failed(result[host.name])
    assert "API key was refused" in result[host.name]["msg"] and host.address in result[host.name]["msg"]
    assert "not-a-real-key" not in result[host.name]["msg"]


def test_tls_verification_is_on_by_default(tn):
    host = tn.lab.host("tn2510-2")
    result = tn.lab.ansible(host.name, "fleet2fa.nas.truenas_2fa", {
        "enabled": True, "transport": "websocket", "api_url": "wss://%s" % host.address,
        "api_key": tn.api_keys[host.name], "api_username": "root",
    }, extra=["-e", "ansible_connection=local", "-e", "ansible_python_interpreter=" + __import__("sys").executable])
    assert _failed(result[host.name])
    assert "TLS handshake" in result[host.name]["msg"] and "certificate verify failed" in result[host.name]["msg"]


def test_box_without_its_middleware_gives_a_clear_error(tn):
    hosts = [tn.lab.host("tn2212-1"), tn.lab.host("tn2212-2")]
    names = ",".join(h.name for h in hosts)
    tn.lab.ansible(names, "ansible.builtin.command", "systemctl stop middlewared")
    try:
        for host in hosts:
            result = tn.adhoc(host, "fleet2fa.nas.truenas_2fa", {"enabled": True})
            assert _failed(result)
            assert result["msg"].startswith(_named(host, tn))
            assert "could not reach the middleware" in result["msg"] or "could not connect" in result["msg"]
    finally:
        tn.lab.ansible(names, "ansible.builtin.command", "systemctl start middlewared")


def test_profiles_cover_every_supported_line():
    assert PROFILES == ["13.0", "22.12", "23.10", "24.10", "25.04", "25.10", "26.0"]
