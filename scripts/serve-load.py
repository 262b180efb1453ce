#!/usr/bin/env python3
"""A bounded load test of `ztsim serve`, on the loopback only.

    scripts/serve-load.py CONSOLE_URL [--interval 2] [--duration 300] [--seats 30]

CONSOLE_URL is the facilitator's join link that `ztsim serve` prints
(http://127.0.0.1:PORT/console?token=...). The script reads the facilitator's View for the
seats' join links, opens one WebSocket per seat (up to --seats), and has every seat act each
--interval seconds for --duration seconds: an action of its role's `can`, on a target of the
right kind from its own View, each with a unique id. A share of the actions (--resend) is sent
a second time with the same id, as a client does after a reconnect: the server must answer
`duplicate: true` and not apply it again. The facilitator advances the clock by --advance
every --advance-every seconds (0: never), as a room would.

It measures each action's latency (sent → reply), counts replies, duplicates and errors, then
fetches the facilitator's View and checks that every acknowledged action is in its events
exactly once (by the action's id where events carry it, else by the free-text marker of
escalate/note and the per-seat counts). Prints p50/p90/p99/max and the counts, and exits 1
when p99 ≥ --p99-limit ms (default 100), an action was lost (no reply, or acknowledged but not
in the events) or applied twice. Exit 2: bad arguments or the server could not be reached.

Needs the `websockets` package (pinned in tests/browser/requirements.txt; tests/browser/run.sh
makes a venv with it in target/browser-venv).
"""

import argparse
import asyncio
import ipaddress
import json
import random
import re
import secrets
import socket
import sys
import time
import urllib.parse
import urllib.request
from collections import Counter

try:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed
except ImportError:  # pragma: no cover
    sys.exit("serve-load.py needs the websockets package: pip install -r tests/browser/requirements.txt")

IDENTITY = {"user", "admin", "service_account", "guest"}
DATA = {"database", "file_share", "bucket", "mailbox"}
PILLAR_GROUPS = re.compile(r"^(Identities|Cloud and internet-facing applications|Data \(cloud or unplaced\)|"
                           r"Infrastructure \(cloud or unplaced\)|Devices in no segment)$")
FREE_TEXT = {"escalate", "note"}


