"""A TrueNAS box makes a rotated secret itself and uses it at once, so the escrow is checked before the
box is asked: an escrow that can read but not write (the vault's encrypt identity is not among the
play's secrets) fails the rotation with the box still on its old secret and the escrow byte for byte
as it was; a good rotation escrows exactly what the box then holds. One TrueNAS 26.0 box, on-box midclt."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time

import pytest
import yaml
from ansible.parsing.vault import VaultSecret

from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.registry import open_escrow

VAULT_PASSWORD = "truenas rotation vault password"


def sha256(path):
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


@pytest.fixture(scope="module")
def box(make_lab):
    lab = make_lab(truenas=["26.0"])
    host = lab.group("truenas")[0]
    work = tempfile.mkdtemp(prefix="fleet2fa-tn-rotation-")
    vault = os.path.join(work, "vault-password")
    with open(vault, "w", encoding="utf-8") as fh:
        fh.write(VAULT_PASSWORD + "\n")
    escrow_dir = os.path.join(work, "escrow")

    def user_2fa(**args):
        args = dict({"user": "root", "transport": "midclt", "escrow": {"dir": escrow_dir}}, **args)
        return lab.ansible(host.name, "fleet2fa.nas.truenas_user_2fa", args, extra=["--vault-password-file", vault])[host.name]

    def escrowed():
        store = open_escrow({"dir": escrow_dir}, vault_secrets=[("default", VaultSecret(VAULT_PASSWORD.encode()))])
        return store.get(host.name, "root")

    def box_takes(key):
        # The box's window is 0 (the middleware's default) and one ansible call takes seconds, so a
        # code can reach the box a step late: a refusal counts only if the step did not change meanwhile.
        for _attempt in range(2):
            step = int(time.time()) // key.period
            argv = ["midclt", "call", "user.verify_twofactor_token"] + [json.dumps(a) for a in ("root", key.now())]
            res = lab.ansible(host.name, "ansible.builtin.command", {"argv": argv})[host.name]
            assert res.get("rc") == 0, (res.get("stdout"), res.get("stderr"), res.get("msg"))
            if yaml.safe_load(res["stdout"].strip()) is True:
                return True
            if int(time.time()) // key.period == step:
                return False
        return False

    first = user_2fa()
    assert not first.get("failed"), first
    # user.verify_twofactor_token answers only with 2FA on (mw:plugins/account_/2fa.py, see the simulator)
    on = lab.ansible(host.name, "fleet2fa.nas.truenas_2fa", {"enabled": True, "transport": "midclt"})[host.name]
    assert not on.get("failed"), on
    yield {"host": host, "user_2fa": user_2fa, "escrowed": escrowed, "box_takes": box_takes,
           "path": os.path.join(escrow_dir, host.name + ".yml")}
    shutil.rmtree(work, ignore_errors=True)


def test_an_escrow_that_cannot_take_the_new_secret_fails_before_the_box_makes_one(box, monkeypatch):
    before, old = sha256(box["path"]), box["escrowed"]()
    monkeypatch.setenv("ANSIBLE_VAULT_ENCRYPT_IDENTITY", "not-a-vault-id-of-this-play")
    refused = box["user_2fa"](regenerate="always")
    monkeypatch.delenv("ANSIBLE_VAULT_ENCRYPT_IDENTITY")
    assert refused.get("failed"), refused
    assert "no vault secret is usable to encrypt the escrow" in refused["msg"], refused
    assert "in no escrow" not in refused["msg"]  # the box was never asked
    assert sha256(box["path"]) == before
    assert box["box_takes"](old.key)


def test_a_good_rotation_escrows_the_secret_the_box_then_holds(box):
    old = box["escrowed"]()
    rotated = box["user_2fa"](regenerate="always")
    assert not rotated.get("failed") and rotated["rotated"] is True, rotated
    new = box["escrowed"]()
    assert new.fingerprint != old.fingerprint == old.key.fingerprint
    assert box["box_takes"](new.key)
