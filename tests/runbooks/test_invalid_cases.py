"""Every folder under cases/ holds a broken runbook; ``expected.txt`` lists the problems (``file:line: field:
text``) that loading must report, all at once (``# exactly``: and no others). The shipped playbooks validate."""

from __future__ import annotations

from pathlib import Path

import pytest

from netops.runbooks.catalog import RunbookError, load_catalog

HERE = Path(__file__).parent
REPO = HERE.parent.parent
CASES = sorted(p for p in (HERE / "cases").iterdir() if p.is_dir())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_invalid_runbook_case(case: Path) -> None:
    lines = [line for line in (case / "expected.txt").read_text(encoding="utf-8").splitlines() if line]
    exactly = lines[0] == "# exactly"
    expected = [line for line in lines if not line.startswith("#")]
    with pytest.raises(RunbookError) as info:
        load_catalog(case)
    reported = [str(p) for p in info.value.problems]
    for want in expected:
        assert any(want in got for got in reported), f"missing {want!r}; reported:\n" + "\n".join(reported)
    if exactly:
        assert len(reported) == len(expected), "unexpected extra problems:\n" + "\n".join(reported)


def test_at_least_eight_kinds_of_mistakes() -> None:
    assert len(CASES) >= 8


def test_not_a_folder(tmp_path: Path) -> None:
    with pytest.raises(RunbookError, match="not a folder of runbooks"):
        load_catalog(tmp_path / "missing")
