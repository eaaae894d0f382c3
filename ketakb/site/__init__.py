"""The KB as a static website (`ketakb site`): pages built in `builder`, SVG diagrams in
`diagram`, and every piece of HTML made through `markup`, which escapes all text."""

from __future__ import annotations

from ketakb.site.builder import SiteError, build, write_site

__all__ = ["SiteError", "build", "write_site"]
