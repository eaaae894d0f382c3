"""Citations of source records: plain text (NLM/Vancouver style), BibTeX and CSL-JSON.

Sources are the JSON shape of source records (`record_json`). Authors are written the
Vancouver way in the KB ("Berman RM"); they become family and given names here, and a name
that is not of that form (an organisation) is kept whole.
"""

from __future__ import annotations

import re
from typing import Literal, TypedDict

from ketakb.shapes import Record

#: Source type → CSL item type.
CSL_TYPES = {
    "journal-article": "article-journal",
    "review": "article-journal",
    "clinical-trial": "article-journal",
    "regulatory-notice": "report",
    "book": "book",
    "news": "article-newspaper",
    "web-page": "webpage",
}
#: A CSL-JSON item, as far as `csl_item` fills it (CSL's keys, some with hyphens).
CslItem = TypedDict("CslItem", {
    "id": str, "type": str, "title": str, "author": list[dict[str, str]],
    "container-title": str, "publisher": str, "issued": dict[str, list[list[int]]],
    "volume": str, "issue": str, "page": str, "DOI": str, "PMID": str, "PMCID": str,
    "URL": str}, total=False)
_SourceDetail = Literal["volume", "issue", "pages", "doi", "pmid", "pmcid", "url"]
_CslDetail = Literal["volume", "issue", "page", "DOI", "PMID", "PMCID", "URL"]
#: Source field → the CSL field that carries it as it is.
_CSL_DETAILS: tuple[tuple[_SourceDetail, _CslDetail], ...] = (
    ("volume", "volume"), ("issue", "issue"), ("pages", "page"), ("doi", "DOI"),
    ("pmid", "PMID"), ("pmcid", "PMCID"), ("url", "URL"))
#: Source field → the BibTeX field that carries it as text, and those it carries verbatim.
_BIBTEX_DETAILS: tuple[tuple[_SourceDetail, str], ...] = (
    ("volume", "volume"), ("issue", "number"), ("pages", "pages"))
_BIBTEX_LINKS: tuple[_SourceDetail, ...] = ("doi", "url")
#: Source type → BibTeX entry type.
BIBTEX_TYPES = {
    "journal-article": "article",
    "review": "article",
    "clinical-trial": "article",
    "regulatory-notice": "techreport",
    "book": "book",
    "news": "misc",
    "web-page": "misc",
}
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
#: Medline's "Family INITIALS [suffix]": up to four initials, hyphenated ones allowed (Fu D-J).
_VANCOUVER = re.compile(r"^(?P<family>.+?)\s+(?P<initials>[A-Z](?:-?[A-Z]){0,3})"
                        r"(?:\s+(?P<suffix>Jr\.?|Sr\.?|II|III|IV))?$")
_SUFFIXES = {"Jr": "Jr.", "Sr": "Sr.", "II": "II", "III": "III", "IV": "IV"}
_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$",
    "#": r"\#", "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}",
}
_BIBTEX_RE = re.compile("|".join(re.escape(c) for c in _BIBTEX_SPECIAL))
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def _initials(letters: str) -> str:
    """"RM" → "R. M."; "D-J" → "D.-J." (a hyphenated given name keeps its hyphen)."""
    return " ".join("-".join(f"{c}." for c in part.split("-"))
                    for part in re.findall(r"[A-Z](?:-[A-Z])*", letters))


def split_author(author: str) -> dict[str, str]:
    """"Berman RM" → {"family": "Berman", "given": "R. M."}; "Zarate CA Jr" adds
    "suffix": "Jr."; "Fu D-J" → given "D.-J."; "Smith, Jane" likewise; anything else (an
    organisation) → {"literal": author}."""
    match = _VANCOUVER.match(author.strip())
    if match:
        name = {"family": match["family"], "given": _initials(match["initials"])}
        if match["suffix"]:
            name["suffix"] = _SUFFIXES[match["suffix"].rstrip(".")]
        return name
    if author.count(",") == 1:
        family, given = (part.strip() for part in author.split(","))
        if family and given:
            return {"family": family, "given": given}
    return {"literal": author.strip()}


def _date_parts(date: str | None) -> list[int]:
    return [int(part) for part in date.split("-")] if date else []


def text_citation(source: Record) -> str:
    """One line in the NLM (Vancouver) style."""
    parts: list[str] = []
    authors = source.get("authors") or []
    if authors:
        shown = ", ".join(authors[:6]) + (", et al" if len(authors) > 6 else "")
        parts.append(shown + ".")
    elif source.get("publisher"):
        parts.append(f"{source['publisher']}.")
    parts.append(source["title"].rstrip(".") + ".")
    date = source.get("date")
    if journal := source.get("journal"):
        where = journal + "."
        detail = date[:4] if date else ""
        if source.get("volume"):
            detail += f";{source['volume']}"
            if source.get("issue"):
                detail += f"({source['issue']})"
        if source.get("pages"):
            detail += f":{source['pages']}"
        parts.append(where + (f" {detail}." if detail else ""))
    else:
        if authors and source.get("publisher"):
            parts.append(f"{source['publisher']}.")
        if date:
            parts.append(f"{date}.")
    if source.get("doi"):
        parts.append(f"doi:{source['doi']}.")
    if source.get("pmid"):
        parts.append(f"PMID: {source['pmid']}.")
    if source.get("url") and not source.get("doi"):
        parts.append(f"Available from: {source['url']}")
    return " ".join(parts)


