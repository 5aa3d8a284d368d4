"""The controller at fleet scale: escrow reads, the report, rotate's selection and a handout over
N escrowed hosts (file escrow, one ansible-vault file a host), timed and with their peak memory,
against the floor: one ansible-vault decrypt an entry, and one QR encode (PNG + SVG, as the QR files
are written) an entry. A measurement, never a test: nothing here passes or fails on time.

    PYTHONPATH=tests/output/collections .venv/bin/python tests/bench/controller.py --sizes 1000,10000

Each measurement runs in a fresh Python process; its peak memory is that process's peak RSS
(VmHWM) less the peak of a process that imported the same code and did nothing ("idle").
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

PASSWORD = b"controller bench vault password"
OPS = ("idle", "floor_decrypt", "floor_qr", "escrow_reads", "report", "rotate_select", "handout")


def _store(folder):
    from ansible.parsing.vault import VaultSecret

    from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.registry import open_escrow

    return open_escrow({"dir": folder}, vault_secrets=[("default", VaultSecret(PASSWORD))])


def _hosts(size):
    return ["nas%05d" % i for i in range(size)]


def make_escrow(folder, size):
    """N hosts with root's entry, two verified devices and a proven login, as a rollout leaves them."""
    from ansible_collections.fleet2fa.nas.plugins.module_utils._totp import TotpKey
    from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import EscrowEntry

    store = _store(folder)
    for host in _hosts(size):
        entry = EscrowEntry.new("root", TotpKey.generate())
        entry.devices = [{"name": "primary", "verified": True}, {"name": "backup", "verified": True}]
        entry.last_proven_login = "2026-12-01T12:00:00Z"
        store.put_once(host, "root", entry)


def _peak_rss_kib():
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def run_op(op, folder, size, out_dir):
    """One measurement, in this process; prints {op, seconds, peak_rss_kib, items}."""
    from ansible.parsing.vault import VaultLib, VaultSecret

    from ansible_collections.fleet2fa.nas.plugins.plugin_utils import _entry_query, _handout, _report
    from ansible_collections.fleet2fa.nas.plugins.plugin_utils._qr import QrFiles

    hosts = _hosts(size)
    store = _store(folder)
    # Warm-up, untimed and in every process alike (idle too): lazy imports and first-use setup.
    with open(store.location(hosts[0]), "rb") as fh:
        VaultLib([("default", VaultSecret(PASSWORD))]).decrypt(fh.read())
    QrFiles.render("otpauth://totp/fleet2fa:warm-up?secret=JBSWY3DPEHPK3PXP&issuer=fleet2fa")
    started = time.perf_counter()
    items = 0
    if op == "floor_decrypt":
        vault = VaultLib([("default", VaultSecret(PASSWORD))])
        for host in hosts:
            with open(store.location(host), "rb") as fh:
                vault.decrypt(fh.read())
            items += 1
    elif op == "floor_qr":
        for host in hosts:
            QrFiles.render("otpauth://totp/fleet2fa:root%%40%s?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
                           "&issuer=fleet2fa&digits=6&period=30" % host)
            items += 1
    elif op == "escrow_reads":
        for host in hosts:
            items += store.get(host, "root") is not None
    elif op == "report":
        document, guard = _report.build(hosts, {}, store)
        data = _report.to_json(document, guard)
        with open(os.path.join(out_dir, "report.json"), "wb") as fh:
            fh.write(data)
        items = document["summary"]["users_escrowed"]
    elif op == "rotate_select":
        for host in hosts:
            chosen, _docs = _entry_query.select(store, host, ["root"], "age_days > `90` || verified_devices < `2`")
            items += len(chosen) == 0  # fresh entries with two devices: none is picked
    elif op == "handout":
        accounts, _skipped, _missing = _handout.collect(store, "root", hosts)
        files, _manifest = _handout.render_pack("root", accounts)
        items = len(accounts)
        assert len(files) == 2 * ((len(accounts) + 9) // 10)
    seconds = time.perf_counter() - started
    print(json.dumps({"op": op, "seconds": seconds, "peak_rss_kib": _peak_rss_kib(), "items": items}))


def measure(op, folder, size, out_dir):
    res = subprocess.run([sys.executable, __file__, "--run-op", op, "--dir", folder, "--size", str(size),
                          "--out", out_dir], capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise SystemExit("%s failed:\n%s" % (op, res.stderr[-3000:]))
    return json.loads(res.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--ops", default=",".join(OPS[1:]), help="which measurements (default: all)")
    ap.add_argument("--run-op", choices=OPS)
    ap.add_argument("--dir")
    ap.add_argument("--size", type=int)
    ap.add_argument("--out")
    args = ap.parse_args()
    if args.run_op:
        run_op(args.run_op, args.dir, args.size, args.out)
        return
    with open("/proc/loadavg", encoding="ascii") as fh:
        load = " ".join(fh.read().split()[:3])
    print("controller bench: python %s, %d CPUs, load %s" % (sys.version.split()[0], os.cpu_count(), load))
    print("| entries | what | seconds | x floor | peak memory (MiB over idle) |")
    print("| --- | --- | --- | --- | --- |")
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="fleet2fa-ctl-bench-") as work:
            folder, out_dir = os.path.join(work, "escrow"), os.path.join(work, "out")
            os.makedirs(out_dir)
            started = time.perf_counter()
            make_escrow(folder, size)
            made = time.perf_counter() - started
            wanted = ["idle"] + [op for op in OPS[1:] if op in args.ops.split(",")]
            rows = {op: measure(op, folder, size, out_dir) for op in wanted}
            idle = rows["idle"]["peak_rss_kib"]
            decrypt = rows["floor_decrypt"]["seconds"] if "floor_decrypt" in rows else float("nan")
            qr = rows["floor_qr"]["seconds"] if "floor_qr" in rows else float("nan")
            floors = {"escrow_reads": decrypt, "report": decrypt, "rotate_select": decrypt, "handout": decrypt + qr,
                      "floor_decrypt": decrypt, "floor_qr": qr}
            print("| %d | writing the escrow (setup) | %.1f | | |" % (size, made))
            for op in wanted[1:]:
                row = rows[op]
                ratio, mib = row["seconds"] / floors[op], (row["peak_rss_kib"] - idle) / 1024.0
                print("| %d | %s | %.2f | %.2fx | %.1f |" % (size, op, row["seconds"], ratio, mib))
            sys.stdout.flush()
    print("floors: escrow reads, report and rotate selection: one decrypt an entry; handout: one decrypt and one QR "
          "encode (PNG + SVG of a one-account URI) an entry")


if __name__ == "__main__":
    main()
