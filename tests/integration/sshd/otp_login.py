"""Real keyboard-interactive logins with paramiko, written apart from the collection's own prover
so that the tests do not check the code with itself."""

import socket
import time

import paramiko
import pyotp


def _transport(address, port=22):
    sock = socket.create_connection((address, port), timeout=15)
    transport = paramiko.Transport(sock)
    transport.start_client(timeout=15)
    return transport


def kbd_login(address, user, password, code, command="id -un"):
    """stdout of ``command`` when password + code log in, else None. Records the prompts seen."""
    prompts_seen = []

    def handler(_title, _instructions, prompts):
        answers = []
        for prompt, _echo in prompts:
            prompts_seen.append(prompt)
            answers.append(code if "one-time" in prompt.lower() else password)
        return answers

    transport = _transport(address)
    try:
        try:
            transport.auth_interactive(user, handler)
        except paramiko.AuthenticationException:
            return None
        channel = transport.open_session()
        channel.exec_command(command)
        return channel.makefile().read().decode().strip()
    finally:
        transport.close()


def password_method_login(address, user, password):
    """True when the "password" method alone lets ``user`` in."""
    transport = _transport(address)
    try:
        try:
            transport.auth_password(user, password)
        except (paramiko.BadAuthenticationType, paramiko.AuthenticationException):
            return False
        return transport.is_authenticated()
    finally:
        transport.close()


def fresh_code(secret, not_before_step=None):
    """The code of the current step, after waiting for a step later than ``not_before_step``."""
    while not_before_step is not None and int(time.time() // 30) <= not_before_step:
        time.sleep(30 - time.time() % 30 + 0.05)
    step = int(time.time() // 30)
    return pyotp.TOTP(secret).at(step * 30), step


def wrong_code(secret):
    totp = pyotp.TOTP(secret)
    near = {totp.at(time.time() + k * 30) for k in range(-5, 6)}
    return next(c for c in ("%06d" % n for n in range(10 ** 6)) if c not in near)
