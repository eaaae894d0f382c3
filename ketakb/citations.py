"""Citations of source records: plain text (NLM/Vancouver style), BibTeX and CSL-JSON.

Sources are the JSON shape of source records (`record_json`). Authors are written the
Vancouver way in the KB ("Berman RM"); they become family and given names here, and a name
that is not of that form (an organisation) is kept whole.
"""

from __future__ import annotations

import re
from typing import Any

from ketakb import vocab

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
_VANCOUVER = re.compile(r"^(?P<family>.+?)\s+(?P<initials>[A-Z]{1,4})$")
_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$",
    "#": r"\#", "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}",
}
_BIBTEX_RE = re.compile("|".join(re.escape(c) for c in _BIBTEX_SPECIAL))
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def split_author(author: str) -> dict[str, str]:
    """"Berman RM" → {"family": "Berman", "given": "R. M."}; "Smith, Jane" likewise;
    anything else (an organisation) → {"literal": author}."""
    match = _VANCOUVER.match(author.strip())
    if match:
        return {"family": match["family"], "given": " ".join(f"{c}." for c in
                                                             match["initials"])}
    if author.count(",") == 1:
        family, given = (part.strip() for part in author.split(","))
        if family and given:
            return {"family": family, "given": given}
    return {"literal": author.strip()}


def _date_parts(date: str | None) -> list[int]:
    return [int(part) for part in date.split("-")] if date else []


def text_citation(source: dict[str, Any]) -> str:
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
    if source.get("journal"):
        where = source["journal"] + "."
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
    name = split_author(author)
    if "literal" in name:
        return "{" + _bibtex_text(name["literal"]) + "}"
    return f"{_bibtex_text(name['family'])}, {_bibtex_text(name['given'])}"


def bibtex_key(ident: str, used: set[str]) -> str:
    """The source id (already a valid, unique key); a suffix if it was used anyway."""
    key = re.sub(r"[^A-Za-z0-9_:.-]", "-", ident) or "source"
    candidate, n = key, 1
    while candidate in used:
        n += 1
        candidate = f"{key}-{n}"
    used.add(candidate)
    return candidate


def bibtex_entry(source: dict[str, Any], key: str) -> str:
    """One BibTeX entry; every value braced, special characters escaped."""
    kind = source.get("type", "web-page")
    entry = BIBTEX_TYPES.get(kind, "misc")
    fields: list[tuple[str, str]] = []
    if source.get("authors"):
        fields.append(("author", " and ".join(_bibtex_author(a) for a in source["authors"])))
    elif source.get("publisher") and entry in ("misc", "book"):
        fields.append(("author", "{" + _bibtex_text(source["publisher"]) + "}"))
    fields.append(("title", "{" + _bibtex_text(source["title"]) + "}"))
    if source.get("journal"):
        fields.append(("journal", _bibtex_text(source["journal"])))
    if source.get("publisher"):
        name = "institution" if entry == "techreport" else "publisher"
        fields.append((name, _bibtex_text(source["publisher"])))
    parts = _date_parts(source.get("date"))
    if parts:
        fields.append(("year", str(parts[0])))
        if len(parts) > 1:
            fields.append(("month", _MONTHS[parts[1] - 1]))
    for name, field in (("volume", "volume"), ("issue", "number"), ("pages", "pages")):
        if source.get(name):
            value = _bibtex_text(source[name])
            fields.append((field, value.replace("-", "--") if name == "pages" else value))
    for name in ("doi", "url"):
        if source.get(name):
            fields.append((name, _bibtex_verbatim(source[name])))
    if source.get("pmid"):
        fields.append(("pmid", source["pmid"]))
    if source.get("pmcid"):
        fields.append(("pmcid", source["pmcid"]))
    if entry == "misc" and source.get("url"):
        fields.append(("howpublished", r"\url{" + _bibtex_verbatim(source["url"]) + "}"))
    body = ",\n".join(f"  {name} = {{{value}}}" if name != "month" else f"  {name} = {value}"
                      for name, value in fields)
    return f"@{entry}{{{key},\n{body}\n}}\n"


def bibtex(sources: list[dict[str, Any]]) -> str:
    """A BibTeX file of the sources, with unique keys."""
    used: set[str] = set()
    return "\n".join(bibtex_entry(s, bibtex_key(s["id"], used)) for s in sources)


def csl_item(source: dict[str, Any]) -> dict[str, Any]:
    """One CSL-JSON item (https://github.com/citation-style-language/schema, csl-data.json)."""
    kind = source.get("type", "web-page")
    item: dict[str, Any] = {"id": source["id"], "type": CSL_TYPES.get(kind, "document"),
                            "title": source["title"]}
    if source.get("authors"):
        item["author"] = [split_author(a) for a in source["authors"]]
    if source.get("journal"):
        item["container-title"] = source["journal"]
    if source.get("publisher"):
        item["publisher"] = source["publisher"]
    parts = _date_parts(source.get("date"))
    if parts:
        item["issued"] = {"date-parts": [parts]}
    for name, field in (("volume", "volume"), ("issue", "issue"), ("pages", "page"),
                        ("doi", "DOI"), ("pmid", "PMID"), ("pmcid", "PMCID"), ("url", "URL")):
        if source.get(name):
            item[field] = source[name]
    if kind in ("review", "clinical-trial"):
        item["genre"] = vocab.SOURCE_TYPES[kind]
    return item


def csl_json(sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [csl_item(s) for s in sources]
