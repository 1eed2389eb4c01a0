"""A throttling front for DynamoDB Local, as DynamoDB throttles a provisioned table.

Usage: python3 throttle_front.py PORT UPSTREAM APP_SHARE

Forwards every request to UPSTREAM (DynamoDB Local), and for each table enforces the provisioned
rate its DescribeTable reports (asked upstream on first use), with a token bucket per table and
direction that holds one second of the rate:
- BatchWriteItem takes the items the write bucket can pay for (each item's size rounded up to
  1 KB) and sends the rest back as UnprocessedItems; when it can pay for none, the answer is
  HTTP 400 ProvisionedThroughputExceededException.
- Scan and Query are refused with that exception while the read bucket is empty, and are charged
  afterwards what the page cost (half a unit per 4 KB, eventually consistent), going into debt.
- A stand-in for the live app draws APP_SHARE (0 to 1) of each direction's rate from the same
  buckets, about 20 times a second, each time for the time since its last draw; what it cannot
  get is counted as denied.

GET /stats answers JSON: per table and direction, the units the tools consumed, their first and
last accepted request, items written (or returned by reads) and bounced, requests and throttled
requests, and the units the app asked of that table and was denied; and, over all tables, the
app's asked and denied units.
Prints "ready" once it listens. Standard library only.
"""

import json
import math
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, UPSTREAM, APP_SHARE = int(sys.argv[1]), sys.argv[2].rstrip("/"), float(sys.argv[3])
LOCK = threading.Lock()
BURST = 1.0
TABLES = {}
APP = {"asked": 0.0, "denied": 0.0}


class Bucket:
    def __init__(self, rate):
        self.rate = rate
        self.tokens = rate * BURST
        self.at = time.monotonic()

    def refill(self):
        now = time.monotonic()
        self.tokens = min(self.rate * BURST, self.tokens + (now - self.at) * self.rate)
        self.at = now


def stats_of():
    return {"consumed": 0.0, "first_units": 0.0, "first": None, "last": None, "written": 0,
            "returned": 0,
            "bounced": 0, "throttled": 0, "requests": 0, "app_asked": 0.0, "app_denied": 0.0}


def number_size(text):
    digits = sum(c.isdigit() for c in text)
    return (digits + 1) // 2 + 1


def value_size(v):
    (kind, x), = v.items()
    if kind == "S":
        return len(x.encode())
    if kind == "N":
        return number_size(x)
    if kind == "B":
        return len(x) * 3 // 4
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(e.encode()) for e in x)
    if kind == "NS":
        return sum(number_size(e) for e in x)
    if kind == "BS":
        return sum(len(e) * 3 // 4 for e in x)
    if kind == "L":
        return 3 + sum(1 + value_size(e) for e in x)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + value_size(e) for k, e in x.items())
    return 0


def write_units(request):
    put = request.get("PutRequest")
    if not put:
        return 1
    size = sum(len(k.encode()) + value_size(v) for k, v in put["Item"].items())
    return max(1, math.ceil(size / 1024))


def upstream(target, body, headers):
    req = urllib.request.Request(UPSTREAM + "/", data=body, method="POST")
    for name in ("Content-Type", "Authorization", "X-Amz-Date", "X-Amz-Target",
                 "X-Amz-Security-Token"):
        if headers.get(name):
            req.add_header(name, headers[name])
    req.add_header("X-Amz-Target", target)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def table(name, headers):
    """The buckets and stats of `name`, from its provisioned throughput (None: not provisioned)."""
    with LOCK:
        if name in TABLES:
            return TABLES[name]
    status, raw = upstream("DynamoDB_20120810.DescribeTable",
                           json.dumps({"TableName": name}).encode(), headers)
    entry = None
    if status == 200:
        desc = json.loads(raw)["Table"]
        pt = desc.get("ProvisionedThroughput", {})
        rcu, wcu = pt.get("ReadCapacityUnits", 0), pt.get("WriteCapacityUnits", 0)
        for gsi in desc.get("GlobalSecondaryIndexes", []):
            w = gsi.get("ProvisionedThroughput", {}).get("WriteCapacityUnits", 0)
            if w:
                wcu = min(wcu, w)
        if rcu and wcu:
            entry = {"read": Bucket(rcu), "write": Bucket(wcu),
                     "stats": {"read": stats_of(), "write": stats_of()},
                     "provisioned": {"read": rcu, "write": wcu}}
    with LOCK:
        TABLES.setdefault(name, entry)
        return TABLES[name]


def throttled_answer():
    return 400, json.dumps({
        "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
        "message": "The level of configured provisioned throughput for the table was exceeded.",
    }).encode()