def loopback_only(host):
    """Refuse any host that is not 127.0.0.0/8 or ::1 (names must resolve only to those)."""
    try:
        addrs = [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        try:
            addrs = {ipaddress.ip_address(a[4][0]) for a in socket.getaddrinfo(host, None)}
        except OSError as e:
            raise SystemExit(f"serve-load.py: cannot resolve {host}: {e}")
    for a in addrs:
        if not a.is_loopback:
            print(f"serve-load.py: refusing {host} ({a}): only loopback addresses (127.0.0.0/8, ::1)",
                  file=sys.stderr)
            sys.exit(2)


def segment_of(group):
    """The segment a map group stands for (what `block` names), or None for a pillar group:
    its `segment` when the server sends one, else the id before " — " in its title."""
    if "segment" in group:
        return group["segment"] or None
    if PILLAR_GROUPS.match(group["title"]):
        return None
    return group["title"].split(" — ")[0]


def targets_of(view):
    """For each action of the seat's role, the targets it may name (None: free text)."""
    est = view.get("estate") or {"nodes": [], "groups": []}
    nodes = est.get("nodes", [])
    out = {}
    for a in view["me"].get("can", []):
        if a == "isolate":  # hosts: devices, infrastructure, applications
            out[a] = [n["id"] for n in nodes if n["kind"] not in IDENTITY and n["kind"] not in DATA]
        elif a in ("reset", "revoke", "disable"):
            out[a] = [n["id"] for n in nodes if n["kind"] in IDENTITY]
        elif a == "block":
            out[a] = [s for s in map(segment_of, est.get("groups", [])) if s]
        elif a == "decide":
            out[a] = list(view["me"].get("decisions", []))
        elif a in FREE_TEXT:
            out[a] = None
        else:
            continue
        if out[a] == []:
            del out[a]
    return out


def pct(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    k = min(len(xs) - 1, max(0, int(round(p / 100 * len(xs) + 0.5)) - 1))
    return xs[k]


class Stats:
    def __init__(self):
        self.latency = []  # ms, first reply to each sent id
        self.sent = 0
        self.resent = 0
        self.replies = 0
        self.ok = 0
        self.errors = Counter()
        self.expected_dups = 0  # duplicate:true on a deliberate resend
        self.unexpected_dups = []  # duplicate:true on an id sent once, or a wrong resend reply
        self.double_replies = 0  # a second reply for the same frame
        self.lost = []  # ids with no reply
        self.lost_by_seat = Counter()
        self.reconnects = 0
        self.acked = {}  # id -> (seat, action, target)


class Seat:
    def __init__(self, name, token, ws_url, args, stats, rng):
        self.name = name
        self.token = token
        self.url = f"{ws_url}/ws?token={token}"
        self.args = args
        self.stats = stats
        self.rng = rng
        self.view = None
        self.first_view = asyncio.Event()
        self.ws = None
        self.pending = {}  # id -> [frame, sent_at, resend]
        self.resent_ids = set()  # sent twice on purpose
        self.reconnect_ids = set()  # sent again after a reconnect
        self.replied = Counter()
        self.counter = 0
        self.prefix = f"load-{name}-{secrets.token_hex(4)}"  # unique per run, whatever the seed

    async def run(self, stop_at):
        reader = asyncio.create_task(self.keep_connected(stop_at))
        try:
            await asyncio.wait_for(self.first_view.wait(), 30)
        except asyncio.TimeoutError:
            reader.cancel()
            raise RuntimeError(f"{self.name}: no view within 30 s")
        targets = targets_of(self.view)
        if not targets:
            print(f"{self.name}: role {self.view['me'].get('role')} has no action with a target; idle",
                  file=sys.stderr)
        await asyncio.sleep(self.rng.uniform(0, self.args.interval))
        while targets and time.monotonic() < stop_at:
            await self.act(targets)
            await asyncio.sleep(self.args.interval)
        # Wait for the last replies.
        deadline = time.monotonic() + self.args.reply_timeout
        while self.pending and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        self.stats.lost.extend(self.pending)
        self.stats.lost_by_seat[self.name] += len(self.pending)
        reader.cancel()
        if self.ws is not None:
            await self.ws.close()

    async def act(self, targets):
        action = self.rng.choice(sorted(targets))
        self.counter += 1
        fid = f"{self.prefix}-{self.counter}"
        options = targets[action]
        target = f"load test [{fid}]" if options is None else self.rng.choice(options)
        frame = {"type": "act", "id": fid, "action": action, "target": target}
        self.pending[fid] = [frame, time.monotonic(), False]
        self.stats.sent += 1
        await self.send(frame)
        if self.rng.random() < self.args.resend:
            # As a client does after a reconnect: the same frame again, at once.
            self.pending[fid][2] = True
            self.resent_ids.add(fid)
            self.stats.resent += 1
            await self.send(frame)

    async def send(self, frame):
        ws = self.ws
        if ws is None:
            return  # sent after the reconnect
        try:
            await ws.send(json.dumps(frame))
        except ConnectionClosed:
            pass

    async def keep_connected(self, stop_at):
        backoff = 0.2
        while True:
            try:
                async with connect(self.url, max_size=None, open_timeout=10, ping_interval=None,
                                   compression=None) as ws:
                    self.ws = ws
                    backoff = 0.2
                    for fid, (frame, _, _) in list(self.pending.items()):
                        self.reconnect_ids.add(fid)
                        await ws.send(json.dumps(frame))
                    async for raw in ws:
                        self.receive(raw)
            except (ConnectionClosed, OSError):
                pass
            self.ws = None
            if time.monotonic() > stop_at + self.args.reply_timeout:
                return
            self.stats.reconnects += 1
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5)

    def receive(self, raw):
        if isinstance(raw, bytes):
            raw = raw.decode()
        head = raw[:80]
        if '"type":"view"' in head.replace(" ", ""):
            if not self.first_view.is_set():
                self.view = json.loads(raw)["view"]
                self.first_view.set()
            return  # later views are not parsed: the reply is what is timed
        msg = json.loads(raw)
        if msg.get("type") == "view":
            if not self.first_view.is_set():
                self.view = msg["view"]
                self.first_view.set()
            return
        if msg.get("type") == "error":
            self.stats.errors["frame:" + str((msg.get("error") or {}).get("code"))] += 1
            return
        if msg.get("type") != "reply":
            return
        fid = msg.get("id")
        reply = msg.get("reply") or {}
        self.stats.replies += 1
        self.replied[fid] += 1
        p = self.pending.get(fid)
        if p is None:
            # A reply for a frame already answered: the resend's, or a double reply.
            if reply.get("duplicate") is True and fid in self.resent_ids and self.replied[fid] == 2:
                self.stats.expected_dups += 1
            elif fid in self.reconnect_ids:
                pass  # the answer to a frame sent again after a reconnect
            else:
                self.stats.double_replies += 1
            return
        frame, sent_at, resend = p
        self.stats.latency.append((time.monotonic() - sent_at) * 1000)
        if reply.get("ok"):
            if reply.get("duplicate") is True and fid not in self.reconnect_ids:
                # The first answer to an id this client sent once cannot be a duplicate.
                self.stats.unexpected_dups.append(fid)
            else:
                self.stats.ok += 1
                self.stats.acked[fid] = (self.name, frame["action"], frame["target"])
        else:
            self.stats.errors[str((reply.get("error") or {}).get("code"))] += 1
        # The resend's answer comes next and is checked above (it must say duplicate).
        del self.pending[fid]


async def facilitator(ws_url, token, args, stop_at, stats):
    if args.advance_every <= 0:
        return
    n = 0
    async with connect(f"{ws_url}/ws?token={token}", max_size=None, ping_interval=None, compression=None) as ws:
        async def drain():
            async for raw in ws:
                if isinstance(raw, bytes):
                    raw = raw.decode()
                if '"type":"reply"' in raw[:80].replace(" ", ""):
                    r = json.loads(raw).get("reply") or {}
                    if not r.get("ok"):
                        stats.errors["facilitator:" + str((r.get("error") or {}).get("code"))] += 1

        reader = asyncio.create_task(drain())
        try:
            while time.monotonic() + args.advance_every < stop_at:
                await asyncio.sleep(args.advance_every)
                n += 1
                await ws.send(json.dumps({"type": "facilitator", "id": f"load-fac-{n}",
                                          "command": "advance", "by": args.advance}))
        finally:
            reader.cancel()


def seat_counts(view):
    """Per seat: its action events, and its actions as the seats table counts them."""
    events = Counter(e.get("seat") for e in view.get("events", []) if e.get("kind") == "action")
    table = {s["seat"]: s.get("actions", 0) for s in view.get("seats", [])}
    return events, table


def check_events(view, stats, seats, before):
    """Every acknowledged action in the facilitator's events exactly once (`before`: the
    per-seat counts when the run started, for a server that has been played on)."""
    problems = []
    events = [e for e in view.get("events", []) if e.get("kind") == "action"]
    by_id = Counter(e["id"] for e in events if e.get("id"))
    if by_id:
        for fid in stats.acked:
            if by_id[fid] != 1:
                problems.append(f"action {fid}: {by_id[fid]} events")
        return problems, "by id"
    # No ids on events: the free-text marker, then the counts per seat.
    for fid, (seat, action, target) in stats.acked.items():
        if action in FREE_TEXT:
            n = sum(1 for e in events if f"[{fid}]" in (e.get("text") or ""))
            if n != 1:
                problems.append(f"action {fid} ({action}): {n} events name it")
    per_seat = Counter(seat for seat, _, _ in stats.acked.values())
    in_events, counted = seat_counts(view)
    events0, counted0 = before
    # An action that got no reply may or may not have been applied (it is counted as lost
    # anyway): each seat's new events lie between its acknowledged actions and those plus
    # its unanswered ones.
    for seat in seats:
        acked, unanswered = per_seat[seat], stats.lost_by_seat[seat]
        span = f"{acked}" if not unanswered else f"{acked} to {acked + unanswered}"
        n = in_events[seat] - events0[seat]
        if not acked <= n <= acked + unanswered:
            problems.append(f"seat {seat}: {n} new action events, expected {span}")
        if seat in counted:
            n = counted[seat] - counted0.get(seat, 0)
            if not acked <= n <= acked + unanswered:
                problems.append(f"seat {seat}: the seats table counts {n} more actions, expected {span}")
    return problems, "by marker and per-seat counts"


def get_view(base, token):
    with urllib.request.urlopen(f"{base}/api/view?token={urllib.parse.quote(token)}", timeout=30) as r:
        return json.load(r)


async def main_async(args):
    u = urllib.parse.urlparse(args.console)
    if u.scheme not in ("http", "https") or not u.hostname:
        print("serve-load.py: CONSOLE_URL must be http://127.0.0.1:PORT/console?token=...", file=sys.stderr)
        return 2
    loopback_only(u.hostname)
    token = urllib.parse.parse_qs(u.query).get("token", [""])[0]
    if not token:
        print("serve-load.py: the console URL has no ?token=", file=sys.stderr)
        return 2
    host = f"[{u.hostname}]" if ":" in u.hostname else u.hostname
    base = f"{u.scheme}://{host}:{u.port or 80}"
    ws_url = ("wss" if u.scheme == "https" else "ws") + f"://{host}:{u.port or 80}"
    try:
        fac_view = get_view(base, token)
    except Exception as e:  # noqa: BLE001
        print(f"serve-load.py: cannot read the facilitator's view at {base}: {e}", file=sys.stderr)
        return 2
    seats = []
    for s in fac_view.get("seats", [])[: args.seats]:
        t = urllib.parse.parse_qs(urllib.parse.urlparse(s["link"]).query).get("token", [""])[0]
        seats.append((s["seat"], t))
    if not seats:
        print("serve-load.py: the facilitator's view lists no seats", file=sys.stderr)
        return 2
    print(f"{len(seats)} seats, an action each {args.interval:g} s for {args.duration:g} s "
          f"({len(seats) * args.duration / args.interval:.0f} actions, {args.resend:.0%} resent)", flush=True)

    stats = Stats()
    rng = random.Random(args.seed)
    stop_at = time.monotonic() + args.duration
    clients = [Seat(name, tok, ws_url, args, stats, random.Random(rng.getrandbits(64))) for name, tok in seats]
    started = time.monotonic()
    jobs = [asyncio.create_task(c.run(stop_at)) for c in clients]
    jobs.append(asyncio.create_task(facilitator(ws_url, token, args, stop_at, stats)))
    try:
        await asyncio.wait_for(asyncio.gather(*jobs), args.duration + args.reply_timeout + 60)
    except asyncio.TimeoutError:
        print("serve-load.py: the run overran its bound; stopping", file=sys.stderr)
        for j in jobs:
            j.cancel()
    elapsed = time.monotonic() - started

    # Let the last effects settle, then read the record.
    await asyncio.sleep(0.5)
    final = get_view(base, token)
    problems, how = check_events(final, stats, [s for s, _ in seats], seat_counts(fac_view))

    lat = stats.latency
    print(f"ran {elapsed:.1f} s: sent {stats.sent} actions (+{stats.resent} resent with the same id), "
          f"{stats.replies} replies, {stats.ok} applied, {sum(stats.errors.values())} errors "
          f"{dict(stats.errors) if stats.errors else ''}".rstrip())
    print(f"latency ms (send -> reply, {len(lat)} actions): p50 {pct(lat, 50):.1f}  p90 {pct(lat, 90):.1f}  "
          f"p99 {pct(lat, 99):.1f}  max {max(lat) if lat else float('nan'):.1f}")
    print(f"duplicates: {stats.expected_dups} resends answered duplicate (of {stats.resent}), "
          f"{len(stats.unexpected_dups)} unexpected, {stats.double_replies} double replies; "
          f"reconnects {stats.reconnects}; lost (no reply) {len(stats.lost)}")
    print(f"record check ({how}): {'every acknowledged action once' if not problems else f'{len(problems)} problems'}")
    for p in problems[:20]:
        print("  " + p)

    fail = []
    if not lat:
        fail.append("no action was answered")
    elif pct(lat, 99) >= args.p99_limit:
        fail.append(f"p99 {pct(lat, 99):.1f} ms ≥ {args.p99_limit:g} ms")
    if stats.lost:
        fail.append(f"{len(stats.lost)} actions got no reply")
    if stats.unexpected_dups or stats.double_replies:
        fail.append("duplicate replies")
    if stats.resent and stats.expected_dups != stats.resent:
        fail.append(f"{stats.resent - stats.expected_dups} resends not answered as duplicates")
    if problems:
        fail.append("acknowledged actions missing from the record or recorded twice")
    if args.json:
        print(json.dumps({"seats": len(seats), "sent": stats.sent, "resent": stats.resent, "replies": stats.replies,
                          "applied": stats.ok, "errors": dict(stats.errors), "lost": len(stats.lost),
                          "p50": pct(lat, 50), "p90": pct(lat, 90), "p99": pct(lat, 99),
                          "max": max(lat) if lat else None, "problems": problems, "fail": fail}))
    if fail:
        print("FAIL: " + "; ".join(fail))
        return 1
    print("OK")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("console", help="the facilitator's join link (loopback only)")
    ap.add_argument("--interval", type=float, default=2.0, help="seconds between a seat's actions (default 2)")
    ap.add_argument("--duration", type=float, default=300.0, help="seconds of load (default 300)")
    ap.add_argument("--seats", type=int, default=30, help="at most this many seats (default 30)")
    ap.add_argument("--resend", type=float, default=0.05,
                    help="share of actions sent twice with the same id (default 0.05)")
    ap.add_argument("--advance", default="15m", help="the facilitator's clock step (default 15m)")
    ap.add_argument("--advance-every", type=float, default=20.0,
                    help="seconds between the facilitator's steps; 0: never (default 20)")
    ap.add_argument("--p99-limit", type=float, default=100.0, help="fail at this p99 in ms (default 100)")
    ap.add_argument("--reply-timeout", type=float, default=10.0,
                    help="seconds to wait for the last replies (default 10)")
    ap.add_argument("--seed", type=int, default=1, help="random seed of the actions (default 1)")
    ap.add_argument("--json", action="store_true", help="also print the results as one JSON line")
    args = ap.parse_args()
    if not (0 < args.interval <= 3600 and 0 < args.duration <= 3600 and 1 <= args.seats <= 200
            and 0 <= args.resend <= 1):
        ap.error("bounds: 0 < interval ≤ 3600, 0 < duration ≤ 3600, 1 ≤ seats ≤ 200, 0 ≤ resend ≤ 1")
    sys.exit(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
