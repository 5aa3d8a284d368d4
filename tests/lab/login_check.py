"""Real SSH logins with password + one-time code, by a client of our own (paramiko + pyotp).

Written apart from the collection's prover (plugins/plugin_utils), so that no test checks the
collection's code with itself. One home for the molecule scenarios' verify steps, ``make demo``
and the integration tests (tests/integration/sshd/otp_login.py is a thin user of it).

As a library::

    from login_check import login, wrong_code, fresh_code
    seen = login("10.213.5.11", "root", password, code)    # Login(ok, output, prompts)

As a command, with the secret on stdin (never on a command line), printing no secret and no code:

    login_check.py                 JSON {"host", "user", "password", "secret", "port", "digits",
                                   "interval", "checks"} on stdin; prints {check: true/false} for
                                   the checks asked (default: wrong_code, right_code):
                                     wrong_code      password + a code of no nearby step gets in
                                     password_method the "password" method alone gets in
                                     right_code      password + the code of a step after now gets in
                                     replayed_code   that same code, used again, gets in
    login_check.py fleet INVENTORY ESCROW_DIR VAULT_PASSWORD_FILE
                                   every host of a lab inventory: a wrong code is refused and
                                   password + code get in, one line a host (make demo); the escrow
                                   is read with ansible-vault's own VaultLib, as ansible-vault view
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import json
import socket
import sys
import time

import paramiko
import pyotp

TIMEOUT = 15


@dataclasses.dataclass(frozen=True)
class Login:
    ok: bool
    output: str | None  # the command's stdout, when one was asked and the login got in
    prompts: tuple  # "password" or "otp" for each keyboard-interactive prompt sshd sent


def is_otp_prompt(prompt):
    return "one-time" in prompt.lower() or "oath" in prompt.lower()


def connect(address, port=22, timeout=TIMEOUT):
    """A started paramiko Transport; a refused connection is tried twice more (sshd restarting)."""
    for attempt in range(3):
        try:
            sock = socket.create_connection((address, port), timeout=timeout)
            break
        except ConnectionRefusedError:
            if attempt == 2:
                raise
            time.sleep(1)
    transport = paramiko.Transport(sock)
    transport.start_client(timeout=timeout)
    transport.auth_timeout = timeout
    return transport


def login(address, user, password, code=None, method="keyboard-interactive", command=None, port=22):
    """Log in as ``user``: keyboard-interactive answering the password and code prompts, or the
    "password" method with the password alone. Runs ``command`` when it got in."""
    prompts = []

    def answer(_title, _instructions, asked):
        kinds = ["otp" if is_otp_prompt(p) else "password" for p, _echo in asked]
        prompts.extend(kinds)
        return [code if kind == "otp" else password for kind in kinds]

    transport = connect(address, port)
    try:
        try:
            if method == "password":
                transport.auth_password(user, password)
            else:
                transport.auth_interactive(user, answer)
        except (paramiko.AuthenticationException, paramiko.BadAuthenticationType):
            return Login(False, None, tuple(prompts))
        output = None
        if command is not None and transport.is_authenticated():
            channel = transport.open_session()
            channel.exec_command(command)
            output = channel.makefile().read().decode().strip()
        return Login(transport.is_authenticated(), output, tuple(prompts))
    finally:
        transport.close()


def wrong_code(secret, digits=6, interval=30, around=None):
    """A code that no step near ``around`` (default now) has."""
    totp = pyotp.TOTP(secret, digits=digits, interval=interval)
    now = time.time() if around is None else around
    near = {totp.at(now + k * interval) for k in range(-6, 7)}
    return next(c for c in ("%0*d" % (digits, n) for n in range(10 ** digits)) if c not in near)


def fresh_code(secret, not_before_step=None, digits=6, interval=30):
    """(code, step) of the current step, after waiting for a step later than ``not_before_step``."""
    while not_before_step is not None and int(time.time() // interval) <= not_before_step:
        time.sleep(interval - time.time() % interval + 0.05)
    step = int(time.time() // interval)
    return pyotp.TOTP(secret, digits=digits, interval=interval).at(step * interval), step


def next_step_code(secret, digits=6, interval=30):
    """The code of the step after this one, once it has begun: codes the runs before used are spent
    (pam_oath refuses a code of a step it already took)."""
    return fresh_code(secret, int(time.time() // interval), digits, interval)[0]


def run_checks(given):
    host, user, password = given["host"], given.get("user", "root"), given["password"]
    port = int(given.get("port", 22))
    secret, digits, interval = given["secret"], int(given.get("digits", 6)), int(given.get("interval", 30))
    checks = given.get("checks") or ["wrong_code", "right_code"]
    seen = {}
    if "wrong_code" in checks:
        seen["wrong_code"] = login(host, user, password, wrong_code(secret, digits, interval), port=port).ok
    if "password_method" in checks:
        seen["password_method"] = login(host, user, password, method="password", port=port).ok
    if "right_code" in checks or "replayed_code" in checks:
        code = next_step_code(secret, digits, interval)
        seen["right_code"] = login(host, user, password, code, port=port).ok
        if "replayed_code" in checks:
            seen["replayed_code"] = login(host, user, password, code, port=port).ok
    return seen


def check_fleet(inventory, escrow_dir, vault_file):
    """make demo: every lab host refuses a wrong code and takes password + code. 0 when all do."""
    import yaml  # pylint: disable=import-outside-toplevel
    from ansible.parsing.vault import VaultLib, VaultSecret  # pylint: disable=import-outside-toplevel

    with open(vault_file, "rb") as fh:
        vault = VaultLib([("default", VaultSecret(fh.read().strip()))])
    with open(inventory, encoding="utf-8") as fh:
        children = (yaml.safe_load(fh).get("all") or {}).get("children") or {}
    hosts = []
    for group in ("linux", "truenas"):
        for name, hostvars in sorted(((children.get(group) or {}).get("hosts") or {}).items()):
            with open("%s/%s.yml" % (escrow_dir, name), "rb") as fh:
                entry = yaml.safe_load(vault.decrypt(fh.read()))["users"]["root"]
            hosts.append((name, group, hostvars, entry))

    def one(item):
        _name, _group, hostvars, entry = item
        return run_checks({"host": hostvars["ansible_host"], "password": hostvars["lab_root_password"],
                           "secret": entry["secret"], "digits": entry.get("digits", 6),
                           "interval": entry.get("interval", 30)})

    with concurrent.futures.ThreadPoolExecutor(max(1, len(hosts))) as pool:
        results = list(pool.map(one, hosts))
    failures = 0
    for (name, group, hostvars, _entry), seen in zip(hosts, results):
        failures += not (seen["right_code"] and not seen["wrong_code"])
        print("%-10s %-7s %-15s password + code: %s; wrong code: %s" % (
            name, group, hostvars["ansible_host"], "IN" if seen["right_code"] else "REFUSED",
            "ACCEPTED" if seen["wrong_code"] else "refused"))
    return 1 if failures else 0


def main(argv):
    if argv[:1] == ["fleet"] and len(argv) == 4:
        return check_fleet(*argv[1:])
    if argv:
        print(__doc__, file=sys.stderr)
        return 2
    json.dump(run_checks(json.load(sys.stdin)), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
