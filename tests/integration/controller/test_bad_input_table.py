# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad input, one table: every module, action, lookup and role variable refuses it with a message that names
the option and the problem, never a secret, and changes nothing.

Cheap by construction: the controller cases run as the plays of ONE ansible-playbook run, the host cases as
the plays of a second one against one lab host. Each case is its own play on its own inventory host (a
failed host leaves the later plays alone) with a ``sentinel`` host beside it that skips everything (a play
whose hosts all fail would end the run). The callback bad_input_cases (callback_plugins/) records each
case's failure messages and a digest of the escrow, QR, report and handout folders and, for host cases,
of the host's /etc/ssh, /etc/pam.d, /etc/users.oath and /var/lib/fleet2fa, before and after the case.

A row is (id, what runs, the words the message must hold). The words name the option (or variable)
and say the problem; a row that runs needs a setup (an escrowed secret) says so with SETUP.
"""

from __future__ import annotations

import json
import os
import sys

import pytest
import yaml

BIN = os.path.dirname(sys.executable)
HERE = os.path.dirname(os.path.abspath(__file__))
# Secrets the table hands in; no message may hold any of them, in any case.
SECRET = "AEBAGBAFAYDQQCIKBMGA2DQPCAIREEYU"
SHORT_SECRET = "JBSWY3DPEHPK3PXP"
SETUP = "setup"


def task(module, **args):
    return {"name": "Case", "fleet2fa.nas." + module: args}


def lookup(expr):
    return {"name": "Case", "ansible.builtin.debug": {"msg": "{{ %s }}" % expr}}


def role(name, **role_vars):
    # include_role, not import_role: the sentinel then skips one task, not every task of the role.
    return {"name": "Case", "ansible.builtin.include_role": {"name": "fleet2fa.nas." + name}, "vars": role_vars}


def escrowed(user="root"):
    """The setup of a case that needs an escrowed secret for ``user`` on its host."""
    return {SETUP: [task("totp_secret", user=user)]}


# ---- the controller cases: hosts with a local connection, no lab --------------------------------------

CONTROLLER_CASES = [
    # totp_secret
    ("secret-user-nul", task("totp_secret", user="ro\0ot"), ["user name 'ro\\x00ot' cannot be used in the escrow"]),
    ("secret-user-newline", task("totp_secret", user="root\n"), ["user name 'root\\n' cannot be used in the escrow"]),
    ("secret-user-path", task("totp_secret", user="../root"), ["user name '../root' cannot be used in the escrow"]),
    ("secret-user-list", task("totp_secret", user=["root", "admin"]), ["user"]),
    ("secret-digits-5", task("totp_secret", digits=5), ["value of digits must be one of: 6, 7, 8, got: 5"]),
    ("secret-period-45", task("totp_secret", period=45), ["value of period must be one of: 30, 60, got: 45"]),
    ("secret-issuer-colon", task("totp_secret", issuer="ACME:ops"), ["issuer must not contain ':'"]),
    ("secret-label-colon", task("totp_secret", label="root:nas1"), ["label must not contain ':'"]),
    ("secret-label-tab", task("totp_secret", label="root\tnas1"), ["label must not contain ':' or control characters"]),
    ("secret-regenerate", task("totp_secret", regenerate="sometimes"), ["value of regenerate must be one of: never, always"]),
    ("secret-unknown-option", task("totp_secret", secret_bits=80), ["Unsupported parameters", "secret_bits"]),
    ("escrow-backend", task("totp_secret", escrow={"backend": "sqlite"}), ["value of backend must be one of: file, kv, totp_engine, got: sqlite"]),
    ("escrow-string", task("totp_secret", escrow="/tmp/escrow"), ["escrow must be a dictionary"]),
    ("escrow-unknown-key", task("totp_secret", escrow={"folder": "/tmp/x"}), ["Unsupported parameters", "folder"]),
    ("escrow-kv-no-url", task("totp_secret", escrow={"backend": "kv", "token": "x"}), ["url"]),
    ("escrow-timeout-word", task("totp_secret", escrow={"timeout": "soon"}), ["timeout", "soon"]),
    # totp_qr
    ("qr-no-dir", task("totp_qr"), ["missing required arguments: qr_dir"]),
    ("qr-terminal-word", task("totp_qr", qr_dir="{{ qr_dir }}", terminal="maybe"), ["terminal", "maybe"]),
    ("qr-nothing-escrowed", task("totp_qr", qr_dir="{{ qr_dir }}"), ["root"]),
    ("qr-user-nul", task("totp_qr", qr_dir="{{ qr_dir }}", user="ro\0ot"), ["user name 'ro\\x00ot' cannot be used"]),
    # totp_enrollment
    ("enroll-devices-string", task("totp_enrollment", devices="phone"), ["devices must be a list of dictionaries (code, name), got a string"]),
    ("enroll-devices-list-of-strings", task("totp_enrollment", devices=["phone", "tablet"]), ["devices must be a list of dictionaries (code, name)"]),
    ("enroll-device-no-name", task("totp_enrollment", devices=[{"code": "123456"}]), ["name", "devices"]),
    ("enroll-device-twice", dict(escrowed(), case=task("totp_enrollment", devices=[{"name": "phone"}, {"name": "phone"}],
                                                       verify_from_escrow_for_labs=True)), ["device name 'phone' is given more than once"]),
    ("enroll-min-devices-0", dict(escrowed(), case=task("totp_enrollment", devices=[{"name": "primary"}], min_devices=0,
                                                        check_min_devices=True)), ["min_devices must be at least 1, got 0"]),
    ("enroll-min-devices-minus-1", dict(escrowed(), case=task("totp_enrollment", devices=[{"name": "primary"}], min_devices=-1,
                                                              check_min_devices=True)), ["min_devices must be at least 1, got -1"]),
    ("enroll-state-word", task("totp_enrollment", state="gone"), ["value of state must be one of: present, absent, got: gone"]),
    ("enroll-code-letters", dict(escrowed(), case=task("totp_enrollment", devices=[{"name": "phone", "code": "12345a"}])), ["code"]),
    ("enroll-window-word", task("totp_enrollment", window="wide"), ["window", "wide"]),
    ("enroll-user-newline", task("totp_enrollment", user="root\n", devices=[{"name": "phone"}]), ["user name 'root\\n'"]),
    # escrow_select
    ("select-query-bad", task("escrow_select", query="users[?"), ["query: invalid JMESPath expression 'users[?'"]),
    ("select-users-dict", task("escrow_select", users=[{"name": "root"}]), ["users"]),
    # enrollment_pack
    ("pack-no-hosts", task("enrollment_pack", qr_dir="{{ qr_dir }}"), ["missing required arguments: hosts"]),
    ("pack-no-qr-dir", task("enrollment_pack", hosts=["nas1"]), ["missing required arguments: qr_dir"]),
    ("pack-batch-0", task("enrollment_pack", hosts=["nas1"], qr_dir="{{ qr_dir }}", batch_size=0), ["batch_size"]),
    ("pack-batch-11", task("enrollment_pack", hosts=["nas1"], qr_dir="{{ qr_dir }}", batch_size=11), ["batch_size"]),
    ("pack-spot-checks-minus-1", task("enrollment_pack", hosts=["nas1"], qr_dir="{{ qr_dir }}", spot_checks=-1), ["spot_checks"]),
    ("pack-unsupported-word", task("enrollment_pack", hosts=["nas1"], qr_dir="{{ qr_dir }}", unsupported="ignore"),
     ["value of unsupported must be one of: skip, fail, got: ignore"]),
    ("pack-codes-string", task("enrollment_pack", hosts=["nas1"], qr_dir="{{ qr_dir }}", codes="123456"),
     ["codes must be a list of dictionaries", "got a string"]),
    ("pack-window-11", task("enrollment_pack", hosts=["nas1"], qr_dir="{{ qr_dir }}", window=11),
     ["window must be between 0 and 10 time steps, got 11"]),
    # fleet_report
    ("report-no-hosts", task("fleet_report", report_dir="{{ report_dir }}"), ["missing required arguments: hosts"]),
    ("report-no-dir", task("fleet_report", hosts=["nas1"]), ["missing required arguments: report_dir"]),
    ("report-query-bad", task("fleet_report", hosts=["{{ inventory_hostname }}"], report_dir="{{ report_dir }}", query="hosts[?"),
     ["invalid JMESPath expression 'hosts[?'"]),
    ("report-state-var-string", {SETUP: [{"name": "A host variable that holds a string", "ansible.builtin.set_fact": {
        "case_note": "a string, not a registered result"}}], "case": task(
            "fleet_report", hosts=["{{ inventory_hostname }}"], report_dir="{{ report_dir }}", state_var="case_note")},
     ["state_var: the variable of", "is not a registered result"]),
    ("report-template-missing", task("fleet_report", hosts=["{{ inventory_hostname }}"], report_dir="{{ report_dir }}",
                                     template="/nonexistent/report.html.j2"), ["template: /nonexistent/report.html.j2 is not a file"]),
    ("report-host-not-in-inventory", task("fleet_report", hosts=["nas9"], report_dir="{{ report_dir }}"),
     ["hosts: nas9 is not in the inventory"]),
    # login_proof (checked before any connection)
    ("proof-ssh-word", task("login_proof", ssh="maybe"), ["value of ssh must be one of: otp, password, none, got: maybe"]),
    ("proof-api-word", task("login_proof", api="rest"), ["value of api must be one of: otp, none, got: rest"]),
    ("proof-port-word", task("login_proof", port="ssh"), ["port", "ssh"]),
    ("proof-timeout-word", task("login_proof", timeout="long"), ["timeout", "long"]),
    # lookups and the filter
    ("lookup-code-nothing-escrowed", lookup("lookup('fleet2fa.nas.totp_code', 'nas9', escrow={'dir': escrow_dir})"), ["nas9"]),
    ("lookup-code-escrow-string", lookup("lookup('fleet2fa.nas.totp_code', 'nas1', escrow='/tmp/x')"),
     ["escrow must be a dictionary (", "got a string"]),
    ("lookup-code-escrow-backend", lookup("lookup('fleet2fa.nas.totp_code', 'nas1', escrow={'backend': 'sqlite'})"),
     ["escrow", "value of backend must be one of: file, kv, totp_engine, got: sqlite"]),
    ("lookup-code-host-path", lookup("lookup('fleet2fa.nas.totp_code', '../nas1', escrow={'dir': escrow_dir})"),
     ["host name '../nas1' cannot be used in the escrow"]),
    ("lookup-escrow-nothing-escrowed", lookup("lookup('fleet2fa.nas.totp_escrow', 'nas9', escrow={'dir': escrow_dir})"), ["nas9"]),
    ("lookup-escrow-unknown-key", lookup("lookup('fleet2fa.nas.totp_escrow', 'nas1', escrow={'dir': escrow_dir, 'colour': 1})"),
     ["escrow", "Unsupported parameters", "colour"]),
    ("filter-jmespath-bad", lookup("{'a': 1} | fleet2fa.nas.jmespath('a[?')"), ["jmespath"]),
    # role variables (the rollout role; provision only, so that no preflight runs on the controller)
    ("role-users-string", role("rollout", fleet2fa_users="root", fleet2fa_phases=["provision"]),
     ["fleet2fa_users must be a non-empty list of user names, such as [root], got the string \"root\""]),
    ("role-users-empty", role("rollout", fleet2fa_users=[], fleet2fa_phases=["provision"]), ["fleet2fa_users must be a non-empty list"]),
    ("role-users-dict", role("rollout", fleet2fa_users={"root": 1}, fleet2fa_phases=["provision"]), ["fleet2fa_users"]),
    ("role-digits-9", role("rollout", fleet2fa_digits=9, fleet2fa_phases=["provision"]), ["value of fleet2fa_digits must be one of: 6, 7, 8, got: 9"]),
    ("role-period-45", role("rollout", fleet2fa_period=45, fleet2fa_phases=["provision"]), ["value of fleet2fa_period must be one of: 30, 60, got: 45"]),
    ("role-otp-window-11", role("rollout", fleet2fa_otp_window=11, fleet2fa_phases=["provision"]), ["value of fleet2fa_otp_window must be one of"]),
    ("role-truenas-window-minus-1", role("rollout", fleet2fa_truenas_window=-1, fleet2fa_phases=["provision"]),
     ["value of fleet2fa_truenas_window must be one of"]),
    ("role-min-devices-0", role("rollout", fleet2fa_min_devices=0, fleet2fa_phases=["provision"]), ["fleet2fa_min_devices must be at least 1, got 0"]),
    ("role-phases-word", role("rollout", fleet2fa_phases=["deploy"]), ["fleet2fa_phases", "deploy"]),
    ("role-backend-word", role("rollout", fleet2fa_backend="windows", fleet2fa_phases=["provision"]),
     ["value of fleet2fa_backend must be one of: linux, truenas, got: windows"]),
    ("role-sshd-apply-word", role("rollout", fleet2fa_sshd_apply="bounce", fleet2fa_phases=["provision"]), ["fleet2fa_sshd_apply", "bounce"]),
    ("role-verify-word", role("rollout", fleet2fa_verify="never", fleet2fa_phases=["provision"]), ["fleet2fa_verify", "never"]),
    ("role-escrow-string", role("rollout", fleet2fa_escrow="kv", fleet2fa_phases=["provision"]), ["fleet2fa_escrow"]),
    ("role-api-tls-word", role("rollout", fleet2fa_truenas_api_tls="trust", fleet2fa_phases=["provision"]), ["fleet2fa_truenas_api_tls", "trust"]),
    ("role-clock-skew-word", role("rollout", fleet2fa_max_clock_skew="abc", fleet2fa_phases=["provision"]), ["fleet2fa_max_clock_skew"]),
    ("role-enroll-devices-string", role("rollout", fleet2fa_enroll_devices="phone", fleet2fa_phases=["provision"]), ["fleet2fa_enroll_devices"]),
    ("role-users-nul", role("rollout", fleet2fa_users=["ro\0ot"], fleet2fa_phases=["provision"], fleet2fa_backend="linux"),
     ["user name 'ro\\x00ot' cannot be used in the escrow"]),
    ("report-role-hosts-string", role("report", fleet2fa_report_hosts={"a": 1}), ["fleet2fa_report_hosts"]),
    ("handout-role-batch-word", role("handout", fleet2fa_handout_batch_size="ten"), ["fleet2fa_handout_batch_size"]),
    ("handout-role-unsupported-word", role("handout", fleet2fa_handout_unsupported="ignore"), ["fleet2fa_handout_unsupported", "ignore"]),
    ("rotate-role-digits-9", role("rotate", fleet2fa_digits=9), ["value of fleet2fa_digits must be one of: 6, 7, 8, got: 9"]),
]


def plain_case(case):
    """(id, body, words) of a row, written as a tuple or as a pytest.param (an xfail row)."""
    return tuple(case.values) if hasattr(case, "values") else case


def case_params(cases):
    """The parametrization of a table: one test a row, the row's marks kept."""
    params = []
    for case in cases:
        case_id, dummy, words = plain_case(case)
        params.append(pytest.param(case_id, words, id=case_id, marks=getattr(case, "marks", ())))
    return params


