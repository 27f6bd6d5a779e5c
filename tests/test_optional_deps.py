"""Choosing a backend whose package is missing gives a clear error naming the extra to install."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

CASES = [
    ("tantivy", "tantivy", "trackchild[tantivy]"),
    ("elasticsearch", "elasticsearch", "trackchild[elasticsearch]"),
]


@pytest.mark.parametrize(("hidden", "backend", "hint"), CASES)
def test_missing_backend_package_names_the_extra(hidden: str, backend: str, hint: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    script = textwrap.dedent(
        f"""
        import sys
        sys.modules[{hidden!r}] = None  # the package is not installed
        from indexer import BackendUnavailable, TextIndexConfig, open_text_index
        cfg = TextIndexConfig(backend={backend!r}, tantivy_path={str(tmp_path / "ix")!r}, es_url="http://127.0.0.1:1")
        try:
            open_text_index(cfg)
        except BackendUnavailable as exc:
            print("ERROR:", exc)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "ERROR:" in result.stdout and hint in result.stdout


def test_unreachable_elasticsearch_is_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from indexer import BackendUnavailable, TextIndexConfig, open_text_index

    cfg = TextIndexConfig(backend="elasticsearch", es_url="http://127.0.0.1:9")  # nothing listens on port 9
    with pytest.raises(BackendUnavailable, match="cannot reach"):
        open_text_index(cfg)


def test_elasticsearch_without_url_is_a_clear_error() -> None:
    from indexer import BackendUnavailable, TextIndexConfig, open_text_index

    with pytest.raises(BackendUnavailable, match="TRACKCHILD_ES_URL"):
        open_text_index(TextIndexConfig(backend="elasticsearch"))
