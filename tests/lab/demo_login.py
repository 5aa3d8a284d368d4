"""make demo: log in to each lab host as root with password + current code, our own client.

Independent of the collection's prover: reads the escrow with ansible-vault's Python API, computes
the code with pyotp and logs in with paramiko (keyboard-interactive). Also checks that a wrong code
is refused. Prints one line a host, never a secret or a code.

Usage: demo_login.py INVENTORY ESCROW_DIR VAULT_PASSWORD_FILE
"""
import socket
import sys
import time

import paramiko
import pyotp
import yaml
from ansible.parsing.vault import VaultLib, VaultSecret


def login(address, password, code):
    transport = paramiko.Transport(socket.create_connection((address, 22), timeout=15))
    try:
        transport.start_client(timeout=15)

        def answer(_title, _instructions, prompts):
            return [code if ("one-time" in p.lower() or "oath" in p.lower()) else password for p, _echo in prompts]

        transport.auth_interactive("root", answer)
        return transport.is_authenticated()
    except paramiko.AuthenticationException:
        return False
    finally:
        transport.close()


def main():
    inventory, escrow_dir, vault_file = sys.argv[1:4]
    with open(vault_file, "rb") as fh:
        vault = VaultLib([("default", VaultSecret(fh.read().strip()))])
    with open(inventory, encoding="utf-8") as fh:
        inv = yaml.safe_load(fh)
    hosts = []
    for group in ("linux", "truenas"):
        for name, hv in sorted(((inv.get("all", inv).get("children", {}).get(group) or {}).get("hosts") or {}).items()):
            with open("%s/%s.yml" % (escrow_dir, name), "rb") as fh:
                entry = yaml.safe_load(vault.decrypt(fh.read()))["users"]["root"]
            totp = pyotp.TOTP(entry["secret"], digits=entry.get("digits", 6), interval=entry.get("interval", 30))
            near = {totp.at(time.time() + k * totp.interval) for k in range(-5, 6)}
            wrong = next(c for c in ("%06d" % n for n in range(10 ** 6)) if c not in near)
            refused = not login(hv["ansible_host"], hv["lab_root_password"], wrong)
            hosts.append((name, group, hv, totp, refused))
    # The rollout's own proofs used codes moments ago and pam_oath refuses a replay: take the next step's.
    time.sleep(30 - time.time() % 30 + 0.2)
    failures = 0
    for name, group, hv, totp, refused in hosts:
        accepted = login(hv["ansible_host"], hv["lab_root_password"], totp.now())
        failures += not (refused and accepted)
        print("%-10s %-7s %-15s password + code: %s; wrong code: %s" % (
            name, group, hv["ansible_host"], "IN" if accepted else "REFUSED", "refused" if refused else "ACCEPTED"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