class Table:
    """One ansible-playbook run of many cases; ``results[id]`` is what the callback recorded."""

    def __init__(self, root, env, inventory_vars, cases, folders, lab=None, lab_host=None):
        self.root = root
        cases = [plain_case(case) for case in cases]
        names = [case_id for case_id, dummy, dummy in cases]
        assert len(set(names)) == len(names), "case ids must be unique"
        self.hosts = {case_id: "case%02d" % index for index, case_id in enumerate(names, 1)}
        inventory = {"all": {"hosts": {host: dict(inventory_vars) for host in list(self.hosts.values()) + ["sentinel"]}}}
        self.inventory = os.path.join(root, "cases-inventory.yml")
        with open(self.inventory, "w") as handle:
            yaml.safe_dump(inventory, handle)
        self.playbook = os.path.join(root, "cases.yml")
        with open(self.playbook, "w") as handle:
            yaml.safe_dump([play for case in cases for play in self.plays(*case)], handle, sort_keys=False)
        self.results_path = os.path.join(root, "cases.json")
        self.env = dict(env, ANSIBLE_CALLBACK_PLUGINS=os.path.join(HERE, "callback_plugins"),
                        ANSIBLE_CALLBACKS_ENABLED="bad_input_cases", BADINPUT_RESULTS=self.results_path,
                        BADINPUT_FOLDERS=json.dumps(folders), ANSIBLE_FORKS="2")
        if lab:
            self.env.update(BADINPUT_LAB=lab, BADINPUT_LAB_HOST=lab_host)

    def plays(self, case_id, body, dummy_words):
        host = self.hosts[case_id]
        body = body if SETUP in body or "case" in body else {"case": body}
        plays = []
        # Tasks of the escrow group get the folder as the roles give it, unless the case names an escrow.
        common = {"gather_facts": False,
                  "module_defaults": {"group/fleet2fa.nas.escrow": {"escrow": {"dir": "{{ escrow_dir }}"}}}}
        if SETUP in body:
            plays.append(dict(common, name="SETUP " + case_id, hosts=host, tasks=body[SETUP]))
        # The sentinel keeps the play from failing as a whole, which would end the run.
        plays.append(dict(common, name="CASE " + case_id, hosts="%s:sentinel" % host, tasks=[
            {"name": "Case " + case_id, "when": "inventory_hostname != 'sentinel'", "block": [body["case"]]}]))
        return plays

    def run(self, *args):
        import subprocess  # pylint: disable=import-outside-toplevel
        done = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", self.inventory, self.playbook, *args],
                              env=self.env, cwd=self.root, capture_output=True, text=True, timeout=600, check=False)
        self.output = done.stdout + done.stderr
        assert os.path.exists(self.results_path), self.output[-5000:]
        with open(self.results_path) as handle:
            self.results = json.load(handle)
        return self


