"""The documentation site: ``mkdocs build --strict``, every link of the built pages, and the site in
headless Chromium (Debian's ``chromium`` and ``chromium-driver``; ``.ci/run`` installs them).

No cluster is needed: the site is built from the repository and served on loopback.
"""

from __future__ import annotations

import collections
import functools
import html
import html.parser
import http.server
import os
import re
import shutil
import struct
import subprocess
import sys
import threading
import urllib.parse
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def need(condition: bool, why: str) -> None:
    """Skip a test without what it needs, except in CI, where it must run."""
    if not condition:
        if os.environ.get("CI"):
            pytest.fail(f"{why} (CI must run this test: .ci/run installs it)")
        pytest.skip(why)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built with ``mkdocs build --strict`` (any warning fails the build)."""
    try:
        import mkdocs  # noqa: F401
    except ImportError:
        need(False, "mkdocs is not installed: pip install -e '.[docs]'")
    target = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(target)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNING" not in done.stderr, done.stderr
    return target


class _Page(html.parser.HTMLParser):
    """The links and the element ids of one HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            if value and ((name == "href" and tag in ("a", "link")) or (name == "src" and tag in ("img", "script"))):
                self.links.append(value)


def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text())
    return page


def target_of(site: Path, page: Path, link: str) -> tuple[Path, str] | None:
    """The file and fragment a relative link of ``page`` points to; None for other sites' links."""
    parts = urllib.parse.urlsplit(link)
    if parts.scheme or parts.netloc:
        return None
    base = site if parts.path.startswith("/") else page.parent
    path = (base / urllib.parse.unquote(parts.path).lstrip("/")).resolve() if parts.path else page
    if path.is_dir():
        path = path / "index.html"
    return path, parts.fragment


def test_the_site_builds_strict_with_every_section(site: Path) -> None:
    for page in ["index.html", "getting-started/index.html", "guide/queries/index.html", "guide/builtin-kinds/index.html",
                 "migrating/kr8s-lightkube/index.html", "reference/pykorm/index.html", "reference/aio/index.html",
                 "BENCHMARKS/index.html", "benchmarks/charts/list_read.png", "examples/k8s_doctor/index.html"]:
        assert (site / page).is_file(), page
    reference = (site / "reference" / "pykorm" / "index.html").read_text()
    for name in ("Pykorm", "NamespacedModel", "RetryPolicy", "wait_for"):
        assert f'id="pykorm.{name}' in reference or f"id=\"pykorm.Pykorm.{name}" in reference, name
    example = (site / "examples" / "k8s_doctor" / "index.html").read_text()
    assert (ROOT / "examples" / "k8s_doctor.py").read_text().splitlines()[0] in html.unescape(re.sub(r"<[^>]+>", "", example))


def test_no_broken_link_or_anchor(site: Path) -> None:
    pages = {path.resolve(): parse(path) for path in site.rglob("*.html")}
    assert len(pages) > 30
    broken = []
    for path, page in pages.items():
        for link in page.links:
            target = target_of(site, path, link)
            if target is None:
                continue
            file, fragment = target
            if not file.exists():
                broken.append(f"{path.relative_to(site)}: {link} (no such file)")
            elif fragment and file.suffix == ".html" and fragment not in pages[file].ids:
                broken.append(f"{path.relative_to(site)}: {link} (no such anchor)")
    assert broken == []


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    """The built site on a loopback port, as `mkdocs serve` would serve it."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium driven by chromedriver, started the way this machine allows (no network)."""
    need(Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists(), "no chromium/chromedriver: apt-get install chromium chromium-driver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        need(False, "selenium is not installed: pip install -e '.[test]'")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def wait(driver: Any, condition: Any, timeout: float = 30) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(condition)


def test_in_chromium_pages_render_navigation_and_search_work(served: str, browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(served)
    assert browser.title.startswith("pykorm")
    assert "declarative ORM" in browser.find_element(By.TAG_NAME, "h1").text
    # the navigation: the sidebar's link to a guide opens it
    link = browser.find_element(By.XPATH, "//nav[contains(@class, 'md-nav--primary')]//a[normalize-space()='Queries']")
    browser.execute_script("arguments[0].click()", link)
    wait(browser, lambda d: d.current_url.rstrip("/").endswith("guide/queries"))
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("Queries")
    # the search: a word of the fault proxy's guide finds it, and its result opens it
    field = browser.find_element(By.CSS_SELECTOR, "input.md-search__input")
    field.click()
    field.send_keys("terminates")
    found = lambda d: [a.get_attribute("href") or "" for a in d.find_elements(By.CSS_SELECTOR, "li.md-search-result__item a")]
    wait(browser, lambda d: any("guide/fault-proxy" in href for href in found(d)))
    field.send_keys(Keys.ENTER)
    wait(browser, lambda d: "fault-proxy" in d.current_url)
    assert browser.find_element(By.TAG_NAME, "h1").text == "The fault proxy"
    # a chart of the benchmarks is loaded, not a broken image
    browser.get(served + "BENCHMARKS/")
    image = browser.find_element(By.CSS_SELECTOR, "img[src*='list_read.png']")
    assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) > 100
    # a screenshot of a guide: a page with text and colour, not a blank one
    browser.get(served + "guide/session/")
    assert browser.find_element(By.TAG_NAME, "h1").text == "The session"
    png = browser.get_screenshot_as_png()
    (tmp_path / "session.png").write_bytes(png)
    width, height, pixels = decode_png(png)
    assert (width, height) == (1280, browser.execute_script("return window.innerHeight"))
    colours = collections.Counter(pixels[i:i + 3] for i in range(0, len(pixels), 3))
    background, count = colours.most_common(1)[0]
    assert len(colours) > 50, "a blank page"
    assert 0.02 < 1 - count / (width * height) < 0.9, "ink on less than 2% of the page, or no background"


def decode_png(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and RGB bytes of an 8-bit RGB or RGBA PNG (what Chromium's screenshots are)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, idat = 8, b""
    width = height = colour_type = 0
    while offset < len(data):
        (length,), kind = struct.unpack(">I", data[offset:offset + 4]), data[offset + 4:offset + 8]
        body = data[offset + 8:offset + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour_type = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour_type in (2, 6)
        elif kind == b"IDAT":
            idat += body
        offset += 12 + length
    channels = 3 if colour_type == 2 else 4
    raw, stride = zlib.decompress(idat), width * channels
    rows: list[bytearray] = []
    previous = bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b = previous[x]
            c = previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + a) & 255
            elif kind == 2:
                line[x] = (line[x] + b) & 255
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        previous = line
    pixels = b"".join(bytes(row) if channels == 3 else bytes(v for i, v in enumerate(row) if i % 4 != 3) for row in rows)
    return width, height, pixels
