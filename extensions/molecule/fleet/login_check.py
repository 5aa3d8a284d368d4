"""Verify step of the fleet scenario: real keyboard-interactive logins, apart from the collection's prover.

Reads {"host", "user", "password", "secret"} as JSON on stdin and prints whether a wrong code and
then the current code (of a time step after the converge's proofs) let the user in; no secret, no code.
"""
import json
import socket
import sys
import time

import paramiko
import pyotp


def attempt(host, user, password, code):
    transport = paramiko.Transport(socket.create_connection((host, 22), timeout=15))
    try:
        transport.start_client(timeout=15)
        transport.auth_interactive(
            user, lambda _t, _i, prompts: [code if ("one-time" in p.lower() or "oath" in p.lower()) else password
                                           for p, _e in prompts])
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
    seen = {"wrong_code": attempt(host, user, password, wrong)}
    # pam_oath refuses a code of a step it already took (converge proved a login): use the next step.
    time.sleep(30 - time.time() % 30 + 0.2)
    seen["right_code"] = attempt(host, user, password, totp.now())
    json.dump(seen, sys.stdout)


if __name__ == "__main__":
    main()
