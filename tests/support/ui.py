"""The Dagster UI's processes for tests: `dagster dev` or `dagster-webserver` on loopback, and its GraphQL API."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READY = "{ repositoriesOrError { ... on RepositoryConnection { nodes { name } } } }"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query: str) -> dict:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())["data"]


@contextlib.contextmanager
def dagster_dev_on(env: dict, ready: str = READY, args=("dev", "-w", "workspace.yaml"), program: str = "dagster"):
    """`dagster dev` (or `program` with `args`: `dagster-webserver -w workspace.yaml`) with `env`, in its own process
    group: it may ignore SIGTERM, and its children must go with it. Yields its port once GraphQL answers `ready`
    with something."""
    port = free_port()
    proc = start_group(program, [*args, "-h", "127.0.0.1", "-p", str(port)], env)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if any(graphql(port, ready).values()):
                    break
            except OSError:
                pass
            assert proc.poll() is None, f"{program} {args[0]} exited"
            assert time.monotonic() < deadline, f"{program} did not answer within 120 s"
            time.sleep(1)
        yield port
    finally:
        stop_group(proc)


def start_group(program: str, args, env: dict) -> subprocess.Popen:
    """The venv's `program` in its own process group (stop it with stop_group), from the project root."""
    return subprocess.Popen(
        [str(Path(sys.executable).parent / program), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop_group(proc: subprocess.Popen) -> None:
    """SIGTERM to the process group, then SIGKILL to whatever of it is left: a code server the daemon or the
    webserver started can outlive its parent (seen: two `dagster api grpc` left running for an hour)."""
    os.killpg(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=20)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
