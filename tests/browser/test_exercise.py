"""A tabletop exercise played in a real browser: `ztsim serve`, the facilitator console and two
player seats in three Chromium contexts (the system Chromium, driven by Playwright).

Run with tests/browser/run.sh (it makes the venv). Environment:
  ZTSIM_BIN          the ztsim binary (default target/debug/ztsim)
  ZTSIM_EXERCISE     the exercise (default scenarios/exercises/phish-to-payroll.yaml)
  ZTSIM_CHROMIUM     the browser (default /usr/bin/chromium)
  ZTSIM_SCREENSHOTS  a folder: console.png, seat.png and report.png go there (1400x900)
  ZTSIM_WEB_DIR      serve the pages and /assets/ from this folder (the working tree's web/)
                     instead of the binary's embedded copy: front-end work without a rebuild
"""

import json
import os
import re
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("ZTSIM_BIN", ROOT / "target" / "debug" / "ztsim"))
EXERCISE = Path(os.environ.get("ZTSIM_EXERCISE", ROOT / "scenarios" / "exercises" / "phish-to-payroll.yaml"))
CHROMIUM = os.environ.get("ZTSIM_CHROMIUM", "/usr/bin/chromium")
SHOTS = os.environ.get("ZTSIM_SCREENSHOTS")
VIEWPORT = {"width": 1400, "height": 900}
WEB_DIR = os.environ.get("ZTSIM_WEB_DIR")
PAGES = {"/": "index.html", "/console": "console.html", "/seat": "seat.html"}
TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}

LISTEN = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")
FACILITATOR = re.compile(r"facilitator: (http://\S+/console\?token=[0-9a-f]{32})")
SEAT = re.compile(r"seat (\S+) \((.*)\): (http://\S+/seat\?token=[0-9a-f]{32})")


