# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""QR files of otpauth URIs: ``<qr_dir>/<host>/<user>.png`` and ``.svg``.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

Rendering is deterministic (pypng and qrcode's SVG writer put no time or random id into the bytes),
so a file is rewritten only when its bytes would change, and a second run leaves mtimes alone.
Files are 0600 in 0700 folders and are written through a temporary file and ``os.replace``.

Every QR code, pack and file an authenticator app reads shows the one label scheme of ``app_label``:
issuer ``fleet2fa``, account ``<user>@<inventory host>``, on Linux and TrueNAS alike. The label a box
gave its own URI (TrueNAS: ``root-tn2410-1@TrueNAS``, issuer ``iXsystems``) stays in the escrow
(``account``, ``issuer``) and is never shown to an app; the app's codes depend on the secret only.
"""

from __future__ import annotations

import io
import os

from ansible_collections.fleet2fa.nas.plugins.module_utils import _deps as deps
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import EscrowError, check_name
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._files import (
    FileWriteError,
    atomic_write,
    check_dirs,
    differs,
    ensure_dir,
)

with deps.declare("qrcode", reason="to draw QR codes"):
    import qrcode
    import qrcode.image.svg

with deps.declare("pypng", reason="to write QR codes as PNG without Pillow"):
    import qrcode.image.pure

EXTENSIONS = (".png", ".svg")
APP_ISSUER = "fleet2fa"


def app_label(host, user):
    """(issuer, account) as the authenticator app shows them: ("fleet2fa", "root@tn2410-1")."""
    check_name(host, "host")
    check_name(user, "user")
    return APP_ISSUER, "%s@%s" % (user, host)


def app_uri(entry, host, user):
    """The otpauth URI of an escrowed key under the app label (secret inside: never put it into results)."""
    if entry.key is None:
        raise EscrowError("the key of %s on %s lives in the TOTP engine and cannot be exported" % (user, host))
    issuer, account = app_label(host, user)
    return entry.key.uri(account, issuer)


class QrFiles:
    """The QR files of one qr_dir."""

    def __init__(self, qr_dir):
        if not qr_dir:
            raise FileWriteError("qr_dir is required")
        self.qr_dir = os.path.abspath(os.path.expanduser(qr_dir))

    def paths(self, host, user):
        check_name(host, "host")
        check_name(user, "user")
        folder = os.path.join(self.qr_dir, host)
        # check_name already rules out separators and dot names; this is the belt to those braces.
        if os.path.dirname(os.path.normpath(folder)) != os.path.normpath(self.qr_dir):
            raise EscrowError("host name %r would leave qr_dir %s" % (host, self.qr_dir))
        return {ext: os.path.join(folder, user + ext) for ext in EXTENSIONS}

    @staticmethod
    def _qr(uri):
        deps.require("qrcode")
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=4)
        code.add_data(uri)
        code.make(fit=True)
        return code

    @classmethod
    def render(cls, uri):
        """``{".png": bytes, ".svg": bytes}`` for the URI; the same URI always gives the same bytes."""
        deps.require("qrcode", "pypng")
        code = cls._qr(uri)
        out = {}
        for ext, factory in ((".png", qrcode.image.pure.PyPNGImage), (".svg", qrcode.image.svg.SvgPathImage)):
            buf = io.BytesIO()
            code.make_image(image_factory=factory).save(buf)
            out[ext] = buf.getvalue()
        return out

    def _check_writable(self, folder):
        """Fail before writing anything if qr_dir or the host folder cannot take files, or must not."""
        check_dirs((self.qr_dir, folder), "qr_dir")
        existing = folder if os.path.isdir(folder) else self.qr_dir
        while not os.path.isdir(existing):
            existing = os.path.dirname(existing)
        if not os.access(existing, os.W_OK | os.X_OK):
            raise FileWriteError("qr_dir: %s is not writable; nothing was written" % existing)

    def changes(self, host, user, uri):
        """The paths whose content differs from what ``uri`` renders to, and the rendered bytes."""
        paths = self.paths(host, user)
        rendered = self.render(uri)
        differing = [path for ext, path in paths.items() if differs(path, rendered[ext])]
        return differing, {paths[ext]: data for ext, data in rendered.items()}

    def write(self, host, user, uri, check_mode=False):
        """Write what differs; returns the paths written (or that would be in check mode)."""
        paths = self.paths(host, user)
        folder = os.path.dirname(paths[".png"])
        self._check_writable(folder)
        differing, rendered = self.changes(host, user, uri)
        if check_mode or not differing:
            return differing
        for path in (self.qr_dir, folder):
            ensure_dir(path, option="qr_dir")
        for path in differing:
            atomic_write(path, rendered[path])
        return differing

    @classmethod
    def draw_on_terminal(cls, uri, title, tty="/dev/tty"):
        """Draw the QR code on the controlling terminal, never on stdout or into a log.

        Returns False when there is no terminal to draw on.
        """
        code = cls._qr(uri)
        try:
            with open(tty, "w", encoding="utf-8") as out:
                out.write("\n%s\n" % title)
                code.print_ascii(out=out, invert=True)
                out.flush()
        except OSError:
            return False
        return True