def accepted(stats, units):
    now = time.monotonic()
    stats["consumed"] += units
    if stats["first"] is None:
        stats["first"], stats["first_units"] = now, units
    stats["last"] = now


def consumed(name, units):
    return {"TableName": name, "CapacityUnits": units, "Table": {"CapacityUnits": units}}


def batch_write(target, body, headers):
    doc = json.loads(body)
    # The front reports the consumed capacity itself, as DynamoDB does: DynamoDB Local answers
    # about ten times slower when it is asked to.
    report = doc.pop("ReturnConsumedCapacity", "NONE") != "NONE"
    (name, requests), = doc["RequestItems"].items()
    entry = table(name, headers)
    if entry is None:
        return upstream(target, body, headers)
    with LOCK:
        bucket, stats = entry["write"], entry["stats"]["write"]
        bucket.refill()
        stats["requests"] += 1
        take, rest, units = [], [], 0
        for request in requests:
            cost = write_units(request)
            if not rest and bucket.tokens >= cost:
                bucket.tokens -= cost
                units += cost
                take.append(request)
            else:
                rest.append(request)
        stats["bounced"] += len(rest)
        if not take:
            stats["throttled"] += 1
            return throttled_answer()
        accepted(stats, units)
        stats["written"] += len(take)
    doc["RequestItems"] = {name: take}
    status, raw = upstream(target, json.dumps(doc).encode(), headers)
    if status != 200:
        return status, raw
    out = json.loads(raw)
    if rest:
        out.setdefault("UnprocessedItems", {}).setdefault(name, []).extend(rest)
    if report:
        out["ConsumedCapacity"] = [consumed(name, units)]
    return status, json.dumps(out).encode()


def read(target, body, headers):
    doc = json.loads(body)
    entry = table(doc.get("TableName", ""), headers)
    if entry is None:
        return upstream(target, body, headers)
    report = doc.pop("ReturnConsumedCapacity", "NONE") != "NONE"
    body = json.dumps(doc).encode()
    with LOCK:
        bucket, stats = entry["read"], entry["stats"]["read"]
        bucket.refill()
        stats["requests"] += 1
        if bucket.tokens <= 0:
            stats["throttled"] += 1
            return throttled_answer()
    status, raw = upstream(target, body, headers)
    if status != 200:
        return status, raw
    out = json.loads(raw)
    size = sum(sum(len(k.encode()) + value_size(v) for k, v in item.items())
               for item in out.get("Items", []))
    units = max(1, math.ceil(size / 4096)) / 2
    with LOCK:
        bucket.refill()
        bucket.tokens -= units
        accepted(stats, units)
        stats["returned"] += len(out.get("Items", []))
    if report:
        out["ConsumedCapacity"] = consumed(doc["TableName"], units)
        raw = json.dumps(out).encode()
    return status, raw


def app():
    """The live app: APP_SHARE of each rate, drawn about 20 times a second. Each draw asks for the
    time since the last one (at most a second's worth), so a loaded machine that wakes this
    thread late changes how often it draws, never how much the app asks for in all."""
    last = time.monotonic()
    while True:
        time.sleep(0.05)
        now = time.monotonic()
        elapsed, last = min(now - last, BURST), now
        with LOCK:
            entries = [e for e in TABLES.values() if e]
            for entry in entries:
                for direction in ("read", "write"):
                    bucket, stats = entry[direction], entry["stats"][direction]
                    bucket.refill()
                    want = entry["provisioned"][direction] * APP_SHARE * elapsed
                    APP["asked"] += want
                    stats["app_asked"] += want
                    if bucket.tokens >= want:
                        bucket.tokens -= want
                    else:
                        got = max(0.0, bucket.tokens)
                        bucket.tokens -= got
                        APP["denied"] += want - got
                        stats["app_denied"] += want - got


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, raw, kind="application/x-amz-json-1.0"):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self):
        with LOCK:
            doc = {"tables": {n: e["stats"] for n, e in TABLES.items() if e}, "app": APP}
            self.answer(200, json.dumps(doc).encode(), "application/json")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        target = self.headers.get("X-Amz-Target", "")
        op = target.rsplit(".", 1)[-1]
        if op == "BatchWriteItem":
            status, raw = batch_write(target, body, self.headers)
        elif op in ("Scan", "Query"):
            status, raw = read(target, body, self.headers)
        else:
            status, raw = upstream(target, body, self.headers)
        self.answer(status, raw)


server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
server.daemon_threads = True
threading.Thread(target=app, daemon=True).start()
print("ready", flush=True)
server.serve_forever()
