# SPDX-License-Identifier: GPL-3.0-or-later
"""`openssl s_server` and `openssl ocsp` for what the lab's daemons cannot serve.

SslServer serves any certificate file with any chain file, in the order
given (a chain in the wrong order, a 1024-bit key, a SHA-1 signature, a
not-yet-valid certificate), on 127.0.0.1 only, and staples the OCSP
response in `status_file` if given. OcspResponder answers RFC 6960
requests from a CA index (good and revoked serials) on `port`, and
fetches its own answer for a certificate into a file (`openssl ocsp
-respout`), for an SslServer to staple;
OpenSSL 3.0's responder has no option to choose its address and listens on
every address, so tests send it traffic on 127.0.0.1 only.
"""

from __future__ import annotations

from pathlib import Path

from .certs import Certs
from .daemon import Daemon, tcp_accepts
from .ports import pick_port

ADDRESS = "127.0.0.1"
OCSP_VALID_MINUTES = 5
READY_LINE = "waiting for OCSP client connections"


class SslServer(Daemon):
    """openssl s_server -www on 127.0.0.1:`port` with `cert` and, optionally, a `chain` file sent as is
    and a DER OCSP response in `status_file` to staple (RFC 6066 §8)."""

    kind = "s_server"

    def __init__(self, run_dir: Path, cert: Path, key: Path, chain: Path | None = None,
                 port: int | None = None, status_file: Path | None = None) -> None:
        super().__init__(run_dir)
        self.cert, self.key, self.chain, self.status_file = cert, key, chain, status_file
        self.port = port if port is not None else pick_port()

    def ports(self) -> list[int]:
        return [self.port]

    def is_ready(self) -> bool:
        return tcp_accepts(ADDRESS, self.port)

    def write_config(self) -> None:
        pass  # everything is on the command line

    def command(self) -> list[str]:
        chain = ["-cert_chain", str(self.chain)] if self.chain else []
        staple = ["-status_file", str(self.status_file)] if self.status_file else []
        # Security level 0: serve a 1024-bit key or a SHA-1 signature, for the check to judge.
        return ["openssl", "s_server", "-accept", f"{ADDRESS}:{self.port}", "-cipher", "DEFAULT:@SECLEVEL=0",
                "-cert", str(self.cert), "-key", str(self.key), *chain, *staple, "-www", "-quiet"]


class OcspResponder(Daemon):
    """openssl ocsp answering for the lab CA: `good` and `revoked` are variant names of `certs`."""

    kind = "ocsp"

    def __init__(self, run_dir: Path, certs: Certs, port: int, good: tuple[str, ...] = (),
                 revoked: tuple[str, ...] = ()) -> None:
        super().__init__(run_dir)
        self.certs, self.port = certs, port
        self.good, self.revoked = good, revoked

    @property
    def url(self) -> str:
        return f"http://{ADDRESS}:{self.port}/"

    def ports(self) -> list[int]:
        return [self.port]

    def is_ready(self) -> bool:
        # Not by connecting: the responder serves one connection at a time and
        # waits forever on one that closes without a request.
        return READY_LINE in self.log_tail()

    def write_config(self) -> None:
        """The CA database `openssl ca` would keep: V(alid) or R(evoked), expiry, revocation, serial."""
        lines = [self._line("V", "", name) for name in self.good]
        lines += [self._line("R", "250101000000Z,keyCompromise", name) for name in self.revoked]
        (self.run_dir / "index.txt").write_text("".join(lines))
        (self.run_dir / "index.txt.attr").write_text("unique_subject = no\n")

    def _line(self, status: str, revoked: str, name: str) -> str:
        cert = self.certs.certificate(name)
        expiry = getattr(cert, "not_valid_after_utc", None) or cert.not_valid_after
        serial = f"{cert.serial_number:X}"
        serial = "0" * (len(serial) % 2) + serial  # whole bytes, as OpenSSL writes serials
        return f"{status}\t{expiry:%y%m%d%H%M%SZ}\t{revoked}\t{serial}\tunknown\t/CN={name}\n"

    def fetch(self, name: str, path: Path) -> Path:
        """Ask this responder about variant `name` (as a server does before stapling); the DER answer in `path`."""
        import subprocess

        ca = str(self.certs.ca_cert)
        subprocess.run(["openssl", "ocsp", "-issuer", ca, "-cert", str(self.certs.cert(name)), "-url", self.url,
                        "-CAfile", ca, "-respout", str(path)], capture_output=True, check=True, timeout=30)
        return path

    def command(self) -> list[str]:
        ca, key = str(self.certs.ca_cert), str(self.certs.ca_key)
        return ["openssl", "ocsp", "-index", str(self.run_dir / "index.txt"), "-port", str(self.port),
                "-rsigner", ca, "-rkey", key, "-CA", ca, "-nmin", str(OCSP_VALID_MINUTES)]
