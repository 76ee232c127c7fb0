"""Every corpus file that parses either deploys or is refused with reasons that name an element."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.services.deployments import validate_for_deploy
from tests.bpmn.corpus_expectations import EXPECTATIONS

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
PARSED = sorted(path for path, outcome in EXPECTATIONS.items() if outcome == "ok")


@pytest.mark.parametrize("relative", PARSED)
def test_corpus_file_deploys_or_is_refused_with_located_reasons(relative):
    assert CORPUS.is_dir(), f"corpus folder missing: {CORPUS}"
    definitions, problems = validate_for_deploy((CORPUS / relative).read_bytes())
    assert definitions is not None
    for problem in problems:
        assert problem.message
        if "no executable process" not in problem.message:
            assert problem.element_id, f"{relative}: problem without element: {problem}"


def test_a_good_share_of_the_parsed_corpus_deploys():
    deployable = [p for p in PARSED if not validate_for_deploy((CORPUS / p).read_bytes())[1]]
    # 24 of 77 deploy with this elements; boundary events etc. come next.
    assert len(deployable) >= 24, deployable