class Server:
    """`ztsim serve` on a free loopback port; its join links, parsed from what it prints."""

    def __init__(self, state_dir):
        if not BIN.exists():
            pytest.fail(f"no ztsim binary at {BIN} (build it, or set ZTSIM_BIN)")
        if not EXERCISE.exists():
            pytest.fail(f"no exercise at {EXERCISE} (set ZTSIM_EXERCISE)")
        self.proc = subprocess.Popen(
            [str(BIN), "serve", str(EXERCISE), "--bind", "127.0.0.1:0", "--state-dir", str(state_dir)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.lines = []
        self.base = None
        self.console = None
        self.seats = {}  # seat id -> (title, url)
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        if not self.ready.wait(60):
            self.stop()
            pytest.fail("ztsim serve printed no join links within 60 s:\n" + "".join(self.lines))

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line)
            if m := LISTEN.search(line):
                self.base = m.group(1)
            elif m := FACILITATOR.search(line):
                self.console = m.group(1)
            elif m := SEAT.search(line):
                self.seats[m.group(1)] = (m.group(2), m.group(3))
            # The links come together after the listening line; give the last seat a moment.
            if self.base and self.console and self.seats and not self.ready.is_set():
                threading.Timer(0.5, self.ready.set).start()
        self.ready.set()

    def token(self, url):
        return urllib.parse.parse_qs(urllib.parse.urlparse(url).query)["token"][0]

    def view(self, url):
        with urllib.request.urlopen(f"{self.base}/api/view?token={self.token(url)}", timeout=10) as r:
            return json.load(r)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture()
def server(tmp_path):
    s = Server(tmp_path / "state")
    yield s
    s.stop()


@pytest.fixture()
def browser():
    with sync_playwright() as p:
        args = ["--no-sandbox", "--disable-gpu"]
        if WEB_DIR:
            # Pages fulfilled by the test have no address; Chromium would then refuse their
            # WebSocket to the loopback (local network access checks).
            args.append("--disable-features=LocalNetworkAccessChecks")
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        yield b
        b.close()


class Watched:
    """A page whose console errors, page errors and requests off the origin are collected."""

    def __init__(self, browser, base, url, name):
        self.name = name
        self.problems = []
        self.context = browser.new_context(viewport=VIEWPORT)
        origin = base.rstrip("/")

        def route(r):
            if WEB_DIR and r.request.url.startswith(origin + "/"):
                path = urllib.parse.urlparse(r.request.url).path
                name = PAGES.get(path) or (path[len("/assets/"):] if path.startswith("/assets/") else None)
                file = Path(WEB_DIR) / name if name else None
                if file and file.is_file():
                    r.fulfill(body=file.read_bytes(), content_type=TYPES.get(file.suffix, "application/octet-stream"))
                    return
            if r.request.url.startswith(origin + "/") or r.request.url == origin:
                r.continue_()
            else:
                self.problems.append(f"request off the origin: {r.request.url}")
                r.abort()

        self.context.route("**/*", route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("dialog", lambda d: d.accept())
        self.page.goto(url)
        expect(self.page.locator("#title")).not_to_have_text("Loading…", timeout=15000)
        # The graph is drawn: Cytoscape's canvases exist and the estate has nodes.
        self.page.wait_for_function("() => document.querySelectorAll('#graph canvas').length > 0")

    def shot(self, name):
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(Path(SHOTS) / name))


def pick_seats(server):
    """A seat that can escalate and another that can isolate, by what their views say."""
    can = {}
    for seat, (_, url) in server.seats.items():
        can[seat] = server.view(url)["me"]["can"]
    escalator = next((s for s, c in can.items() if "escalate" in c), None)
    isolator = next((s for s, c in can.items() if "isolate" in c and s != escalator), None)
    assert escalator and isolator, f"the exercise needs a seat that escalates and another that isolates: {can}"
    return escalator, isolator


def send_action(page, action, target=None):
    """Click the action, choose or type its target, send, and return the result line's text."""
    page.click(f"#actions button[data-action='{action}']")
    if target is None:
        page.fill("#target-text", f"browser test: {action} from the seat page")
    elif isinstance(target, list):
        # The first of these the picker offers, else its first option.
        page.wait_for_function("() => document.querySelectorAll('#target-select option:not([disabled])').length > 0")
        offered = page.eval_on_selector_all("#target-select option", "os => os.map(o => o.value)")
        pick = next((t for t in target if t in offered), None)
        if pick:
            page.select_option("#target-select", pick)
    else:
        page.select_option("#target-select", target)
    page.click("#b-send")
    result = page.locator("#act-result")
    expect(result).to_have_attribute("data-kind", re.compile("ok|error"), timeout=15000)
    return result.get_attribute("data-kind"), result.text_content()


def clock(page):
    return page.locator(".clock-now").text_content()


def test_exercise_in_the_browser(server, browser):
    soc, it = pick_seats(server)
    console = Watched(browser, server.base, server.console, "console")
    seat_a = Watched(browser, server.base, server.seats[soc][1], soc)
    seat_b = Watched(browser, server.base, server.seats[it][1], it)
    pages = [console, seat_a, seat_b]
    try:
        # Both seats show as connected on the console.
        for seat in (soc, it):
            row = console.page.locator("#seats tr", has_text=seat)
            expect(row.locator(".dot.on")).to_have_count(1, timeout=15000)
        expect(seat_a.page.locator("#role")).to_have_text(server.seats[soc][0])
        score_before = console.page.locator("#score").text_content()

        # The players act: the SOC escalates, IT isolates a device it picks from the list.
        kind, text = send_action(seat_a.page, "escalate")
        assert kind == "ok", f"escalate failed: {text}"
        kind, text = send_action(seat_b.page, "isolate", ["lt-ceo"])
        assert kind == "ok", f"isolate failed: {text}"
        target = seat_b.page.eval_on_selector("#target-select", "s => s.value")
        # The console sees both actions in its timeline.
        expect(console.page.locator("#timeline li.ev-action", has_text=target)).not_to_have_count(0, timeout=10000)
        expect(console.page.locator("#timeline li.ev-action")).not_to_have_count(0)

        # The facilitator advances the clock, 15 minutes at a time, until an inject triggered
        # after the start reaches a player's page.
        injects = "#messages li.ev-inject"
        before = [seat_a.page.locator(injects).count(), seat_b.page.locator(injects).count()]
        arrived = None
        for _ in range(24):
            now = clock(console.page)
            console.page.click("button[data-cmd='{\"command\":\"advance\",\"by\":\"15m\"}']")
            expect(console.page.locator(".clock-now")).not_to_have_text(now, timeout=10000)
            for seat, n in zip((seat_a, seat_b), before):
                # The seat's clock has caught up with the console's before it is counted.
                expect(seat.page.locator(".clock-now")).to_have_text(clock(console.page), timeout=10000)
                if seat.page.locator(injects).count() > n:
                    arrived = (seat, n)
            if arrived:
                break
        assert arrived, "no triggered inject reached a player page within 6 hours of play"
        seat, n = arrived
        new = seat.page.locator(injects).nth(n)
        expect(new).to_have_class(re.compile(r"\bfresh\b"))
        text = new.locator(".ev-text").text_content()
        # The console's timeline has it too.
        expect(console.page.locator("#timeline li.ev-inject", has_text=text).first).to_be_attached()

        # The score on the console has moved (an expectation met, late or missed).
        expect(console.page.locator("#score")).not_to_have_text(score_before, timeout=10000)
        console.shot("console.png")
        seat.shot("seat.png")  # the seat the inject reached, highlighted

        # A failing inject shows the server's error text.
        console.page.fill("#inject-line", "bogus-command-xyz u-nobody")
        console.page.click("#f-inject button[type=submit]")
        expect(console.page.locator("#inject-result")).to_have_attribute("data-kind", "error", timeout=10000)
        assert console.page.locator("#inject-result").text_content().strip()

        # The facilitator ends the exercise; the seats can no longer act.
        console.page.click("#b-end")
        expect(console.page.locator("#clock .b-ended")).to_have_count(1, timeout=10000)
        expect(seat_a.page.locator("#clock .b-ended")).to_have_count(1, timeout=10000)
        expect(seat_a.page.locator("#actions button").first).to_be_disabled()

        for p in pages:
            assert not p.problems, f"{p.name}: " + "; ".join(p.problems)

        # The report: HTML, PDF and the ATT&CK layer, from the console's links.
        for link, check in (("#report-html", b"<html"), ("#report-pdf", b"%PDF"), ("#report-layer", b"{")):
            href = console.page.get_attribute(link, "href")
            r = console.page.request.get(urllib.parse.urljoin(server.base, href), timeout=120000)
            assert r.status == 200, f"{link} {href}: HTTP {r.status}"
            body = r.body()
            if check == b"%PDF":
                assert body.startswith(b"%PDF"), f"the PDF starts with {body[:16]!r}"
            else:
                assert check in body[:2000].lower(), f"{link}: {body[:200]!r}"
        report = browser.new_page(viewport=VIEWPORT)
        report.goto(urllib.parse.urljoin(server.base, console.page.get_attribute("#report-html", "href")))
        if SHOTS:
            report.screenshot(path=str(Path(SHOTS) / "report.png"))
        report.close()
    finally:
        for p in pages:
            p.context.close()


def test_action_survives_a_dropped_socket(server, browser):
    """An action sent while the socket is closed is delivered (POST or resend) exactly once."""
    _, it = pick_seats(server)
    seat = Watched(browser, server.base, server.seats[it][1], it)
    try:
        page = seat.page
        page.wait_for_function("() => ZT.Live.current && ZT.Live.current.up")
        # Close the socket under the page, then act at once: the link is down, so the frame
        # goes by POST or waits for the reconnect; either way the server applies it once.
        page.evaluate("() => ZT.Live.current.ws.close()")
        kind, text = send_action(page, "note")
        assert kind == "ok", text
        page.wait_for_function("() => ZT.Live.current.up", timeout=20000)
        # Resend the same frame by hand, as a reconnect would: the server says duplicate.
        dup = page.evaluate("""async () => {
            const live = ZT.Live.current;
            const id = `${live.prefix}-${live.session}-${live.counter}`;
            return await new Promise((resolve) => {
                live.pending.set(id, {frame: {type: "act", id, action: "note", target: "again"}, resolve, sentAt: 0, posting: false});
                live.sendFrame(live.pending.get(id));
            });
        }""")
        assert dup.get("ok") and dup.get("duplicate") is True, dup
        fac = server.view(server.console)
        notes = [e for e in fac["events"] if e["kind"] == "action" and "browser test: note" in e["text"]]
        assert len(notes) == 1, notes
        assert not seat.problems, "; ".join(seat.problems)
    finally:
        seat.context.close()
