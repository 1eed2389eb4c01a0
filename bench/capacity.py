"""The capacity benchmarks' pieces (`import-capacity`, `export-capacity`; harness.py runs them).

Both sides of these benchmarks talk to DynamoDB Local through the throttling front of the
integration tests (tests/integration/throttle_front.py): it forwards every request, throttles each
table at its provisioned rate with token buckets holding one second (UnprocessedItems,
ProvisionedThroughputExceededException) and draws a share of that rate for a stand-in app. Its
GET /stats says, per table and direction, what the tools consumed, the items written or returned,
the items bounced and requests throttled, and what the app asked and was denied.

Here: the front as a process, the items both sides write, a provisioned table definition, and the
figures of one run from the front's counters.
"""
import json
import math
import select
import socket
import subprocess
import time
import urllib.request
import uuid

# The table both benchmarks use: 100 WCU / 100 RCU (table and index), the app drawing 30%.
PROVISIONED = 100
APP_SHARE = 0.3
# What a job on prod takes without --capacity: half the provisioned capacity.
DEFAULT_SHARE = 0.5
BUDGET = PROVISIONED * DEFAULT_SHARE
# Targets of ours (issue 19): achieved rate / budget, bounced per item, app denied.
RATE_RANGE = (0.9, 1.05)
MAX_BOUNCED_PER_ITEM = 0.02
MAX_APP_DENIED = 0.02

GROUP_NS = uuid.UUID("5ae290ed-55d1-47a0-bc6d-fe2bc2700399")
USERS = [
    ("b5fd3e5c-0f8b-4d1b-8e4a-7f2a4b1c9d10", "Andrew Brown", "andrewbrown"),
    ("0c3b2f7e-1a9d-4f6e-9b8c-2d5e7f1a3b40", "Andrew Bayko", "bayko"),
]


class FrontError(Exception):
    """The front did not start or did not answer."""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Front:
    """throttle_front.py as a child process, drawing `app_share` for the app; close() stops it."""

    def __init__(self, python, script, upstream, app_share=APP_SHARE):
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen([python, str(script), str(port), upstream, str(app_share)],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        ready, _, _ = select.select([self.proc.stdout], [], [], 15)
        line = self.proc.stdout.readline().decode().strip() if ready else ""
        if line != "ready":
            self.close()
            err = self.proc.stderr.read().decode("utf-8", "replace")[-2000:]
            raise FrontError(f"the throttling front did not start ({line!r}): {err}")

    def stats(self, table):
        """The front's counters of `table`: {"read": {...}, "write": {...}}."""
        with urllib.request.urlopen(self.url + "/stats", timeout=10) as resp:
            doc = json.load(resp)
        if table not in doc["tables"]:
            raise FrontError(f"the front saw no request for table {table}")
        return doc["tables"][table]

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def provisioned_definition(table_def, units=PROVISIONED):
    """`table_def` (the shipped messages table) provisioned at `units` for the table and its
    indexes, reads and writes."""
    spec = json.loads(json.dumps(table_def))
    pt = {"ReadCapacityUnits": units, "WriteCapacityUnits": units}
    spec["ProvisionedThroughput"] = pt
    spec["BillingMode"] = "PROVISIONED"
    for gsi in spec.get("GlobalSecondaryIndexes", []):
        gsi["ProvisionedThroughput"] = dict(pt)
    return spec


def write_items(path, n, groups=8):
    """`n` messages shaped like the seed's (pk MSG#<group>, sk time, uuid, text, author) as
    DynamoDB typed JSON lines, each about 650 bytes: one write unit, and about six per 4 KB of
    a scan page. Deterministic: every run and both sides write the very same items."""
    group_ids = [uuid.uuid5(GROUP_NS, f"capacity-{k}") for k in range(groups)]
    start = 1_767_225_600  # 2026-01-01T00:00:00Z
    text = ("the tide is coming in; café at eight? bring one book 📚 " * 9)[:480]
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            group = group_ids[i % groups]
            user_uuid, display, handle = USERS[i % 2]
            t = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(start + i))
            item = {
                "pk": {"S": f"MSG#{group}"},
                "sk": {"S": f"{t}.{i % 1_000_000:06d}+00:00"},
                "message_uuid": {"S": str(uuid.uuid5(group, f"message-{i}"))},
                "message": {"S": f"Message {i + 1}: {text}"},
                "user_uuid": {"S": user_uuid},
                "user_display_name": {"S": display},
                "user_handle": {"S": handle},
            }
            f.write(json.dumps(item, ensure_ascii=False) + "\n")