def check_case(table, case_id, words):
    """The case failed, its message holds ``words`` and no secret, and nothing it could reach changed."""
    found = table.results.get(case_id)
    assert found is not None, "case %s did not run:\n%s" % (case_id, table.output[-3000:])
    messages = "\n".join(found["failures"])
    assert found["failures"], "case %s did not fail" % case_id
    for word in words:
        assert word in messages, "case %s: %r not in the message:\n%s" % (case_id, word, messages)
    for secret in (SECRET, SHORT_SECRET):
        assert secret not in messages.upper()
    assert "Traceback" not in messages
    assert found["before"] == found["after"], "case %s changed something: %s" % (case_id, found)


@pytest.fixture(scope="module")
def controller_table(tmp_path_factory):
    ctl = _controller_class()(str(tmp_path_factory.mktemp("bad-input")))
    folders = [ctl.escrow_dir, ctl.qr_dir, os.path.join(ctl.root, "report"), os.path.join(ctl.root, "handout")]
    inventory_vars = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                      "escrow_dir": ctl.escrow_dir, "qr_dir": ctl.qr_dir, "report_dir": folders[2],
                      "fleet2fa_escrow_dir": ctl.escrow_dir, "fleet2fa_qr_dir": ctl.qr_dir,
                      "fleet2fa_report_dir": folders[2], "fleet2fa_handout_dir": folders[3]}
    table = Table(ctl.root, ctl.env, inventory_vars, CONTROLLER_CASES, folders)
    return table.run("--vault-password-file", ctl.vault_file)


