"""Real keyboard-interactive logins for the sshd tests: the lab's login client
(tests/lab/login_check.py, written apart from the collection's prover) under the names these tests
have always used."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lab"))
import login_check  # noqa: E402  pylint: disable=wrong-import-position

fresh_code = login_check.fresh_code


def _transport(address, port=22):
    return login_check.connect(address, port)


def kbd_login(address, user, password, code, command="id -un"):
    """stdout of ``command`` when password + code log in, else None."""
    seen = login_check.login(address, user, password, code, command=command)
    return seen.output if seen.ok else None


def password_method_login(address, user, password):
    """True when the "password" method alone lets ``user`` in."""
    return login_check.login(address, user, password, method="password").ok


def wrong_code(secret):
    return login_check.wrong_code(secret)
