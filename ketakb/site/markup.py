"""The one place where text becomes HTML: every string is escaped unless it is `Markup` built
here, and a link target is only ever an `Href` that a checking constructor made.

`el("a", record["name"], href=internal("records/x.html"))` escapes the name; a record's URL
becomes a link only through `external_url` (http or https), `doi_url`, `pubmed_url`,
`pmc_url` or `xref_url` (the registry patterns of `ketakb.vocab`). Event-handler attributes
cannot be written at all.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from functools import cache
from typing import Union
from urllib.parse import quote, urlsplit

from ketakb import vocab

#: Elements without an end tag.
VOID = frozenset({"br", "hr", "img", "input", "link", "meta"})
#: Attributes whose value is followed as a URL: only an `Href` may go there.
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href"})
_INTERNAL = re.compile(r"^(?:\.\./)*(?:[A-Za-z0-9_-][A-Za-z0-9._-]*/)*[A-Za-z0-9._-]*"
                       r"(?:\?q=[A-Za-z0-9%._~+-]*)?(?:#[A-Za-z0-9_-]+)?$")
_UNSAFE_URL = re.compile(r"[\s\x00-\x1f\x7f<>\"'`\\]")
_DOI = re.compile(vocab.DOI_PATTERN)
_PMID = re.compile(vocab.PMID_PATTERN)
_PMCID = re.compile(vocab.PMCID_PATTERN)


class Markup(str):
    """HTML made by `el` or `raw_join`; any other `str` is text and is escaped."""


class Href(str):
    """A link target that one of this module's constructors has checked."""


Child = Union[str, Markup, None, Iterable["Child"]]


def escape(value: str) -> str:
    return html.escape(value, quote=True)


def render(children: Iterable[Child]) -> str:
    """The children as HTML: markup as is, text escaped, None left out, iterables flattened."""
    parts: list[str] = []
    for child in children:
        if child is None:
            continue
        if isinstance(child, Markup):
            parts.append(child)
        elif isinstance(child, str):
            parts.append(escape(child))
        else:
            parts.append(render(child))
    return "".join(parts)


def raw_join(*children: Child) -> Markup:
    """Several children as one piece of markup (a fragment without an element)."""
    return Markup(render(children))


@cache
def _attribute(name: str) -> str:
    """The attribute a keyword names (`aria_label` → aria-label); never an event handler."""
    attribute = name.rstrip("_").replace("_", "-")
    if attribute.lower().startswith("on"):
        raise ValueError(f"no inline event handlers: {attribute}")
    return attribute


def el(tag: str, *children: Child, **attributes: str | bool | None) -> Markup:
    """One element. Attribute names drop a trailing "_" and turn "_" into "-" (`class_`,
    `aria_label`); None and False leave an attribute out, True writes it bare."""
    start = [f"<{tag}"]
    for name, value in attributes.items():
        if value is None or value is False:
            continue
        attribute = _attribute(name)
        if attribute in URL_ATTRIBUTES and not isinstance(value, Href):
            raise TypeError(f"{attribute} needs a checked Href, not {value!r}")
        start.append(f" {attribute}" if value is True else f' {attribute}="{escape(str(value))}"')
    start.append(">")
    if tag in VOID:
        if children:
            raise ValueError(f"<{tag}> has no content")
        return Markup("".join(start))
    return Markup("".join(start) + render(children) + f"</{tag}>")


def internal(path: str) -> Href:
    """A relative link inside the site (ids are kebab-case, so paths are plain)."""
    if not _INTERNAL.match(path):
        raise ValueError(f"not a site path: {path!r}")
    return Href(path)


def external_url(url: str) -> Href | None:
    """An http(s) URL with a host and nothing that could break out of it; else None."""
    if _UNSAFE_URL.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return Href(url)


def doi_url(doi: str) -> Href | None:
    if not _DOI.match(doi):
        return None
    return external_url("https://doi.org/" + quote(doi, safe="/:;()._-"))


def pubmed_url(pmid: str) -> Href | None:
    return external_url(f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/") if _PMID.match(pmid) \
        else None


def pmc_url(pmcid: str) -> Href | None:
    return external_url(f"https://www.ncbi.nlm.nih.gov/pmc/articles/{pmcid}/") \
        if _PMCID.match(pmcid) else None


def xref_url(prefix: str, value: str) -> Href | None:
    """The identifier's page at its registry, when the prefix is known and the value fits its
    pattern (`ketakb.vocab.XREF_URLS`)."""
    pattern, template = vocab.XREF_RES.get(prefix), vocab.XREF_URLS.get(prefix)
    if pattern is None or template is None or not pattern.match(value):
        return None
    return external_url(template.format(quote(value, safe="")))
