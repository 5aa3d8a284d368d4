"""The TrueNAS lab of the tests in this folder; it comes up once a test module."""

import os
import shutil
import tempfile

import pytest

from truenas_lab import PROFILES, TrueNASLab


@pytest.fixture(scope="module")
def tn(make_lab):
    workdir = tempfile.mkdtemp(prefix="fleet2fa-truenas-")
    lab = make_lab(truenas=PROFILES * 2)
    env = TrueNASLab(lab, workdir)
    env.mint_api_keys()
    env.write_overlay()
    yield env
    if os.environ.get("FLEET2FA_KEEP_LAB") == "1":
        print("kept: lab %s, escrow and vault password in %s" % (lab.name, workdir))
    else:
        shutil.rmtree(workdir, ignore_errors=True)
