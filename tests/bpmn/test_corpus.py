"""Every file of the third-party BPMN corpus parses, or is refused for the expected reason."""

from __future__ import annotations

import pytest

from orchestration.bpmn import BpmnError, parse_bpmn

from .corpus import CORPUS, corpus_files
from .corpus_expectations import EXPECTATIONS

FILES = corpus_files()


def test_corpus_folder_is_present() -> None:
    assert CORPUS.is_dir(), f"BPMN corpus not found at {CORPUS}: clone the shared/ folder next to the repository"
    assert FILES, f"no BPMN files found under {CORPUS}"


def test_every_corpus_file_has_an_expectation() -> None:
    missing = sorted(set(FILES) - set(EXPECTATIONS))
    assert not missing, f"add these corpus files to corpus_expectations.py: {missing}"


def test_every_expectation_names_a_corpus_file() -> None:
    stale = sorted(set(EXPECTATIONS) - set(FILES))
    assert not stale, f"corpus_expectations.py lists files that are gone: {stale}"


@pytest.mark.parametrize("relative_path", FILES)
def test_corpus_file_has_its_expected_outcome(relative_path: str) -> None:
    expected = EXPECTATIONS.get(relative_path)
    assert expected is not None, f"no expectation for {relative_path}"
    data = (CORPUS / relative_path).read_bytes()
    try:
        definitions = parse_bpmn(data)
    except BpmnError as error:
        assert expected != "ok", f"refused: {error}"
        assert expected in str(error)
        assert all(p.message for p in error.problems)
        return
    assert expected == "ok", f"parsed, but expected a refusal containing {expected!r}"
    assert definitions.processes