def _bibtex_text(value: str) -> str:
    value = _CONTROL.sub(" ", value)
    return _BIBTEX_RE.sub(lambda m: _BIBTEX_SPECIAL[m.group()], value)


def _bibtex_verbatim(value: str) -> str:
    """URLs and DOIs stay as they are, except what would break the braces."""
    value = _CONTROL.sub("", value)
    return value.replace("{", "%7B").replace("}", "%7D").replace("\\", "%5C")


def _bibtex_author(author: str) -> str:
    """BibTeX's "Family, Jr., Given" form; an organisation braced so it is never split."""
    name = split_author(author)
    if "literal" in name:
        return "{" + _bibtex_text(name["literal"]) + "}"
    suffix = f", {_bibtex_text(name['suffix'])}" if "suffix" in name else ""
    return f"{_bibtex_text(name['family'])}{suffix}, {_bibtex_text(name['given'])}"


def bibtex_key(ident: str, used: set[str]) -> str:
    """The source id (already a valid, unique key); a suffix if it was used anyway."""
    key = re.sub(r"[^A-Za-z0-9_:.-]", "-", ident) or "source"
    candidate, n = key, 1
    while candidate in used:
        n += 1
        candidate = f"{key}-{n}"
    used.add(candidate)
    return candidate


#: Entry types whose standard styles stop without an author: a source with neither authors
#: nor a publisher to stand as one is written as @misc, where the author is optional.
_NEEDS_AUTHOR = frozenset({"article", "techreport", "book"})
#: The year of an undated source: APA's "no date", so that every entry has a year.
NO_DATE = "n.d."


def _journal_detail(source: Record) -> str:
    """"Journal, 21(1):84" for an @misc that stands in for an article."""
    detail = source.get("volume") or ""
    if source.get("issue"):
        detail += f"({source['issue']})"
    if source.get("pages"):
        detail += f":{source['pages']}"
    return ", ".join(filter(None, (source["journal"], detail)))


def bibtex_entry(source: Record, key: str) -> str:
    """One BibTeX entry; every value braced, special characters escaped.

    pybtex's and BibTeX's standard styles need an author and a year: an organisation that
    published the source stands as its author (braced whole), an undated source gets the year
    "n.d.", and a source with no author at all becomes @misc.
    """
    kind = source.get("type", "web-page")
    entry = BIBTEX_TYPES.get(kind, "misc")
    fields: list[tuple[str, str]] = []
    publisher, journal = source.get("publisher"), source.get("journal")
    if source.get("authors"):
        fields.append(("author", " and ".join(_bibtex_author(a) for a in source["authors"])))
    elif publisher:
        fields.append(("author", "{" + _bibtex_text(publisher) + "}"))
    elif entry in _NEEDS_AUTHOR:
        entry = "misc"
        if journal:
            fields.append(("howpublished", _bibtex_text(_journal_detail(source))))
    fields.append(("title", "{" + _bibtex_text(source["title"]) + "}"))
    if journal:
        fields.append(("journal", _bibtex_text(journal)))
    if publisher:
        name = "institution" if entry == "techreport" else "publisher"
        fields.append((name, _bibtex_text(publisher)))
    parts = _date_parts(source.get("date"))
    fields.append(("year", str(parts[0]) if parts else NO_DATE))
    if len(parts) > 1:
        fields.append(("month", _MONTHS[parts[1] - 1]))
    for name, field in _BIBTEX_DETAILS:
        if text := source.get(name):
            value = _bibtex_text(text)
            fields.append((field, value.replace("-", "--") if name == "pages" else value))
    for name in _BIBTEX_LINKS:
        if text := source.get(name):
            fields.append((name, _bibtex_verbatim(text)))
    if pmid := source.get("pmid"):
        fields.append(("pmid", pmid))
    if pmcid := source.get("pmcid"):
        fields.append(("pmcid", pmcid))
    url = source.get("url")
    if entry == "misc" and url and all(n != "howpublished" for n, _ in fields):
        fields.append(("howpublished", r"\url{" + _bibtex_verbatim(url) + "}"))
    body = ",\n".join(f"  {name} = {{{value}}}" if name != "month" else f"  {name} = {value}"
                      for name, value in fields)
    return f"@{entry}{{{key},\n{body}\n}}\n"


def bibtex(sources: list[Record]) -> str:
    """A BibTeX file of the sources, with unique keys."""
    used: set[str] = set()
    return "\n".join(bibtex_entry(s, bibtex_key(s["id"], used)) for s in sources)


def csl_item(source: Record) -> CslItem:
    """One CSL-JSON item (https://github.com/citation-style-language/schema, csl-data.json).

    No `genre`: styles print it (APA after the title), so the source type is told by the
    CSL `type` alone."""
    kind = source.get("type", "web-page")
    item: CslItem = {"id": source["id"], "type": CSL_TYPES.get(kind, "document"),
                     "title": source["title"]}
    publisher = source.get("publisher")
    if source.get("authors"):
        item["author"] = [split_author(a) for a in source["authors"]]
    elif publisher:  # an organisation's own document: it is the author
        item["author"] = [{"literal": publisher}]
    if journal := source.get("journal"):
        item["container-title"] = journal
    if publisher:
        item["publisher"] = publisher
    parts = _date_parts(source.get("date"))
    if parts:
        item["issued"] = {"date-parts": [parts]}
    for name, field in _CSL_DETAILS:
        if text := source.get(name):
            item[field] = text
    return item


def csl_json(sources: list[Record]) -> list[CslItem]:
    return [csl_item(s) for s in sources]
