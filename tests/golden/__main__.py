"""`python -m tests.golden`: rewrite every golden transcript from the current code."""

from tests.golden import GOLDEN, regenerate

regenerate()
print(f"rewrote the golden transcripts in {GOLDEN}; review them with `git diff`")
