"""Browser tests: Playwright (Python) driving Debian's Chromium against a live server.

Every test here is marked `browser`. Without /usr/bin/chromium (or ACCORD_CHROMIUM) they
skip with the reason printed; `.ci/run` installs Chromium so CI always runs them.
Screenshots go to test-artifacts/screenshots/ (not committed).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accord.accounts.models import User

CHROMIUM = Path(os.environ.get("ACCORD_CHROMIUM", "/usr/bin/chromium"))
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
VNU = Path(
    os.environ.get(
        "ACCORD_VNU_JAR",
        Path(__file__).resolve().parents[2] / ".tools/node_modules/vnu-jar/build/dist/vnu.jar",
    )
)

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            if not CHROMIUM.exists():
                item.add_marker(
                    pytest.mark.skip(
                        reason=f"no Chromium at {CHROMIUM}: install Debian's chromium "
                        "(apt-get install chromium) to run the browser tests"
                    )
                )


def pytest_report_header() -> str:
    if CHROMIUM.exists():
        return f"browser tests: Chromium at {CHROMIUM}"
    return f"browser tests SKIPPED: no Chromium at {CHROMIUM}"


@pytest.fixture(autouse=True)
def _live_server_database(committed_db: None, settings: Any, tmp_path: Path) -> None:
    """Every browser test: a database the live server's thread sees, flushed past the
    timeline's triggers afterwards with the default letter templates put back first
    (`tests.conftest.committed_db`), and uploads kept under the test's own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one test module. While Playwright's sync API runs, its event loop
    makes Django see an async context; the ORM calls the tests make for set-up and
    checks are synchronous and safe, so DJANGO_ALLOW_ASYNC_UNSAFE is set for exactly
    that time and never leaks into the rest of the run (or a subprocess it starts)."""
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-dev-shm-usage"]
            )
            yield launched
            launched.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_context(browser: Any, live_server: Any) -> Iterator[Callable[[], Any]]:
    """new_context() -> a fresh browser context (its own cookies): one per person."""
    contexts: list[Any] = []

    def make() -> Any:
        context = browser.new_context(base_url=live_server.url, locale="en-GB")
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def screenshot(page: Any, name: str) -> None:
    """Write a full-page screenshot as a test artefact."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name)
    page.screenshot(path=str(SCREENSHOTS / f"{safe}.png"), full_page=True)


def assert_accessible(page: Any, name: str = "") -> None:
    """axe-core on the page as it stands: no serious or critical violations (WCAG 2.x
    A and AA rules, 2.2 included)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated by the browser's debugging protocol, not as a <script> the page's
        # Content-Security-Policy would block (pages allow only Accord's own scripts).
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate(
        """async () => await axe.run(document, {runOnly: {type: 'tag', values:
            ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})"""
    )
    bad = [v for v in result["violations"] if v["impact"] in {"serious", "critical"}]
    detail = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:5])
        for v in bad
    )
    assert not bad, f"accessibility violations on {name or page.url}:\n{detail}"


def vnu_errors(files: Iterable[Path]) -> dict[Path, list[str]]:
    """The Nu HTML Checker's errors for each file (one run of the checker for all)."""
    java = shutil.which("java")
    reason = ""
    if java is None:
        reason = "no java on PATH"
    elif not VNU.exists():
        reason = (
            f"no vnu.jar at {VNU} (make setup installs it: npm install --prefix .tools vnu-jar)"
        )
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"the HTML checker must run in CI: {reason}")
        print(f"\nHTML checker SKIPPED: {reason}")
        return {}
    assert java is not None
    result = subprocess.run(  # noqa: S603 (the checker, on files this test wrote)
        [
            java,
            "-Xss1m",
            "-jar",
            str(VNU),
            "--errors-only",
            "--format",
            "json",
            "--exit-zero-always",
        ]
        + [str(path) for path in files],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    found: dict[Path, list[str]] = {}
    for message in json.loads(result.stderr or result.stdout or "{}").get("messages", []):
        if message.get("type") != "error":
            continue
        where = Path(message.get("url", "").removeprefix("file:"))
        line = message.get("lastLine", "?")
        found.setdefault(where, []).append(
            f"line {line}: {message.get('message')} [{message.get('extract', '').strip()[:80]}]"
        )
    return found


# --- Staff in the browser -----------------------------------------------------------

PASSWORD = "browser-test-password"


def person(slug: str, role: str, username: str) -> User:
    """A member of staff with a password and a confirmed TOTP device."""
    from accord.organisations.models import Organisation

    user = User.objects.create_user(
        username=username,
        password=PASSWORD,
        organisation=Organisation.objects.get(slug=slug),
        staff_role=role,
        first_name=username.split("-")[0].capitalize(),
    )
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def current_code(user: User) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def sign_in(context: Any, user: User, check: bool = False) -> Any:
    page = context.new_page()
    page.goto("/staff/")
    assert "/staff/login/" in page.url
    if check:
        assert_accessible(page, "staff sign-in")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/staff/login/code/")
    if check:
        assert_accessible(page, "staff code step")
    page.get_by_label("Code from your authenticator app").fill(current_code(user))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/staff/")
    return page


def press(page: Any, button: Any) -> None:
    """Click a button that submits a form and wait for the page it leads to."""
    with page.expect_navigation():
        button.click()


def reveal_step(page: Any, key: str) -> Any:
    """The step's form, opened if it is one of the other steps (a closed <details>:
    its summary opens it without JavaScript)."""
    form = page.locator(f"#step-{key}")
    summary = page.locator(f"details:has(#step-{key}) > summary")
    if summary.count() and not form.is_visible():
        summary.click()
    return form


def take_step(page: Any, key: str, fill: dict[str, str] | None = None) -> None:
    """Take a procedure step from the staff case page (its form is #step-<key>)."""
    form = reveal_step(page, key)
    for label, value in (fill or {}).items():
        form.get_by_label(label).fill(value)
    # What goes into the step's letters, where the test gave nothing: a handler types it.
    for box in form.locator("fieldset.letter-fields textarea").all():
        if not box.input_value():
            box.fill("As the handler wrote it for the letter.")
    press(page, form.get_by_role("button"))
    page.wait_for_selector(".message-success")


def fill_date(scope: Any, name: str, day: Any) -> None:
    """Type a date into the day/month/year inputs of the group called `name`."""
    group = scope.get_by_role("group", name=name)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))
