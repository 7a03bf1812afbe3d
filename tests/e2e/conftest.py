"""Fixtures of the end-to-end tests: a headless browser, pages, the artifacts folder.

The tests drive Debian's `chromium` through Playwright. `make e2e-setup` installs
both; where either is missing, every test here is skipped with a reason that says so.
Screenshots go to e2e-artifacts/ at the kit's root (git-ignored).
"""

import pytest
from e2e_support import ARTIFACTS, SETUP_HINT, chromium_path


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium, or a skip that names the set-up step."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip(f"end-to-end tests need the playwright package: {SETUP_HINT}")
    executable = chromium_path()
    if executable is None:
        pytest.skip(f"end-to-end tests need a Chromium browser: {SETUP_HINT}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox"], headless=True
        )
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, for `page` to see a failure."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def page(browser, artifacts, request):
    """A fresh browser page at a laptop's screen size; a screenshot of it is kept
    in e2e-artifacts/ when the test fails."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        name = "".join(c if c.isalnum() else "-" for c in request.node.name)
        page.screenshot(path=artifacts / f"FAILED-{name}.png")
    context.close()


@pytest.fixture(scope="session")
def artifacts():
    """The folder where screenshots are kept after the tests."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
