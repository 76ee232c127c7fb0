"""Make the repository importable when pytest runs with `-p no:django`.

pytest-django normally puts the directory of manage.py on sys.path; these tests
need no Django, so they must also run without that plugin.
"""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
