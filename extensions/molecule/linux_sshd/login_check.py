"""Verify step: real keyboard-interactive logins, written apart from the collection's prover.

Reads {"host", "user", "password", "secret"} as JSON on stdin (never on the command line) and
prints what each attempt gave, without any secret or code.
"""
import json
import socket
import sys
import time

import paramiko
import pyotp


def attempt(host, user, password, code, method="keyboard-interactive"):
    transport = paramiko.Transport(socket.create_connection((host, 22), timeout=15))
    try:
        transport.start_client(timeout=15)
        if method == "password":
            transport.auth_password(user, password)
        else:
            transport.auth_interactive(
                user, lambda _t, _i, prompts: [code if "one-time" in p.lower() else password for p, _e in prompts])
        return transport.is_authenticated()
    except (paramiko.AuthenticationException, paramiko.BadAuthenticationType):
        return False
    finally:
        transport.close()


def main():
    given = json.load(sys.stdin)
    host, user, password = given["host"], given["user"], given["password"]
    totp = pyotp.TOTP(given["secret"])
    near = {totp.at(time.time() + k * 30) for k in range(-5, 6)}
    wrong = next(c for c in ("%06d" % n for n in range(10 ** 6)) if c not in near)
    seen = {
        "wrong_code": attempt(host, user, password, wrong),
        "password_method": attempt(host, user, password, None, method="password"),
    }
    # The converge proof used a code moments ago: take the code of a later step.
    time.sleep(30 - time.time() % 30 + 0.1)
    code = totp.now()
    seen["right_code"] = attempt(host, user, password, code)
    seen["replayed_code"] = attempt(host, user, password, code)
    json.dump(seen, sys.stdout)


if __name__ == "__main__":
    main()
