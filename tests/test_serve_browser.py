"""The page in a real browser: Debian's chromium, driven by Selenium through chromedriver, against a live server.

On a developer machine without chromium the test is skipped with the reason; when
``BRIEFKIT_BROWSER_TESTS=1`` (set by ``.ci/run``) a missing browser is a failure instead.
``BRIEFKIT_SCREENSHOT=FILE`` saves the page with an opened citation (the README's picture).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
import pytest

from briefkit.web.app import create_app
from live_server import live_server

TOPIC = "tidal energy"
REQUIRED_ENV = "BRIEFKIT_BROWSER_TESTS"


def _browser() -> tuple[str, str]:
    """Paths of chromium and chromedriver; skip (or fail, when required) if either is missing."""
    chromium = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
    driver = shutil.which("chromedriver")
    try:
        import selenium  # noqa: F401
    except ImportError:
        chromium = None
    if chromium and driver:
        return chromium, driver
    reason = ("chromium, chromedriver or selenium is missing (apt-get install chromium chromium-driver;"
              " pip install selenium)")
    if os.environ.get(REQUIRED_ENV, "") not in ("", "0"):
        pytest.fail(f"{REQUIRED_ENV} is set but {reason}")
    pytest.skip(reason)


@pytest.fixture
def browser():
    chromium, driver_path = _browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1366,860",
                "--disable-gpu", "--no-first-run"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


_MARK_SPAN = """
const mark = document.getElementById('evidence-mark');
let start = 0;
for (let node = mark.parentNode.firstChild; node !== mark; node = node.nextSibling) start += node.textContent.length;
const m = mark.getBoundingClientRect(), a = mark.parentNode.getBoundingClientRect();
return [start, start + mark.textContent.length, mark.textContent, m.top >= a.top && m.bottom <= a.bottom,
        document.activeElement === mark];
"""


def test_citation_opens_its_source_with_the_evidence_span_highlighted(browser, sample_ws):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as seen
    from selenium.webdriver.support.ui import WebDriverWait

    with live_server(create_app(sample_ws)) as url:
        browser.get(url + "/")
        WebDriverWait(browser, 60).until(lambda d: "documents" in d.find_element(By.ID, "status").text,
                                         "the page never showed the corpus status")
        topic = browser.find_element(By.ID, "topic")
        topic.send_keys(TOPIC, Keys.ENTER)  # the keyboard alone runs a summary
        WebDriverWait(browser, 900).until(seen.presence_of_element_located((By.CSS_SELECTOR, "#result .bullet .chip")))
        with httpx.Client(base_url=url, timeout=900) as http:  # the same summary (the generation cache answers)
            summary = http.post("/api/summarise", json={"topic": TOPIC}).json()

        bullets = browser.find_elements(By.CSS_SELECTOR, "#result .bullet")
        assert len(bullets) == len(summary["bullets"])
        i, bullet = len(bullets) - 1, summary["bullets"][-1]
        badge = bullets[i].find_element(By.CSS_SELECTOR, ".origin").text
        assert badge == ("quoted" if bullet["origin"] == "quoted" else "model's words")
        assert bullet["text"] in bullets[i].find_element(By.CSS_SELECTOR, ".text").text
        chips = bullets[i].find_elements(By.CSS_SELECTOR, ".chip")
        assert len(chips) == len(bullet["evidence"])
        evidence = bullet["evidence"][-1]
        chips[-1].send_keys(Keys.ENTER)  # a chip is a button: Enter opens the source

        WebDriverWait(browser, 30).until(seen.presence_of_element_located((By.ID, "evidence-mark")))
        start, end, marked, in_view, focused = browser.execute_script(_MARK_SPAN)
        assert marked == evidence["text"]
        assert (start, end) == (evidence["start"], evidence["end"])
        assert in_view and focused
        assert not browser.find_element(By.ID, "viewer-warning").is_displayed()
        assert browser.find_element(By.ID, "viewer-title").text == next(
            s["title"] for s in summary["sources"] if s["doc_id"] == evidence["doc_id"])
        if os.environ.get("BRIEFKIT_SCREENSHOT"):
            Path(os.environ["BRIEFKIT_SCREENSHOT"]).parent.mkdir(parents=True, exist_ok=True)
            browser.save_screenshot(os.environ["BRIEFKIT_SCREENSHOT"])

        browser.switch_to.active_element.send_keys(Keys.ESCAPE)  # Escape closes the source, focus back on the chip
        WebDriverWait(browser, 10).until(lambda d: not d.find_element(By.ID, "viewer").is_displayed())
        assert browser.switch_to.active_element == chips[-1]