@pytest.mark.parametrize("case_id, words", case_params(CONTROLLER_CASES))
def test_bad_controller_input_is_refused_naming_the_option_and_nothing_changes(controller_table, case_id, words):
    check_case(controller_table, case_id, words)


# ---- the host cases: aliases of one lab host (lin01), one play each -----------------------------------

def sshd(**args):
    """An sshd_otp task as the rollout writes it, with a valid request unless the case says otherwise."""
    full = {"users": [{"name": "root", "secret": SECRET}], "verify_password": "{{ lab_root_password }}"}
    full.update(args)
    return task("sshd_otp", **full)


HOST_CASES = [
    ("sshd-user-nul", sshd(users=[{"name": "ro\0ot", "secret": SECRET}]),
     ["users[0].name must not contain whitespace, control characters", "'ro\\x00ot'"]),
    ("sshd-user-tab", sshd(users=[{"name": "ro\tot", "secret": SECRET}]), ["users[0].name must not contain"]),
    ("sshd-user-unknown", sshd(users=[{"name": "nosuchuser42", "secret": SECRET}]),
     ["users[0].name: there is no user 'nosuchuser42' on this host"]),
    ("sshd-user-twice", sshd(users=[{"name": "root", "secret": SECRET}, {"name": "root", "secret": SECRET}]),
     ["users[1].name: user 'root' is listed twice"]),
    ("sshd-users-string", sshd(users="root"), ["users must be a list of dictionaries (name, secret), got a string"]),
    ("sshd-users-list-of-strings", sshd(users=["root"]), ["users must be a list of dictionaries (name, secret)"]),
    ("sshd-users-empty", sshd(users=[]), ["users must name at least one user with state=present"]),
    ("sshd-secret-short", sshd(users=[{"name": "root", "secret": SHORT_SECRET}]), ["users[0].secret is 80 bits long"]),
    ("sshd-secret-not-base32", sshd(users=[{"name": "root", "secret": "0189!!abcdefghijklmnopqrstuvwxyz"}]),
     ["users[0].secret is not base32"]),
    ("sshd-secret-not-escrowed", sshd(users=[{"name": "root"}]), ["has no secret for user root"]),
    ("sshd-option-usepam", sshd(sshd_options={"UsePAM": "no"}), ["sshd_options: UsePAM is refused: the collection depends on"]),
    ("sshd-option-usepam-bool", sshd(sshd_options={"usepam": False}), ["sshd_options: usepam is refused"]),
    ("sshd-option-kbd", sshd(sshd_options={"KbdInteractiveAuthentication": "no"}), ["KbdInteractiveAuthentication is refused"]),
    ("sshd-option-challenge", sshd(sshd_options={"ChallengeResponseAuthentication": "no"}),
     ["ChallengeResponseAuthentication is refused"]),
    ("sshd-option-methods", sshd(sshd_options={"AuthenticationMethods": "publickey"}), ["AuthenticationMethods is refused"]),
    ("sshd-option-match", sshd(sshd_options={"Match": "User bob"}), ["sshd_options: Match is refused: it would change the structure"]),
    ("sshd-option-include", sshd(sshd_options={"Include": "/tmp/evil.conf"}), ["sshd_options: Include is refused"]),
    ("sshd-option-root-login", sshd(sshd_options={"PermitRootLogin": "no"}), ["the drop-in sets PermitRootLogin yes itself"]),
    ("sshd-option-deprecated", sshd(sshd_options={"UsePrivilegeSeparation": "sandbox"}),
     ["UsePrivilegeSeparation is refused: sshd ignores it"]),
    ("sshd-option-protocol", sshd(sshd_options={"Protocol": 2}), ["Protocol is refused: sshd ignores it"]),
    ("sshd-option-newline", sshd(sshd_options={"MaxAuthTries": "3\nPermitEmptyPasswords yes"}),
     ["sshd_options: the value of MaxAuthTries must be one non-empty line"]),
    ("sshd-option-not-a-keyword", sshd(sshd_options={"Max Auth": 3}), ["sshd_options: 'Max Auth' is not an sshd keyword"]),
    ("sshd-option-unknown-keyword", sshd(sshd_options={"NoSuchKeyword": "yes"}),
     ["sshd -t rejects the resulting configuration", "NoSuchKeyword"]),
    ("sshd-option-bad-value", sshd(sshd_options={"MaxAuthTries": "many"}), ["sshd -t rejects the resulting configuration"]),
    ("sshd-options-string", sshd(sshd_options="MaxAuthTries"), ["sshd_options must be a dictionary, got a string"]),
    ("sshd-window-11", sshd(window=11), ["window must be between 0 and 10"]),
    ("sshd-digits-5", sshd(digits=5), ["value of digits must be one of: 6, 7, 8, got: 5"]),
    ("sshd-period-45", sshd(period=45), ["value of period must be one of: 30, 60, got: 45"]),
    ("sshd-usersfile-relative", sshd(usersfile="users.oath"), ["usersfile must be an absolute path"]),
    ("sshd-dropin-not-conf", sshd(dropin="/etc/ssh/sshd_config.d/00-x"), ["dropin must end in .conf"]),
    ("sshd-automation-user-unknown", sshd(automation_user="nosuchuser42"), ["automation_user: there is no user 'nosuchuser42'"]),
    ("sshd-pam-module-space", sshd(pam_module="pam oath.so"), ["pam_module must be a module name or path without whitespace"]),
    ("sshd-pam-module-missing", sshd(pam_module="pam_nope.so"), ["the PAM module pam_nope.so is not installed on this host"]),
    ("sshd-auth-mode-word", sshd(auth_mode="otp_only"), ["value of auth_mode must be one of: password_otp, key_and_otp, got: otp_only"]),
    ("sshd-verify-word", sshd(verify="sometimes"), ["value of verify must be one of: on_change, always, got: sometimes"]),
    ("sshd-apply-word", sshd(sshd_apply="bounce"), ["value of sshd_apply must be one of: reload, restart, got: bounce"]),
    ("sshd-rollback-alone", sshd(rollback="restore"), ["rollback", "rollback_handle"]),
    ("preflight-backend-word", task("preflight", backend="windows"), ["value of backend must be one of"]),
    ("preflight-clock-skew-word", task("preflight", backend="linux", max_clock_skew="abc"), ["max_clock_skew", "abc"]),
    ("state-info-platform-word", task("otp_state_info", platform="windows"),
     ["value of platform must be one of: auto, linux, truenas, got: windows"]),
]


