"""Lab fixtures for the integration tests: real sshd hosts from ``tests/lab/fleet``.

``make_lab`` (module scope) is a factory. A test module asks for the lab it needs once::

    @pytest.fixture(scope="module")
    def lab(make_lab):
        return make_lab(linux=3)                              # lin01..lin03
        # make_lab(linux=1, truenas=["25.10", "13.3"])         # + tn2510-1, tn133-1

and its tests use ``lab``:

- ``lab.name``, ``lab.inventory`` (absolute path of the YAML inventory: groups ``linux`` and
  ``truenas``, root by key, ``lab_root_password``, ``truenas_version``), ``lab.key`` (the private
  key), ``lab.root_password``, ``lab.state_dir``;
- ``lab.hosts``: a list of ``LabHost(name, address, root_password, key, group, truenas_version)``,
  ``lab.host("lin01")`` one of them, ``lab.group("truenas")`` a group's;
- ``lab.ansible(pattern, module, args)`` runs an ad-hoc module and returns ``{host: result dict}``
  (the module's JSON, parsed; a failed host has ``failed`` or ``unreachable`` set; it raises only
  when Ansible gave no result at all, e.g. a bad pattern or argument);
- ``lab.run_ansible(*args)`` and ``lab.run_playbook(path, *args)`` run the ``ansible`` /
  ``ansible-playbook`` of this venv against the lab and return the CompletedProcess (text output,
  ``check=False``), with ``ANSIBLE_COLLECTIONS_PATH`` and the rest of the environment inherited;
- ``lab.down()`` / ``lab.up()`` for tests about the lab itself; ``Lab`` and ``lab_name_for`` are
  importable from ``fleet_lab`` (this folder) by test modules that need them.

Each module gets its own lab name, derived from its path (``sshd/test_sshd_otp.py`` ->
``sshd-otp-1a2b``; a second ``make_lab`` call in the module adds ``-2``), so modules and
colleagues' labs run side by side. ``FLEET2FA_LAB_PREFIX`` (e.g. your initials) keeps two
people's runs of the same module apart. Every lab the factory made is torn down when the
module ends, whatever the tests did; ``FLEET2FA_KEEP_LAB=1`` keeps them for a post-mortem
(``tests/lab/fleet down --lab NAME`` afterwards).
"""

import os

import pytest

from fleet_lab import TOP, Lab, fleet, lab_name_for


@pytest.fixture(scope="module")
def make_lab(request):
    """Factory: ``make_lab(linux=N, truenas=[versions], name=None)`` -> a running ``Lab``."""
    made = []

    def _make(linux=0, truenas=(), name=None):
        lab = Lab(name or lab_name_for(os.path.relpath(request.module.__file__, TOP), len(made) + 1), linux, truenas)
        made.append(lab)  # before up: a half-made lab is torn down too
        return lab.up()

    yield _make
    if os.environ.get("FLEET2FA_KEEP_LAB") == "1":
        return
    errors = []
    for lab in made:
        res = fleet("down", "--lab", lab.name, check=False)
        if res.returncode != 0:
            errors.append(res.stderr)
    assert not errors, "lab teardown failed: %s" % errors