def figures(stats, direction, wall_s, budget=BUDGET):
    """One run's figures from the front's counters of its table (`stats[direction]`):
    - units consumed per second over the process's wall time, and over the span between its
      first and last accepted request, each also divided by `budget`;
    - items written (writes) or returned (reads); bounced: items sent back unprocessed or in a
      throttled request (writes), throttled requests (reads); and bounced per item;
    - the share of the app's units the front denied on that table and direction."""
    s = stats[direction]
    units = s["consumed"]
    span = (s["last"] - s["first"]) if s["first"] is not None else 0.0
    items = s["written"] if direction == "write" else s["returned"]
    bounced = s["bounced"] if direction == "write" else s["throttled"]
    asked = s["app_asked"]
    rate = units / wall_s
    return {
        "wall_s": round(wall_s, 3),
        "units": round(units, 1),
        "units_per_s": round(rate, 2),
        "achieved_over_budget": round(rate / budget, 3),
        "units_per_s_first_to_last": round(units / span, 2) if span > 0 else None,
        "items": items,
        "bounced": bounced,
        "bounced_per_item": round(bounced / items, 4) if items else math.inf,
        "requests": s["requests"],
        "throttled_requests": s["throttled"],
        "app_asked_units": round(asked, 1),
        "app_denied_units": round(s["app_denied"], 1),
        "app_denied_share": round(s["app_denied"] / asked, 4) if asked else 0.0,
    }


def meets_targets(fig):
    """Whether one run of ours met every target of issue 19."""
    low, high = RATE_RANGE
    return (low <= fig["achieved_over_budget"] <= high
            and fig["bounced_per_item"] <= MAX_BOUNCED_PER_ITEM
            and fig["app_denied_share"] < MAX_APP_DENIED)


def summary(runs):
    """The medians of the runs' figures that the results carry."""
    def med(key):
        xs = sorted(r[key] for r in runs)
        mid = len(xs) // 2
        return xs[mid] if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2
    return {key: round(med(key), 4) for key in (
        "wall_s", "units_per_s", "achieved_over_budget", "items", "bounced",
        "bounced_per_item", "throttled_requests", "app_denied_share")}


def markdown(results):
    """The capacity benchmarks' own table (both sides' figures), empty when none ran."""
    rows = [r for r in results if "capacity" in r]
    if not rows:
        return ""
    lines = [
        f"Through the throttling front: {PROVISIONED} WCU / {PROVISIONED} RCU, 1 s burst, the app "
        f"drawing {APP_SHARE:.0%}; budget {BUDGET:g} units/s (prod's default share). "
        "Medians over the runs.",
        "",
        "| name | side | wall | units/s | achieved / budget | bounced per item | "
        "app denied | met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        cap = r["capacity"]
        for side in ("ours", "baseline"):
            f = cap[side]
            met = ("yes" if r["met"] else "**no**") if side == "ours" else "-"
            lines.append(
                f"| `{r['name']}` | {cap[side + '_label']} | {f['wall_s']:.1f} s | "
                f"{f['units_per_s']:.1f} | {f['achieved_over_budget']:.2f} | "
                f"{f['bounced_per_item']:.3f} | {f['app_denied_share']:.1%} | {met} |")
    return "\n".join(lines)