@pytest.fixture(scope="module")
def lab(make_lab):
    return make_lab(linux=1)


def _controller_class():
    """Controller of this folder's conftest.py (``import conftest`` may find another folder's)."""
    import importlib.util  # pylint: disable=import-outside-toplevel
    spec = importlib.util.spec_from_file_location("bad_input_controller_conftest", os.path.join(HERE, "conftest.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Controller


@pytest.fixture(scope="module")
def host_table(lab, tmp_path_factory):
    ctl = _controller_class()(str(tmp_path_factory.mktemp("bad-input-host")))
    with open(lab.inventory) as handle:
        inventory = yaml.safe_load(handle)
    target = inventory["all"]["children"]["linux"]["hosts"]["lin01"]
    inventory_vars = dict(inventory["all"]["vars"], **target)
    inventory_vars.update(escrow_dir=ctl.escrow_dir, qr_dir=ctl.qr_dir)
    table = Table(ctl.root, ctl.env, inventory_vars, HOST_CASES, [ctl.escrow_dir, ctl.qr_dir], lab=lab.name,
                  lab_host="lin01")
    return table.run("--vault-password-file", ctl.vault_file)


@pytest.mark.parametrize("case_id, words", case_params(HOST_CASES))
def test_bad_host_input_is_refused_naming_the_option_and_the_host_is_unchanged(host_table, case_id, words):
    check_case(host_table, case_id, words)


# ---- the same lab host, after the table: an admin's chmod of the users file is put right ---------------
# (here, not in a file of its own: one lab for both; the table's cases change nothing on the host, this runs after)

def _sshd_otp_play(table, path, check=False):
    """A play that escrows root's secret and runs sshd_otp (secret from the escrow, real login proof) on lin01."""
    play = [{"name": "Users file mode", "hosts": "case01", "gather_facts": False,
             "module_defaults": {"group/fleet2fa.nas.escrow": {"escrow": {"dir": "{{ escrow_dir }}"}}},
             "tasks": [task("totp_secret"),
                       dict(sshd(users=[{"name": "root"}]), register="outcome"),
                       {"name": "Result", "ansible.builtin.copy": {"content": "{{ outcome | to_json }}", "dest": path},
                        "delegate_to": "localhost", "check_mode": False}]}]
    playbook = os.path.join(table.root, "mode.yml")
    with open(playbook, "w") as handle:
        yaml.safe_dump(play, handle, sort_keys=False)
    import subprocess  # pylint: disable=import-outside-toplevel
    env = {k: v for k, v in table.env.items() if not k.startswith("BADINPUT_") and k != "ANSIBLE_CALLBACKS_ENABLED"}
    done = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", table.inventory, playbook, "--diff",
                           "--vault-password-file", os.path.join(table.root, "vault-password")] + (["--check"] if check else []),
                          env=env, cwd=table.root, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    with open(path) as handle:
        return json.load(handle), done.stdout


def test_a_world_readable_users_file_is_set_back_to_0600_and_said_so(lab, host_table):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(HERE))), "tests", "lab"))
    from fleetlib import faults  # pylint: disable=import-outside-toplevel

    def mode():
        return faults.host_exec(lab.name, "lin01", "stat -c '%a %U' /etc/users.oath").strip()

    result, dummy = _sshd_otp_play(host_table, os.path.join(host_table.root, "first.json"))
    assert result["changed"] and mode() == "600 root"
    entries = "cut -f1-4 /etc/users.oath | sha256sum"  # type, user, pin, secret: not pam_oath's replay state
    before = faults.host_exec(lab.name, "lin01", entries)
    faults.host_exec(lab.name, "lin01", "chmod 0644 /etc/users.oath")  # an admin's chmod

    result, out = _sshd_otp_play(host_table, os.path.join(host_table.root, "check.json"), check=True)
    assert result["changed"] and result["changed_files"] == ["/etc/users.oath"], result
    assert "-# mode 0644" in out and "+# mode 0600, owner root" in out, out[-3000:]
    assert result["notes"] == ["/etc/users.oath had mode 0644; it is set to 0600, owner root"], result
    assert mode() == "644 root"  # check mode only says it would

    result, out = _sshd_otp_play(host_table, os.path.join(host_table.root, "fixed.json"))
    assert result["changed"] and result["changed_files"] == ["/etc/users.oath"], result
    assert mode() == "600 root"
    assert result["notes"] == ["/etc/users.oath had mode 0644; it is set to 0600, owner root"], result
    assert faults.host_exec(lab.name, "lin01", entries) == before

    result, dummy = _sshd_otp_play(host_table, os.path.join(host_table.root, "again.json"))
    assert not result["changed"] and result["notes"] == [], result
