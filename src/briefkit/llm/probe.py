"""Crash containment for llama.cpp: a tiny decode of the chosen GGUF in a child process first.

A llama.cpp build that does not suit the CPU (an AMX path, an instruction the CPU lacks) dies
with a signal in its first decode and takes the whole Python process with it. Before the
llamacpp backend decodes in this process, :func:`ensure_decodes` runs ``python -m
briefkit.llm.probe GGUF`` with a timeout; a signal or a failure becomes one
:class:`ModelUnavailable` line. A pass is remembered in the cache folder, keyed by the
llama-cpp-python version and library files, the CPU and the GGUF file (path, size, mtime),
so later processes skip the child. It does not check the quality of what the model writes.

``BRIEFKIT_LLAMA_PROBE_CMD`` replaces the child command (shell words; the GGUF path is
appended): a hook for diagnosis and for tests that need a child that really crashes.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
from pathlib import Path

from ..errors import ModelUnavailable

PROBE_CMD_ENV = "BRIEFKIT_LLAMA_PROBE_CMD"
REBUILD_HINT = ("rebuild llama-cpp-python portably: `scripts/setup --dev` in a briefkit checkout, or"
                " CMAKE_ARGS=\"-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON\""
                " pip install --force-reinstall --no-cache-dir --no-binary llama-cpp-python llama-cpp-python")
_passed: set[str] = set()
_lock = threading.Lock()


def _library_files() -> list[Path]:
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.submodule_search_locations:
        return []
    lib = Path(list(spec.submodule_search_locations)[0]) / "lib"
    return sorted(lib.glob("*.so*")) + sorted(lib.glob("*.dylib")) + sorted(lib.glob("*.dll"))


def probe_command(gguf: Path) -> list[str]:
    """The child command: the override from the environment, else this module as a script."""
    override = os.environ.get(PROBE_CMD_ENV)
    base = shlex.split(override) if override else [sys.executable, "-m", "briefkit.llm.probe"]
    return [*base, str(gguf)]


def probe_key(gguf: Path) -> str:
    """Hash of everything a pass depends on: library build, CPU, GGUF file, probe command."""
    from .cpu import cpu_flags, cpu_model

    try:
        version = importlib.metadata.version("llama-cpp-python")
    except importlib.metadata.PackageNotFoundError:
        version = "?"
    st = gguf.stat()
    parts = {
        "llama_cpp": version,
        "libs": [(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in _library_files()],
        "cpu": [cpu_model(), sorted(cpu_flags())],
        "gguf": [str(gguf.resolve()), st.st_size, st.st_mtime_ns],
        "cmd": probe_command(gguf)[:-1],
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]


def _stamp(key: str) -> Path:
    from .models import cache_root

    return cache_root() / "llamacpp-probe" / f"{key}.json"


_GGML_STOP = re.compile(r"^(?P<file>\S+\.(?:c|cpp|h)):(?P<line>\d+): (?P<message>.+)$")


def _ggml_stop(stderr: str) -> str | None:
    """``file.cpp:LINE: message`` of the first GGML_ASSERT / GGML_ABORT report in ``stderr``
    (the file as a base name), or None."""
    for line in stderr.splitlines():
        found = _GGML_STOP.match(line.strip())
        if found:
            return f"{Path(found['file']).name}:{found['line']}: {found['message'][:300]}"
    return None


def run_probe(gguf: Path, name: str, timeout_s: float = 300.0) -> None:
    """Run the child once; raise ModelUnavailable naming the signal, timeout or load error."""
    cmd = probe_command(gguf)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise ModelUnavailable(f"llama.cpp did not finish a test decode of {name} within {timeout_s:.0f} s") from None
    except OSError as exc:
        raise ModelUnavailable(f"cannot start the llama.cpp test decode ({cmd[0]}): {exc.strerror}") from None
    if proc.returncode < 0:
        try:
            sig = signal.Signals(-proc.returncode).name
        except ValueError:
            sig = f"signal {-proc.returncode}"
        stopped = _ggml_stop(proc.stderr)
        if sig == "SIGABRT" and stopped:  # llama.cpp stopped itself on a check: the file or the build, not the CPU
            raise ModelUnavailable(
                f"llama.cpp stopped in a test decode of {name}: {stopped}; this llama.cpp build cannot run this"
                " model file: update llama-cpp-python (`scripts/setup --dev`) or convert the model again")
        raise ModelUnavailable(
            f"llama.cpp crashed ({sig}) in a test decode of {name}: the installed build does not run on this CPU;"
            f" {REBUILD_HINT}")
    if proc.returncode != 0:
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        detail = lines[-1].removeprefix("error: ") if lines else f"exit code {proc.returncode}"
        raise ModelUnavailable(f"llama.cpp cannot run {name}: {detail[:300]}")


def ensure_decodes(gguf: Path, name: str, timeout_s: float = 300.0) -> bool:
    """Probe ``gguf`` unless this process or the cache already saw it pass; True when the child ran."""
    key = probe_key(gguf)
    with _lock:
        if key in _passed:
            return False
        stamp = _stamp(key)
        if stamp.exists():
            _passed.add(key)
            return False
        run_probe(gguf, name, timeout_s)
        stamp.parent.mkdir(parents=True, exist_ok=True)
        tmp = stamp.with_suffix(f".tmp-{os.getpid()}")
        tmp.write_text(json.dumps({"gguf": str(gguf), "ok": True}))
        os.replace(tmp, stamp)
        _passed.add(key)
        return True


def _child(path: str) -> int:
    """Load the GGUF and decode two tokens; exit 0, or 3 with one line on stderr."""
    try:
        from llama_cpp import Llama

        llm = Llama(model_path=path, n_ctx=128, n_batch=64, n_threads=min(2, os.cpu_count() or 1), verbose=False)
        llm.create_completion("Hello", max_tokens=2, temperature=0.0)
    except Exception as exc:  # noqa: BLE001 - reported to the parent as one line
        print(f"error: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1]))
