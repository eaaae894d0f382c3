"""ketakb: a structured, cited knowledge base of how ketamine works.

The library is usable without the command line: `validate_kb` checks a KB folder and returns
a report value.
"""

from __future__ import annotations

__version__ = "0.1.0"
