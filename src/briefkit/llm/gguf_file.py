"""Checks on a GGUF file before llama.cpp opens it: header, architecture, completeness, memory.

Reads only the header (metadata and tensor table) with a small streaming parser, so a
multi-GB checkpoint is inspected in well under a second; string arrays (the vocabulary) are
skipped, not decoded. It does not validate tensor contents: the probe's test decode does.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from ..errors import ModelUnavailable

MAGIC = b"GGUF"
# Architectures this project has tested: SmolLM2 (llama), the Qwen family: Qwen2/2.5 (qwen2), Qwen3 (qwen3),
# Qwen3.5 (qwen35). Others load with allow_any.
SUPPORTED_ARCHITECTURES = {"llama", "qwen2", "qwen3", "qwen35"}
ALLOW_ANY_ENV = "BRIEFKIT_ALLOW_ANY_GGUF"

# GGUF metadata value types: id -> struct format (strings 8, arrays 9 handled apart)
_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
_STRING, _ARRAY = 8, 9


@dataclass
class GGUFHeader:
    path: Path
    version: int
    metadata: dict[str, object] = field(default_factory=dict)  # scalars and strings; arrays as their length
    data_end: int = 0  # bytes the tensor data needs, from the start of the file

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", ""))

    @property
    def qwen(self) -> bool:
        """A Qwen-family model (any ``qwen*`` architecture)."""
        return self.architecture.startswith("qwen")

    @property
    def thinking(self) -> bool:
        """The family has a thinking mode that its chat template switches (``enable_thinking``): Qwen3 and
        later (``qwen3``, ``qwen35``, their MoE variants). Qwen2/2.5 (``qwen2``) have none."""
        return self.architecture.startswith("qwen3")

    @property
    def chat_template(self) -> str | None:
        value = self.metadata.get("tokenizer.chat_template")
        return value if isinstance(value, str) else None


class _Reader:
    def __init__(self, f: BinaryIO) -> None:
        self.f = f

    def take(self, fmt: str):
        size = struct.calcsize("<" + fmt)
        raw = self.f.read(size)
        if len(raw) != size:
            raise EOFError
        return struct.unpack("<" + fmt, raw)[0]

    def string(self, keep: bool = True) -> str | None:
        n = self.take("Q")
        if n > 1 << 31:
            raise ValueError("string length out of range")
        if not keep:
            self.f.seek(n, os.SEEK_CUR)
            return None
        raw = self.f.read(n)
        if len(raw) != n:
            raise EOFError
        return raw.decode("utf-8", errors="replace")

    def value(self, vtype: int):
        if vtype in _SCALARS:
            return self.take(_SCALARS[vtype])
        if vtype == _STRING:
            return self.string()
        if vtype == _ARRAY:
            itype, count = self.take("I"), self.take("Q")
            if itype == _STRING:
                for _ in range(count):
                    self.string(keep=False)
            elif itype in _SCALARS:
                self.f.seek(count * struct.calcsize(_SCALARS[itype]), os.SEEK_CUR)
            else:
                for _ in range(count):
                    self.value(itype)
            return count
        raise ValueError(f"unknown metadata type {vtype}")


def _tensor_bytes(ggml_type: int, n_elements: int) -> int:
    from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType

    block, size = GGML_QUANT_SIZES[GGMLQuantizationType(ggml_type)]
    return n_elements // block * size


def read_header(path: Path) -> GGUFHeader:
    """Parse the GGUF header; a file that is not GGUF or is cut short is a ModelUnavailable."""
    size = path.stat().st_size
    try:
        with path.open("rb") as f:
            if f.read(4) != MAGIC:
                raise ModelUnavailable(f"{path} is not a GGUF file (no GGUF magic number)")
            r = _Reader(f)
            header = GGUFHeader(path, r.take("I"))
            n_tensors, n_kv = r.take("Q"), r.take("Q")
            for _ in range(n_kv):
                key = r.string()
                header.metadata[key] = r.value(r.take("I"))
            end = 0
            for _ in range(n_tensors):
                r.string(keep=False)
                dims = [r.take("Q") for _ in range(r.take("I"))]
                ggml_type, offset = r.take("I"), r.take("Q")
                n = 1
                for d in dims:
                    n *= d
                end = max(end, offset + _tensor_bytes(ggml_type, n))
            align = int(header.metadata.get("general.alignment", 32) or 32)
            start = -(-f.tell() // align) * align
            header.data_end = start + end
    except (EOFError, struct.error):
        raise ModelUnavailable(f"{path} is truncated: its GGUF header ends early ({size} bytes on disk)") from None
    except (ValueError, KeyError) as exc:
        raise ModelUnavailable(f"{path} is not a readable GGUF file: {exc}") from None
    if header.data_end > size:
        raise ModelUnavailable(
            f"{path} is truncated: the tensors need {header.data_end} bytes, the file has {size}; download it again")
    return header


def check_gguf(path: Path, allow_any: bool | None = None) -> GGUFHeader:
    """Header, supported architecture and chat template of a GGUF, or one clear error."""
    header = read_header(path)
    if allow_any is None:
        allow_any = os.environ.get(ALLOW_ANY_ENV, "") not in ("", "0")
    if not allow_any and header.architecture not in SUPPORTED_ARCHITECTURES:
        raise ModelUnavailable(
            f"{path.name} is a {header.architecture or 'unknown'!s} model; briefkit supports Qwen"
            " (qwen2, qwen3, qwen35)"
            f" and SmolLM2 (llama) GGUF files (set {ALLOW_ANY_ENV}=1 to try it anyway)")
    if not header.chat_template:
        raise ModelUnavailable(f"{path.name} carries no chat template (tokenizer.chat_template)")
    return header


def check_memory(path: Path, available: int | None = None) -> None:
    """Refuse, before loading, a model whose weights (plus a margin) exceed the memory available."""
    from .cpu import mem_available_bytes

    available = mem_available_bytes() if available is None else available
    if available is None:
        return
    need = int(path.stat().st_size * 1.1) + 256 * 2**20  # weights, KV cache and runtime, roughly
    if need > available:
        raise ModelUnavailable(
            f"{path.name} needs about {need / 2**30:.1f} GiB of memory and {available / 2**30:.1f} GiB is available;"
            " pick a smaller model or quantisation")
