"""torch, imported on demand so that the package loads (and says what is missing) without it."""

from __future__ import annotations

from embeddings.errors import EmbeddingError


def import_torch():  # type: ignore[no-untyped-def]
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - exercised by test_optional_deps
        raise EmbeddingError("the face pipeline needs torch: run 'make setup'") from exc
    return torch


def cpu_has_native_bfloat16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX512-BF16 or AMX); emulated it is slower than float32."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
            for line in info:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return bool(flags & {"avx512_bf16", "amx_bf16"})
    except OSError:  # not Linux: stay with float32
        return False
    return False
