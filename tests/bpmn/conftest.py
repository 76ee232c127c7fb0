"""Make the repository importable when pytest is run from the repo root.

tests/bpmn is a package (so its module names cannot clash with other test
folders); the repo root is not on sys.path by default with the pytest script.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
