"""Front-end weight: what a brand's page and the desk fetch, gzip-compressed as a CDN would serve it.

One local stack (`python -m local`, as the e2e tests start it) and one headless load of each page in Debian's
chromium through Playwright, with the e2e tests' launch arguments. Every response of the front end's static files is
recorded (for the widget: the files under `/widget/`; for the desk: every script, stylesheet, document, image or
font of the desk page), and each body is compressed with gzip at level 6 (zlib's default, what CDNs commonly use;
level 9 saves about 1 % more) and summed. API answers (JSON) and the WebSocket are not counted.

- `widget.first_load_gzip_bytes`: the widget's files that the demo page fetches before any click, once the launcher
  is shown and the network is idle.
- `widget.open_gzip_bytes`: the widget's files fetched after one click on the launcher, until the message box is
  shown and the network is idle.
- `desk.load_gzip_bytes`: the desk page (`/desk`) and its files until its login form is shown and the network is
  idle.
"""

from __future__ import annotations

import gzip
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Page, Response, sync_playwright

from tests.e2e.conftest import BASE_SETTINGS, CHROMIUM, CHROMIUM_ARGS, LocalStack

GZIP_LEVEL = 6
STATIC_TYPES = {"document", "script", "stylesheet", "image", "font"}


@dataclass
class FrontResult:
    figures: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class Recorder:
    """The responses of one page, in order; `take()` hands over those seen since the last call."""

    def __init__(self, page: Page) -> None:
        self.responses: list[Response] = []
        page.on("response", self._seen)

    def _seen(self, response: Response) -> None:
        self.responses.append(response)

    def take(self) -> list[Response]:
        taken, self.responses = self.responses, []
        return taken


def gzip_size(body: bytes) -> int:
    return len(gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0))


def _weigh(responses: list[Response], keep: bool) -> tuple[int, list[str]]:
    total = 0
    files = []
    for response in responses:
        if not keep or response.request.resource_type not in STATIC_TYPES or response.status != 200:
            continue
        size = gzip_size(response.body())
        total += size
        files.append(f"{urlsplit(response.url).path} {size}")
    return total, files


def _widget_files(responses: list[Response]) -> list[Response]:
    return [r for r in responses if urlsplit(r.url).path.startswith("/widget/")]


def run() -> FrontResult:
    result = FrontResult()
    with tempfile.TemporaryDirectory() as log_dir:
        stack = LocalStack(Path(log_dir), dict(BASE_SETTINGS), resettable=False)
        try:
            url = stack.wait_until_up()
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                try:
                    page = browser.new_context().new_page()
                    recorder = Recorder(page)
                    page.goto(f"{url}/")
                    page.get_by_test_id("guichet-launcher").wait_for(state="visible")
                    page.wait_for_load_state("networkidle")
                    first, first_files = _weigh(_widget_files(recorder.take()), True)
                    page.get_by_test_id("guichet-launcher").click()
                    page.get_by_test_id("guichet-input").wait_for(state="visible")
                    page.wait_for_load_state("networkidle")
                    opened, open_files = _weigh(_widget_files(recorder.take()), True)

                    desk = browser.new_context().new_page()
                    desk_recorder = Recorder(desk)
                    desk.goto(f"{url}/desk")
                    desk.get_by_test_id("login-username").wait_for(state="visible")
                    desk.wait_for_load_state("networkidle")
                    desk_bytes, desk_files = _weigh(desk_recorder.take(), True)
                finally:
                    browser.close()
        finally:
            stack.stop()
    result.figures["widget.first_load_gzip_bytes"] = first
    result.figures["widget.open_gzip_bytes"] = opened
    result.figures["desk.load_gzip_bytes"] = desk_bytes
    result.notes.append(f"widget first load (gzip -{GZIP_LEVEL} bytes): " + ", ".join(first_files))
    result.notes.append("widget after one click: " + (", ".join(open_files) or "nothing"))
    result.notes.append("desk: " + ", ".join(desk_files))
    return result


if __name__ == "__main__":
    measured = run()
    for note in measured.notes:
        print(f"# {note}")
    for name, value in measured.figures.items():
        print(f"{name}: {value}")
