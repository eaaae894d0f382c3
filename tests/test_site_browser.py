"""The bundled KB's site in a real headless browser (Debian's chromium and chromium-driver,
driven by Selenium), opened from file://: no console errors, the diagrams are drawn, the
search finds the NMDA receptor, and a phone-width screen needs no sideways scrolling.

One browser session serves every test. Without the browser the tests fail when $CI is set
(CI must run them) and are skipped otherwise. $KETAKB_CHROMIUM and $KETAKB_CHROMEDRIVER name
another browser and driver (such as a GitHub runner's Google Chrome and its chromedriver).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ketakb import bundled_kb, open_kb
from ketakb.site import build, write_site

CHROMIUM = os.environ.get("KETAKB_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("KETAKB_CHROMEDRIVER", "/usr/bin/chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1200,900")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"the browser tests must run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("browser") / "site"
    with open_kb(bundled_kb(), use_cache=False) as kb:
        write_site(build(kb), out)
    return out


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    for program in (CHROMIUM, CHROMEDRIVER):
        if not (Path(program).is_file() or shutil.which(program)):
            _unavailable(f"{program} is not installed (apt-get install chromium "
                         "chromium-driver)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _unavailable("selenium is not installed (pip install -e '.[test]')")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # the driver's log goes to a file this test closes (older selenium releases leave the
    # one they open themselves open: a ResourceWarning)
    log = (tmp_path_factory.mktemp("chromedriver") / "chromedriver.log").open("wb")
    try:
        browser = webdriver.Chrome(service=Service(CHROMEDRIVER, log_output=log),
                                   options=options)
        browser.set_page_load_timeout(30)
        try:
            yield browser
        finally:
            browser.quit()
    finally:
        log.close()


def visit(driver: Any, site: Path, page: str, shots: Path) -> list[dict[str, Any]]:
    """Open a page from file://, save a screenshot, and return its console's errors."""
    path, _, query = page.partition("?")
    driver.get((site / path).as_uri() + (f"?{query}" if query else ""))
    shots.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(shots / (page.replace("/", "_").replace("?", "_") + ".png")))
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def test_pages_open_from_disk_without_console_errors(driver: Any, site: Path,
                                                     tmp_path: Path) -> None:
    for page in ("index.html", "records/nmda-receptor.html",
                 "claims/ketamine-blocks-nmda-receptor.html",
                 "sources/berman-2000.html", "mechanisms/rapid-antidepressant-effect.html",
                 "conflicts.html", "targets.html", "timeline.html", "search.html?q=nmda"):
        assert visit(driver, site, page, tmp_path) == [], page
        assert driver.find_element("css selector", "h1").text, page
    assert len(list(tmp_path.glob("*.png"))) == 9


def test_the_mechanism_diagram_is_drawn(driver: Any, site: Path, tmp_path: Path) -> None:
    assert visit(driver, site, "mechanisms/rapid-antidepressant-effect.html", tmp_path) == []
    svg = driver.find_element("css selector", "svg[role=img]")
    assert svg.size["width"] > 500 and svg.size["height"] > 100
    drawn = {node.get_attribute("data-id")
             for node in svg.find_elements("css selector", "a.node")}
    assert {"ketamine", "nmda-receptor", "rapid-antidepressant-effect"} <= drawn
    labels = svg.find_element("css selector", "a.node[data-id=nmda-receptor] text").text
    assert labels == "NMDA receptor"
    edges = svg.find_elements("css selector", "a.edge")
    assert edges and all(edge.get_dom_attribute("href").startswith("../claims/")
                     for edge in edges)


def test_a_record_page_draws_its_neighbourhood(driver: Any, site: Path,
                                               tmp_path: Path) -> None:
    assert visit(driver, site, "records/nmda-receptor.html", tmp_path) == []
    svg = driver.find_element("css selector", "svg[role=img]")
    drawn = {node.get_attribute("data-id")
             for node in svg.find_elements("css selector", "a.node")}
    assert {"ketamine", "nmda-receptor"} <= drawn


def test_search_from_a_link_lists_the_nmda_receptor(driver: Any, site: Path,
                                                    tmp_path: Path) -> None:
    assert visit(driver, site, "search.html?q=nmda", tmp_path) == []
    results = driver.find_elements("css selector", "#search-results li a")
    assert results[0].text == "NMDA receptor"
    assert results[0].get_attribute("href").endswith("/records/nmda-receptor.html")
    assert driver.find_element("id", "site-q").get_attribute("value") == "nmda"
    assert "matches" in driver.find_element("id", "search-status").text


def test_keyboard_reaches_the_skip_link_first(driver: Any, site: Path, tmp_path: Path) -> None:
    from selenium.webdriver.common.keys import Keys

    assert visit(driver, site, "index.html", tmp_path) == []
    driver.find_element("css selector", "body").send_keys(Keys.TAB)
    assert driver.switch_to.active_element.get_attribute("class") == "skip"


def test_a_phone_width_screen_needs_no_sideways_scrolling(driver: Any, site: Path,
                                                          tmp_path: Path) -> None:
    driver.set_window_size(390, 844)
    try:
        for page in ("index.html", "records/ketamine.html",
                     "mechanisms/rapid-antidepressant-effect.html",
                     "claims/ketamine-blocks-nmda-receptor.html"):
            assert visit(driver, site, f"{page}", tmp_path / "phone") == []
            wide = driver.execute_script(
                "return document.documentElement.scrollWidth > "
                "document.documentElement.clientWidth")
            assert not wide, page
    finally:
        driver.set_window_size(1200, 900)


def test_the_search_box_on_any_page_searches(driver: Any, site: Path, tmp_path: Path) -> None:
    """The header's form goes to search.html?q=… (the Content-Security-Policy lets it)."""
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    assert visit(driver, site, "records/nmda-receptor.html", tmp_path) == []
    box = driver.find_element("id", "site-q")
    box.send_keys("esketamine", Keys.ENTER)
    WebDriverWait(driver, 10).until(
        lambda d: d.find_elements("css selector", "#search-results li a"))
    assert driver.current_url.endswith("/search.html?q=esketamine")
    results = driver.find_elements("css selector", "#search-results li a")
    assert results and results[0].text == "Esketamine"
    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []
