#!/usr/bin/env python3
"""`just bench`: the toolkit's binaries side by side with what users run today.

Every benchmark runs whole processes, timed from outside (wall time, median of several runs
after a warm-up), on the local stack: DynamoDB Local (in memory), moto's Cognito and
PostgreSQL. Each write run gets a freshly created table (unique name, dropped after); read
benchmarks get a table seeded once for them (dropped after). Tables are the shipped definition
without its stream (see Stack.__init__). Processes are started by a tiny launcher
(bench/spawn.rs) that times them and reads their peak RSS from wait4's ru_maxrss (which also
covers any descendant the process reaped, as the largest one); for commands that may spawn
children the summed RSS of the process tree is also sampled from /proc every 10 ms and the
larger of the two is kept.

Prints a markdown table and writes target/bench/results.json (and target/bench/details.json
with every sample, the rates and the machine). Exits 0 when every benchmark ran, met or not;
1 when one could not run; 2 on bad arguments.

Run through bench/run.sh (the stack's venv); `just bench` brings the stack up and builds the
release binary (cruddur-ops) first.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import boto3
import psycopg

import capacity
import cognito

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
# Where `cargo build --release` put the binaries (CARGO_TARGET_DIR when set, as cargo does).
BIN = Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target") / "release"
OUT = ROOT / "target" / "bench"
VENV_PY = sys.executable  # run.sh runs us with the stack's venv
AWS_CLI = Path(sys.executable).parent / "aws"
# The integration tests' throttling front (import-capacity, export-capacity; see capacity.py).
FRONT = ROOT / "tests" / "integration" / "throttle_front.py"

HOST = "127.0.0.1"
# The running stack's ports: the same variables as scripts/stack.sh and the tools
# (bench/run.sh runs after `scripts/stack.sh up`, which has validated them).
DDB_PORT = int(os.environ.get("CRUDDUR_OPS_DDB_PORT", "").strip() or 8000)
COGNITO_PORT = int(os.environ.get("CRUDDUR_OPS_COGNITO_PORT", "").strip() or 9229)
PG_PORT = int(os.environ.get("CRUDDUR_OPS_PG_PORT", "").strip() or 5432)
DDB_URL = f"http://{HOST}:{DDB_PORT}"
COGNITO_URL = f"http://{HOST}:{COGNITO_PORT}"
PG_ADMIN_URL = f"postgresql://postgres:password@{HOST}:{PG_PORT}/postgres"
REGION = "us-east-1"
DEFAULT_GROUP = "5ae290ed-55d1-47a0-bc6d-fe2bc2700399"
# A fixed end time for bulk seeds, so every run (and the dump the baseline replays) holds the
# very same items.
FIXED_NOW = "2026-01-01T00:00:00+00:00"
# import-capacity writes this many items of one write unit (about 30 s at 50 WCU/s);
# export-capacity reads a table of CAPACITY_EXPORT_ITEMS of them (about 12 MB: 30 s at 50 RCU/s).
CAPACITY_IMPORT_ITEMS = 1_500
CAPACITY_EXPORT_ITEMS = 16_000
# scan-segments spreads its 50,000 messages over this many groups (partition keys).
SEGMENT_GROUPS = 20
CHILD_TIMEOUT = 300  # seconds; a child still running then is killed and its benchmark fails

BENCHMARKS = [
    "startup",
    "list-tables",
    "seed-standard",
    "seed-bulk-50k",
    "seed-bulk-ceiling",
    "scan-50k",
    "scan-flat-memory",
    "scan-segments",
    "sync-2k",
    "import-50k",
    "export-50k",
    "check-50k",
    "import-capacity",
    "export-capacity",
    "cognito-export-2k",
    "cognito-import-2k",
]


class CannotRun(Exception):
    """A benchmark could not run (missing binary, a child failed, wrong data)."""


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def child_env(**extra):
    """The environment for every child: no real AWS settings, the local stack's dummies."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_")
        and k not in ("DDB_MESSAGE_TABLE", "CONNECTION_URL", "PROD_CONNECTION_URL")
    }
    env.update(
        {
            # DynamoDB Local accepts only letters and digits in the access key.
            "AWS_ACCESS_KEY_ID": "cruddurlocal",
            "AWS_SECRET_ACCESS_KEY": "cruddurlocal",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_ENDPOINT_URL_DYNAMODB": DDB_URL,
            "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": COGNITO_URL,
        }
    )
    env.update(extra)
    return env


# ---------------------------------------------------------------------------
# measuring one process (or a few at once)


def tree_rss_kb(root):
    """Summed VmRSS (kB) of `root` and all its descendants, from /proc."""
    total, stack, seen = 0, [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    stack.extend(int(c) for c in f.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError, ValueError):
            continue
    return total


class Sample:
    def __init__(self, wall_s, rss_kb):
        self.wall_s = wall_s
        self.rss_kb = rss_kb

    def to_json(self):
        return {"wall_s": round(self.wall_s, 6), "peak_rss_mb": round(self.rss_kb / 1024, 2)}


SPAWN = OUT / "spawn"


def build_spawn():
    """Compiles bench/spawn.rs (std only) with rustc when missing or older than the source."""
    src = BENCH / "spawn.rs"
    if SPAWN.is_file() and SPAWN.stat().st_mtime >= src.stat().st_mtime:
        return
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = OUT / "spawn.tmp"
    r = subprocess.run(["rustc", "--edition", "2021", "-O", "-o", str(tmp), str(src)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"bench: compiling {src} failed:\n{r.stderr}")
    tmp.replace(SPAWN)


def run_many(cmds, env, stdout=None, tree=False, what="command"):
    """Starts every command at once (through bench/spawn.rs) and waits for all: (wall seconds
    until the last exit, [peak RSS kB of each]). stdout: None for /dev/null or an open file.
    tree: also sample the summed RSS of the process tree under the launcher (/proc, every
    10 ms) and keep it when larger (the sum over all commands, given to each)."""
    out = stdout if stdout is not None else subprocess.DEVNULL
    argv = [str(SPAWN), ""]
    for cmd in cmds:
        argv += [str(len(cmd)), *map(str, cmd)]
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile() as report:
        argv[1] = report.name
        stop, tree_peak = threading.Event(), [0]
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env,
                                start_new_session=True)
        sampler = None
        if tree:

            def sample():
                while not stop.is_set():
                    tree_peak[0] = max(tree_peak[0],
                                       tree_rss_kb(proc.pid) - tree_rss_kb_one(proc.pid))
                    stop.wait(0.01)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
        try:
            code = proc.wait(timeout=CHILD_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
            raise CannotRun(f"{what}: still running after {CHILD_TIMEOUT} s; killed")
        finally:
            stop.set()
            if sampler:
                sampler.join()
        err.seek(0)
        text = err.read().decode("utf-8", "replace").strip()
        lines = open(report.name).read().split()
        if code != 0 or len(lines) != 3 * len(cmds):
            raise CannotRun(f"{what}: the launcher failed (exit {code}): {text[-2000:]}")
        codes = [int(x) for x in lines[0::3]]
        walls = [float(x) for x in lines[1::3]]
        peaks = [int(x) for x in lines[2::3]]
        for cmd, c in zip(cmds, codes):
            if c != 0:
                raise CannotRun(
                    f"{what}: `{' '.join(map(str, cmd))}` exited {c}: {text[-2000:]}"
                )
        return max(walls), [max(p, tree_peak[0]) for p in peaks]


def tree_rss_kb_one(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, ValueError):
        pass
    return 0


def run_one(cmd, env, stdout=None, tree=False, what="command"):
    wall, peaks = run_many([cmd], env, stdout=stdout, tree=tree, what=what)
    return Sample(wall, peaks[0])


def median(xs):
    return statistics.median(xs)


# ---------------------------------------------------------------------------
# the local stores


class Stack:
    """Resources the benchmarks create, all removed by close()."""

    def __init__(self):
        self.ddb = boto3.client(
            "dynamodb",
            endpoint_url=DDB_URL,
            region_name=REGION,
            aws_access_key_id="cruddurlocal",
            aws_secret_access_key="cruddurlocal",
        )
        self.cognito = boto3.client(
            "cognito-idp",
            endpoint_url=COGNITO_URL,
            region_name=REGION,
            aws_access_key_id="cruddurlocal",
            aws_secret_access_key="cruddurlocal",
        )
        self.run_id = uuid.uuid4().hex[:8]
        self.table_def = json.loads((ROOT / "seeds" / "messages-table.json").read_text())
        # Without the stream: on DynamoDB Local every write to a stream-enabled table costs more
        # the more stream records the server holds (even of deleted tables), so a stream makes
        # each run slower than the one before it (see README, Performance).
        self.table_def.pop("StreamSpecification", None)
        # Settings CreateTable has no field for (schema-load sets them with their own calls), and
        # deletion protection, which would keep the benchmark's tables from being deleted.
        self.table_def.pop("TimeToLiveSpecification", None)
        self.table_def.pop("PointInTimeRecoverySpecification", None)
        self.table_def["DeletionProtectionEnabled"] = False
        self.tables = set()
        self.databases = []
        self.pools = []
        self._seed_db = None
        self._counter = 0

    def check(self):
        try:
            self.ddb.list_tables(Limit=1)
            self.cognito.list_user_pools(MaxResults=1)
            with psycopg.connect(PG_ADMIN_URL, connect_timeout=3) as conn:
                conn.execute("select 1")
        except Exception as e:  # noqa: BLE001 - any failure means the same thing here
            raise SystemExit(
                f"bench: the local stack does not answer ({e}); run `bash scripts/stack.sh up`"
            )

    def unique(self, prefix):
        self._counter += 1
        return f"{prefix}-{self.run_id}-{self._counter}"

    # tables ---------------------------------------------------------------
    def create_table(self, prefix="bench", definition=None):
        """A fresh table of `definition` (default: the shipped one without its stream)."""
        name = self.unique(prefix)
        spec = dict(definition or self.table_def, TableName=name)
        self.ddb.create_table(**spec)
        self.tables.add(name)
        self.ddb.get_waiter("table_exists").wait(
            TableName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100}
        )
        return name

    def drop_table(self, name):
        try:
            self.ddb.delete_table(TableName=name)
        except self.ddb.exceptions.ResourceNotFoundException:
            pass
        self.tables.discard(name)

    def count_items(self, table):
        total, kwargs = 0, {"TableName": table, "Select": "COUNT"}
        while True:
            page = self.ddb.scan(**kwargs)
            total += page["Count"]
            if "LastEvaluatedKey" not in page:
                return total
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # databases ------------------------------------------------------------
    def create_database(self, prefix):
        name = self.unique(prefix).replace("-", "_")
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.databases.append(name)
        url = f"postgresql://postgres:password@{HOST}:{PG_PORT}/{name}"
        with psycopg.connect(url) as conn:
            conn.execute((ROOT / "seeds" / "schema.sql").read_text())
        return url

    def seed_database(self):
        """A database with the schema and the seed users (everlygrandest, bayko, ...)."""
        if self._seed_db is None:
            url = self.create_database("bench_seed")
            with psycopg.connect(url) as conn:
                conn.execute((ROOT / "seeds" / "users.sql").read_text())
            self._seed_db = url
        return self._seed_db

    # pools ------------------------------------------------------------------
    def create_pool(self, users):
        """A fresh moto pool with `users` (handle, email) pairs, created concurrently."""
        pool = self.cognito.create_user_pool(PoolName=self.unique("bench-pool"))["UserPool"]["Id"]
        self.pools.append(pool)

        def create(pair):
            handle, email = pair
            self.cognito.admin_create_user(
                UserPoolId=pool,
                Username=handle,
                UserAttributes=[
                    {"Name": "preferred_username", "Value": handle},
                    {"Name": "email", "Value": email},
                ],
                MessageAction="SUPPRESS",
            )

        with ThreadPoolExecutor(16) as ex:
            list(ex.map(create, users))
        return pool

    def close(self):
        for name in list(self.tables):
            try:
                self.drop_table(name)
            except Exception as e:  # noqa: BLE001
                log(f"could not drop table {name}: {e}")
        for pool in self.pools:
            try:
                self.cognito.delete_user_pool(UserPoolId=pool)
            except Exception as e:  # noqa: BLE001
                log(f"could not delete pool {pool}: {e}")
        if self.databases:
            try:
                with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                    for name in self.databases:
                        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except Exception as e:  # noqa: BLE001
                log(f"could not drop databases {self.databases}: {e}")


# ---------------------------------------------------------------------------
# the benchmarks


_TOOL_NAMES = {}


def _tool_names(binary):
    """`cruddur-ops --list`, asked once per binary."""
    if binary not in _TOOL_NAMES:
        out = subprocess.run([str(binary), "--list"], capture_output=True, text=True, timeout=30)
        _TOOL_NAMES[binary] = out.stdout.split()
    return _TOOL_NAMES[binary]


def has_tool(name):
    """Whether this branch's cruddur-ops has the tool `name`."""
    try:
        ours(name)
        return True
    except CannotRun:
        return False


def ours(name):
    """Our tool `name`: a link named after it to the one binary, cruddur-ops, as `just install`
    makes them (the binary runs the tool its argv[0] names)."""
    binary = BIN / "cruddur-ops"
    if not binary.is_file():
        raise CannotRun(f"{binary} does not exist (not built: `cargo build --release --bin cruddur-ops`)")
    if name not in _tool_names(binary):
        raise CannotRun(f"cruddur-ops has no tool {name} (not on this branch yet)")
    link = OUT / "bin" / name
    link.parent.mkdir(parents=True, exist_ok=True)
    if os.path.realpath(link) != os.path.realpath(binary):
        fresh = link.with_name(f".{name}.{os.getpid()}")
        fresh.unlink(missing_ok=True)
        fresh.symlink_to(binary)
        os.replace(fresh, link)
    return str(link)


class Bench:
    """The benchmarks. Each measures its two sides alternately (ours, baseline, ours, ...) after
    a warm-up of each, so that a burst of other work on the machine hits both sides alike."""

    def __init__(self, stack, runs):
        self.stack = stack
        self.runs = runs  # None: each benchmark's default
        self.results = []
        self.details = {}
        self.errors = {}
        self._fixtures = {}

    def n(self, default):
        return self.runs if self.runs is not None else default

    def record(self, name, ours_s, baseline_s, ratio, target, met, rss_kb, **detail):
        self.results.append(
            {
                "name": name,
                "ours_s": None if ours_s is None else round(ours_s, 4),
                "baseline_s": None if baseline_s is None else round(baseline_s, 4),
                "ratio": None if ratio is None else round(ratio, 3),
                "target": target,
                "met": bool(met),
                "peak_rss_mb": round(rss_kb / 1024, 1),
            }
        )
        self.details[name] = detail

    # helpers ------------------------------------------------------------------
    def pairs(self, runs, a, b, warm_a=None, warm_b=None):
        """Warms up each side once (`warm_x`, or a run of it, unrecorded), then runs a and b
        alternately `runs` times each. a and b are (label, make) with make() -> Sample."""
        (label_a, make_a), (label_b, make_b) = a, b
        (warm_a or make_a)()
        (warm_b or make_b)()
        sa, sb = [], []
        for i in range(runs):
            for label, make, samples in ((label_a, make_a, sa), (label_b, make_b, sb)):
                samples.append(make())
                log(f"  {label} run {i + 1}/{runs}: {samples[-1].wall_s:.3f} s, "
                    f"{samples[-1].rss_kb / 1024:.1f} MB")
        return sa, sb

    def on_fresh_table(self, fn, definition=None):
        """Calls fn(table) on a freshly created table (of `definition`), dropped afterwards."""
        table = self.stack.create_table(definition=definition)
        try:
            return fn(table)
        finally:
            self.stack.drop_table(table)

    def seed_cmd(self, table, *extra):
        return [ours("seed"), "local", "--table", table, "--yes", *extra]

    def seed_env(self):
        return child_env(CONNECTION_URL=self.stack.seed_database())

    def expect_count(self, table, want, who):
        got = self.stack.count_items(table)
        if got != want:
            raise CannotRun(f"{who} left {got} items in the table, expected {want}")

    def record_pair(self, name, target, o, b, met, **detail):
        """Records medians of ours `o` and baseline `b`, ratio baseline / ours."""
        mo, mb = median(s.wall_s for s in o), median(s.wall_s for s in b)
        self.record(name, mo, mb, mb / mo, target, met(mb / mo, o), max(s.rss_kb for s in o),
                    **detail, ours=[s.to_json() for s in o], baseline=[s.to_json() for s in b])

    # absolute timings -----------------------------------------------------------------
    def absolute(self, name, cmd, runs, limit_s):
        """Median wall time of `cmd` over `runs` runs after a warm-up, against `limit_s`."""
        what = " ".join([Path(cmd[0]).name, *cmd[1:]])
        env = child_env()
        for _ in range(3):
            run_one(cmd, env, what=what)
        samples = [run_one(cmd, env, what=what) for _ in range(self.n(runs))]
        med = median(s.wall_s for s in samples)
        log(f"  {what}: median {med * 1000:.2f} ms over {len(samples)} runs")
        self.record(name, med, None, None, f"median < {limit_s * 1000:.0f} ms", med < limit_s,
                    max(s.rss_kb for s in samples), samples=[s.to_json() for s in samples])

    def startup(self):
        self.absolute("startup", [ours("list-tables"), "--help"], 50, 0.010)

    def list_tables(self):
        """list-tables against DynamoDB Local."""
        self.absolute("list-tables", [ours("list-tables")], 30, 0.050)

    # seeds --------------------------------------------------------------------------
    def conversation_args(self):
        """What the baseline seeds: the shipped conversation, or 100 messages until it exists."""
        conv = ROOT / "seeds" / "conversation.txt"
        if conv.is_file():
            text = conv.read_text(encoding="utf-8")
            count = sum(1 for line in text.splitlines() if line.strip())
            return ["--file", str(conv)], count
        return ["--messages", "100"], 100

    def seed_standard(self):
        env = self.seed_env()
        base_args, count = self.conversation_args()
        # `seed` alone seeds the built-in copy of seeds/conversation.txt
        ours_extra = ["--messages", str(count)] if base_args[0] == "--messages" else []
        checked = set()

        def side(who, cmd_for):
            def make():
                def go(table):
                    s = run_one(cmd_for(table), env, what=who)
                    if who not in checked:
                        self.expect_count(table, count + 2, who)
                        checked.add(who)
                    return s
                return self.on_fresh_table(go)
            return make

        o, b = self.pairs(
            self.n(9),
            ("seed", side("seed", lambda t: self.seed_cmd(t, *ours_extra))),
            ("PutItem per message", side("put_item_seed.py", lambda t: [
                VENV_PY, str(BENCH / "put_item_seed.py"), "--table", t, "--endpoint-url",
                DDB_URL, "--database-url", self.stack.seed_database(), *base_args])),
        )
        self.record_pair("seed-standard", "ratio >= 15", o, b, lambda r, _: r >= 15,
                         messages=count)

    def seed_50k(self, messages, env, dump=None):
        """One `seed --messages N` on a fresh table; with `dump`, also checks the count and
        writes the items (typed JSON lines) there, outside the timing."""
        def go(table):
            s = run_one(self.seed_cmd(table, "--messages", str(messages), "--now", FIXED_NOW),
                        env, what=f"seed --messages {messages}")
            if dump:
                self.expect_count(table, messages + 2, f"seed --messages {messages}")
                with open(dump, "wb") as f:
                    run_one([ours("scan"), "local", "--table", table, "--output", "jsonl",
                             "--raw"], env, stdout=f, what="scan (dump)")
            return s
        return self.on_fresh_table(go)

    def items_50k(self):
        """The items of `seed --messages 50000 --now FIXED_NOW` as typed JSON lines (made once
        per harness run, by a seed that also serves as a warm-up): what both sides of the
        bulk-write benchmarks write."""
        dump = OUT / "items-50k.jsonl"
        if "items-50k" not in self._fixtures:
            self.seed_50k(50_000, self.seed_env(), dump=dump)
            self._fixtures["items-50k"] = dump
        return dump

    def seed_bulk_50k(self):
        env = self.seed_env()
        n = 50_000
        # the warm-up seed also dumps its items: the baseline writes exactly those
        dump = self.items_50k()
        checked = [False]

        def base(limit=None):
            def go(table):
                cmd = [VENV_PY, str(BENCH / "batch_writer_seed.py"), "--table", table,
                       "--endpoint-url", DDB_URL, "--items", str(dump)]
                if limit:
                    cmd += ["--limit", str(limit)]
                s = run_one(cmd, env, what="batch_writer_seed.py")
                if limit is None and not checked[0]:
                    self.expect_count(table, n + 2, "batch_writer_seed.py")
                    checked[0] = True
                return s
            return self.on_fresh_table(go)

        o, b = self.pairs(self.n(3), ("seed --messages 50000", lambda: self.seed_50k(n, env)),
                          ("boto3 batch_writer 50000", base),
                          warm_a=lambda: None, warm_b=lambda: base(5_000))
        mo, mb = median(s.wall_s for s in o), median(s.wall_s for s in b)
        self.record_pair("seed-bulk-50k", "ratio >= 2.3", o, b, lambda r, _: r >= 2.3,
                         items=n + 2, ours_items_per_s=round((n + 2) / mo),
                         baseline_items_per_s=round((n + 2) / mb))

    def seed_bulk_ceiling(self):
        env = self.seed_env()
        n, procs, each = 50_000, 4, 12_500
        checked = [False]

        def four(messages):
            def go(table):
                cmds = [
                    self.seed_cmd(table, "--messages", str(messages), "--group",
                                  group_uuid("ceiling", k),
                                  # distinct end times: the four groups' GRP# rows (same two
                                  # users) must not share a key
                                  "--now", fixed_now(k))
                    for k in range(procs)
                ]
                wall, peaks = run_many(cmds, env, what=f"{procs} x seed --messages {messages}")
                if messages == each and not checked[0]:
                    self.expect_count(table, procs * (messages + 2), "four seeds")
                    checked[0] = True
                return Sample(wall, sum(peaks))
            return self.on_fresh_table(go)

        o, b = self.pairs(self.n(3), ("seed --messages 50000", lambda: self.seed_50k(n, env)),
                          (f"{procs} x seed --messages {each}", lambda: four(each)),
                          warm_a=lambda: self.seed_50k(5_000, env), warm_b=lambda: four(1_250))
        mo, mb = median(s.wall_s for s in o), median(s.wall_s for s in b)
        one_rate, four_rate = (n + 2) / mo, procs * (each + 2) / mb
        ratio = one_rate / four_rate
        self.record("seed-bulk-ceiling", mo, mb, ratio,
                    "one process >= 0.9 of the four-process rate", ratio >= 0.9,
                    max(s.rss_kb for s in o),
                    one_process_items_per_s=round(one_rate),
                    four_processes_items_per_s=round(four_rate),
                    four_processes_peak_rss_mb_summed=round(max(s.rss_kb for s in b) / 1024, 1),
                    ours=[s.to_json() for s in o], baseline=[s.to_json() for s in b])

    # scans --------------------------------------------------------------------------
    def scan_table(self, n, groups=1):
        """A table holding `n` seed-shaped messages in `groups` message groups, made once per
        harness run (a scan only reads it)."""
        key = (n, groups)
        if key in self._fixtures:
            return self._fixtures[key]
        table = self.stack.create_table("bench-scan")
        env = self.seed_env()
        t0 = time.perf_counter()
        each = n // groups
        if has_tool("seed"):
            for k in range(groups):
                group = DEFAULT_GROUP if groups == 1 else group_uuid("scan", k)
                # distinct end times: the groups' GRP# rows (same two users) must not share a key
                run_one(self.seed_cmd(table, "--messages", str(each), "--group", group,
                                      "--now", fixed_now(k)),
                        env, what=f"seed --messages {each} (scan fixture)")
            want = groups * (each + 2)
        else:
            log(f"  no seed binary yet: loading {n} generated items with boto3 instead")
            items = OUT / f"generated-{n}-{groups}.jsonl"
            generate_items(self.stack.seed_database(), n, groups, items)
            run_one([VENV_PY, str(BENCH / "batch_writer_seed.py"), "--table", table,
                     "--endpoint-url", DDB_URL, "--items", str(items)], env,
                    what="batch_writer_seed.py (scan fixture)")
            want = groups * each
        self.expect_count(table, want, "the scan fixture")
        log(f"  scan fixture: {want} items in {groups} group(s) in {table} "
            f"({time.perf_counter() - t0:.1f} s)")
        self._fixtures[key] = (table, want)
        return self._fixtures[key]

    def scan_side(self, n, segments=1, groups=1):
        """(label, make) for `scan --output jsonl > /dev/null` of the fixture; checks once,
        outside the timing, that every item comes out exactly once."""
        table, want = self.scan_table(n, groups)
        env = child_env()
        cmd = [ours("scan"), "local", "--table", table, "--output", "jsonl"]
        if segments > 1:
            cmd += ["--segments", str(segments)]
        with tempfile.TemporaryFile() as f:
            run_one(cmd, env, stdout=f, what="scan (check)")
            f.seek(0)
            lines = sum(1 for _ in f)
        if lines != want:
            raise CannotRun(f"`{' '.join(cmd)}` printed {lines} lines, expected {want}")
        label = f"scan {n}" + (f" in {groups} groups" if groups > 1 else "") + \
            (f" --segments {segments}" if segments > 1 else "")
        return label, lambda: run_one(cmd, env, what="scan")

    def scan_50k(self):
        o_side = self.scan_side(50_000)
        table, want = self.scan_table(50_000)
        env = child_env()
        cmd = [str(AWS_CLI), "dynamodb", "scan", "--table-name", table, "--endpoint-url", DDB_URL]
        o, b = self.pairs(self.n(3), o_side,
                          ("aws dynamodb scan 50000",
                           lambda: run_one(cmd, env, tree=True, what="aws dynamodb scan")),
                          warm_b=lambda: run_one(cmd + ["--max-items", "1000"], env,
                                                 what="aws dynamodb scan"))
        rss = max(s.rss_kb for s in o)
        self.record_pair("scan-50k", "ratio >= 2, peak RSS < 50 MB", o, b,
                         lambda r, _: r >= 2 and rss < 50 * 1024, items=want,
                         baseline_peak_rss_mb=round(max(s.rss_kb for s in b) / 1024, 1))

    def scan_flat_memory(self):
        big, small = self.pairs(self.n(5), self.scan_side(50_000), self.scan_side(10_000))
        rb = median(s.rss_kb for s in big)
        rs = median(s.rss_kb for s in small)
        growth = rb / rs
        self.record("scan-flat-memory", median(s.wall_s for s in big),
                    median(s.wall_s for s in small), growth,
                    "peak RSS 50k / 10k < 1.10", growth < 1.10, rb,
                    rss_50k_mb_median=round(rb / 1024, 1), rss_10k_mb_median=round(rs / 1024, 1),
                    ours=[s.to_json() for s in big], baseline=[s.to_json() for s in small])

    def scan_segments(self):
        # Segments split a table by partition key, and `seed --messages 50000` writes one group
        # (one partition key): one segment would get everything. So 50,000 messages in 20 groups.
        four, one = self.pairs(self.n(5),
                               self.scan_side(50_000, segments=4, groups=SEGMENT_GROUPS),
                               self.scan_side(50_000, groups=SEGMENT_GROUPS))
        self.record_pair("scan-segments", "ratio >= 1.3", four, one, lambda r, _: r >= 1.3,
                         groups=SEGMENT_GROUPS)

    # sync ---------------------------------------------------------------------------
    def sync_2k(self):
        n = 2_000
        binary = ours("update-cognito-user-ids")
        users = [(f"benchuser{i:04d}", f"benchuser{i:04d}@example.com") for i in range(n)]
        t0 = time.perf_counter()
        pool = self.stack.create_pool(users)
        url = self.stack.create_database("bench_sync")
        with psycopg.connect(url) as conn:
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO public.users (display_name, handle, email, cognito_user_id) "
                    "VALUES (%s, %s, %s, 'MOCK')",
                    [(f"Bench User {h[9:]}", h, e) for h, e in users],
                )
        log(f"  sync fixture: pool {pool} and database with {n} users "
            f"({time.perf_counter() - t0:.1f} s)")

        def reset():
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("UPDATE public.users SET cognito_user_id = 'MOCK'")
                conn.execute("VACUUM ANALYZE public.users")

        def synced():
            with psycopg.connect(url) as conn:
                return conn.execute(
                    "SELECT count(*) FROM public.users WHERE cognito_user_id <> 'MOCK'"
                ).fetchone()[0]

        env = child_env(CONNECTION_URL=url)
        checked = set()

        def side(who, cmd):
            def make():
                reset()
                s = run_one(cmd, env, what=who)
                if who not in checked:
                    got = synced()
                    if got != n:
                        raise CannotRun(f"{who} synced {got} users, expected {n}")
                    checked.add(who)
                return s
            return who, make

        o, b = self.pairs(
            self.n(7),
            side("update-cognito-user-ids", [binary, "local", "--user-pool-id", pool]),
            side("sync_one_by_one.py", [VENV_PY, str(BENCH / "sync_one_by_one.py"),
                                        "--user-pool-id", pool, "--endpoint-url", COGNITO_URL,
                                        "--database-url", url]),
        )
        self.record_pair("sync-2k", "ratio >= 5", o, b, lambda r, _: r >= 5, users=n)

    # Cognito backup and restore (bench/cognito.py) -------------------------------------
    def cognito_export_2k(self):
        cognito.export_2k(self, sys.modules[__name__])

    def cognito_import_2k(self):
        cognito.import_2k(self, sys.modules[__name__])

    # export, import, check -------------------------------------------------------------
    def batch_writer_side(self, dump, n, checked):
        """(label, make) for boto3's batch_writer writing `dump` into a fresh table."""
        env = child_env()

        def make(limit=None):
            def go(table):
                cmd = [VENV_PY, str(BENCH / "batch_writer_seed.py"), "--table", table,
                       "--endpoint-url", DDB_URL, "--items", str(dump)]
                if limit:
                    cmd += ["--limit", str(limit)]
                s = run_one(cmd, env, what="batch_writer_seed.py")
                if limit is None and "baseline" not in checked:
                    self.expect_count(table, n, "batch_writer_seed.py")
                    checked.add("baseline")
                return s
            return self.on_fresh_table(go)
        return make

    def import_50k(self):
        dump = self.items_50k()
        n = 50_002
        env = child_env()
        checked = set()

        def ours_import():
            def go(table):
                s = run_one([ours("table-import"), "local", "--table", table, "--file", str(dump)],
                            env, what="import")
                if "ours" not in checked:
                    self.expect_count(table, n, "import")
                    checked.add("ours")
                return s
            return self.on_fresh_table(go)

        base = self.batch_writer_side(dump, n, checked)
        o, b = self.pairs(self.n(3), ("import 50000", ours_import),
                          ("boto3 batch_writer 50000", base),
                          warm_b=lambda: base(5_000))
        mo, mb = median(s.wall_s for s in o), median(s.wall_s for s in b)
        self.record_pair("import-50k", "ratio >= 2.3", o, b, lambda r, _: r >= 2.3,
                         items=n, ours_items_per_s=round(n / mo),
                         baseline_items_per_s=round(n / mb))

    def export_50k(self):
        table, want = self.scan_table(50_000)
        env = child_env()
        path = OUT / "export-50k.jsonl"
        cmd = [ours("table-export"), "local", "--table", table, "--file", str(path)]
        run_one(cmd, env, what="export (check)")
        with open(path, "rb") as f:
            lines = sum(1 for _ in f)
        if lines != want:
            raise CannotRun(f"export wrote {lines} lines, expected {want}")
        base_cmd = [str(AWS_CLI), "dynamodb", "scan", "--table-name", table,
                    "--endpoint-url", DDB_URL]
        base_path = OUT / "export-50k-aws.json"

        def base(extra=()):
            with open(base_path, "wb") as f:
                return run_one(base_cmd + list(extra), env, stdout=f, tree=True,
                               what="aws dynamodb scan > file")

        o, b = self.pairs(self.n(3), ("export 50000", lambda: run_one(cmd, env, what="export")),
                          ("aws dynamodb scan 50000 > file", base),
                          warm_b=lambda: base(["--max-items", "1000"]))
        rss = max(s.rss_kb for s in o)
        self.record_pair("export-50k", "ratio >= 3, peak RSS < 50 MB", o, b,
                         lambda r, _: r >= 3 and rss < 50 * 1024, items=want,
                         baseline_peak_rss_mb=round(max(s.rss_kb for s in b) / 1024, 1))
        for p in (path, base_path):
            p.unlink(missing_ok=True)

    def check_50k(self):
        """`check` over 50,000 messages (and the users of a synced pool) against a `scan` of the
        same table: check reads what scan reads, plus PostgreSQL and the pool."""
        t0 = time.perf_counter()
        url = self.stack.create_database("bench_check")
        with psycopg.connect(url) as conn:
            conn.execute((ROOT / "seeds" / "users.sql").read_text())
            users = conn.execute("SELECT handle, email FROM public.users").fetchall()
        pool = self.stack.create_pool(users)
        env = child_env(CONNECTION_URL=url)
        run_one([ours("update-cognito-user-ids"), "local", "--user-pool-id", pool], env,
                what="update-cognito-user-ids (check fixture)")
        table = self.stack.create_table("bench-check")
        run_one(self.seed_cmd(table, "--messages", "50000", "--now", FIXED_NOW), env,
                what="seed --messages 50000 (check fixture)")
        self.expect_count(table, 50_002, "the check fixture")
        log(f"  check fixture: {table}, pool {pool} ({time.perf_counter() - t0:.1f} s)")
        check = [ours("check"), "local", "--table", table, "--user-pool-id", pool,
                 "--output", "jsonl"]
        scan = [ours("scan"), "local", "--table", table, "--output", "jsonl"]
        with tempfile.TemporaryFile() as f:
            run_one(check, env, stdout=f, what="check (must find no problem)")
            f.seek(0)
            if f.read().strip():
                raise CannotRun("check found problems in a consistent fixture")
        o, b = self.pairs(self.n(3), ("check 50000", lambda: run_one(check, env, what="check")),
                          ("scan 50000", lambda: run_one(scan, env, what="scan")))
        self.record_pair("check-50k", "check <= 1.5x scan (ratio >= 0.67)", o, b,
                         lambda r, _: r >= 1 / 1.5, items=50_002)
        self.stack.drop_table(table)

    # capacity -------------------------------------------------------------------------
    def capacity_runs(self, direction, a, b):
        """Runs sides a and b (label, cmd_for(table, front_url) -> (argv, stdout path or None),
        table_for() -> table, check(table, side, stdout path)) alternately, each run through a
        front of its own (so the counters are that run's): {"ours": [figures], "baseline": [...]},
        and the samples."""
        figs = {"ours": [], "baseline": []}

        def side(key, label, cmd_for, table_for, check):
            checked = []

            def make():
                table = table_for()
                try:
                    with capacity.Front(VENV_PY, FRONT, DDB_URL) as front:
                        cmd, out_path = cmd_for(table, front.url)
                        env = child_env(AWS_ENDPOINT_URL_DYNAMODB=front.url)
                        if out_path:
                            with open(out_path, "wb") as f:
                                s = run_one(cmd, env, stdout=f, tree=True, what=label)
                        else:
                            s = run_one(cmd, env, what=label)
                        stats = front.stats(table)
                    if not checked:
                        check(table, label, out_path)
                        checked.append(True)
                finally:
                    if direction == "write":
                        self.stack.drop_table(table)
                fig = capacity.figures(stats, direction, s.wall_s)
                figs[key].append(fig)
                log(f"  {label}: {fig['units_per_s']} units/s = {fig['achieved_over_budget']} "
                    f"of the budget, bounced {fig['bounced']} for {fig['items']} items, "
                    f"app denied {fig['app_denied_share']:.2%}")
                return s
            return label, make

        o, b = self.pairs(self.n(2), side("ours", *a), side("baseline", *b),
                          warm_a=lambda: None, warm_b=lambda: None)
        return figs, o, b

    def record_capacity(self, name, figs, o, b, labels, **detail):
        ours_fig, base_fig = capacity.summary(figs["ours"]), capacity.summary(figs["baseline"])
        met = all(capacity.meets_targets(f) for f in figs["ours"])
        low, high = capacity.RATE_RANGE
        target = (f"every run: achieved / budget {low}-{high}, bounced per item <= "
                  f"{capacity.MAX_BOUNCED_PER_ITEM}, app denied < {capacity.MAX_APP_DENIED:.0%}")
        self.record(name, median(s.wall_s for s in o), median(s.wall_s for s in b),
                    ours_fig["achieved_over_budget"], target, met, max(s.rss_kb for s in o),
                    **detail, budget_units_per_s=capacity.BUDGET,
                    provisioned=capacity.PROVISIONED, app_share=capacity.APP_SHARE,
                    ours_runs=figs["ours"], baseline_runs=figs["baseline"],
                    ours=[s.to_json() for s in o], baseline=[s.to_json() for s in b])
        self.results[-1]["capacity"] = {
            "budget_units_per_s": capacity.BUDGET, "ours": ours_fig, "baseline": base_fig,
            "ours_label": labels[0], "baseline_label": labels[1]}

    def import_capacity(self):
        """`import prod` (the default budget, half of 100 WCU) of CAPACITY_IMPORT_ITEMS through
        the throttling front, beside boto3's batch_writer writing the same items through it."""
        n = CAPACITY_IMPORT_ITEMS
        items = OUT / "capacity-items.jsonl"
        capacity.write_items(items, n)
        definition = capacity.provisioned_definition(self.stack.table_def)

        def fresh():
            return self.stack.create_table("bench-capacity", definition=definition)

        def check(table, who, _):
            self.expect_count(table, n, who)

        labels = (f"import prod {n}", f"boto3 batch_writer {n}")
        figs, o, b = self.capacity_runs(
            "write",
            (labels[0], lambda t, _url: ([ours("table-import"), "prod", "--table", t, "--yes",
                                          "--file", str(items)], None), fresh, check),
            (labels[1], lambda t, url: ([VENV_PY, str(BENCH / "batch_writer_seed.py"),
                                         "--table", t, "--endpoint-url", url,
                                         "--items", str(items)], None), fresh, check),
        )
        self.record_capacity("import-capacity", figs, o, b, labels, items=n)
        items.unlink(missing_ok=True)

    def export_capacity(self):
        """`export prod` (the default budget, half of 100 RCU) of a table of
        CAPACITY_EXPORT_ITEMS through the throttling front, beside `aws dynamodb scan` of the
        same table through it."""
        m = CAPACITY_EXPORT_ITEMS
        items = OUT / "capacity-export-items.jsonl"
        capacity.write_items(items, m)
        definition = capacity.provisioned_definition(self.stack.table_def)
        table = self.stack.create_table("bench-capacity", definition=definition)
        t0 = time.perf_counter()
        run_one([ours("table-import"), "local", "--table", table, "--file", str(items)], child_env(),
                what="import local (export-capacity fixture)")
        self.expect_count(table, m, "the export-capacity fixture")
        log(f"  export-capacity fixture: {m} items in {table} ({time.perf_counter() - t0:.1f} s)")
        items.unlink(missing_ok=True)
        ours_path, base_path = OUT / "export-capacity.jsonl", OUT / "export-capacity-aws.json"

        def check_ours(_table, who, _):
            with open(ours_path, "rb") as f:
                lines = sum(1 for _ in f)
            if lines != m:
                raise CannotRun(f"{who} wrote {lines} lines, expected {m}")

        def check_base(_table, who, path):
            with open(path, encoding="utf-8") as f:
                got = len(json.load(f).get("Items", []))
            if got != m:
                raise CannotRun(f"{who} printed {got} items, expected {m}")

        labels = (f"export prod {m}", f"aws dynamodb scan {m}")
        try:
            figs, o, b = self.capacity_runs(
                "read",
                (labels[0], lambda t, _url: ([ours("table-export"), "prod", "--table", t, "--file",
                                              str(ours_path)], None), lambda: table, check_ours),
                (labels[1], lambda t, url: ([str(AWS_CLI), "dynamodb", "scan", "--table-name", t,
                                             "--endpoint-url", url], base_path),
                 lambda: table, check_base),
            )
        finally:
            self.stack.drop_table(table)
            for p in (ours_path, base_path):
                p.unlink(missing_ok=True)
        self.record_capacity("export-capacity", figs, o, b, labels, items=m)


def group_uuid(what, k):
    """A message group uuid of its own for the k-th group of `what`."""
    return str(uuid.uuid5(uuid.UUID(DEFAULT_GROUP), f"{what}-{k}"))


def fixed_now(k):
    """FIXED_NOW plus k days: a distinct --now per group written into one table."""
    return f"2026-01-{k + 1:02d}T00:00:00+00:00"


def generate_items(db_url, n, groups, path):
    """`n` MSG# items in `groups` groups, shaped like `seed --messages` writes (used only while
    this branch has no `seed` binary to make the scan fixtures with)."""
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            "SELECT uuid::text, display_name, handle FROM public.users "
            "WHERE handle IN ('everlygrandest', 'bayko') ORDER BY handle DESC"
        ).fetchall()
    end = datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp()
    uuids = [uuid.UUID(DEFAULT_GROUP if groups == 1 else group_uuid("scan", k))
             for k in range(groups)]
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            group = uuids[i % groups]
            u = rows[i % 2]
            t = datetime.fromtimestamp(end - 60 * (n - 1 - i), timezone.utc)
            item = {
                "pk": {"S": f"MSG#{group}"},
                "sk": {"S": t.isoformat(timespec="microseconds")},
                "message_uuid": {"S": str(uuid.uuid5(group, f"message-{i}"))},
                "message": {"S": f"Message {i + 1}: " + " ".join(
                    ["the tide is coming in", "café at eight?", "bring one book 📚"][: 1 + i % 3])},
                "user_uuid": {"S": u[0]},
                "user_display_name": {"S": u[1]},
                "user_handle": {"S": u[2]},
            }
            f.write(json.dumps(item, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------------------
# reporting


def machine():
    model = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = None
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal:"):
                mem_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "memory_gib": mem_gib,
        "cpu": model,
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def fmt_s(x):
    if x is None:
        return "-"
    return f"{x * 1000:.1f} ms" if x < 1 else f"{x:.2f} s"


def markdown(results, errors, mach):
    lines = [
        f"Machine: {mach['nproc']} cores ({mach['cpu']}), {mach['memory_gib']} GiB; "
        "DynamoDB Local in memory, moto, PostgreSQL on 127.0.0.1.",
        "",
        "| name | ours | baseline | ratio | target | met | peak RSS |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}"
        lines.append(
            f"| `{r['name']}` | {fmt_s(r['ours_s'])} | {fmt_s(r['baseline_s'])} | {ratio} | "
            f"{r['target']} | {'yes' if r['met'] else '**no**'} | {r['peak_rss_mb']:.1f} MB |"
        )
    for name, err in errors.items():
        lines.append(f"| `{name}` | - | - | - | could not run | **error** | - |")
    return "\n".join(lines)


def main():
    global DDB_URL
    p = argparse.ArgumentParser(
        description="Benchmarks of the toolkit against the original approaches (see README, Performance).",
        epilog="Benchmarks: " + ", ".join(BENCHMARKS),
    )
    p.add_argument("--only", action="append", metavar="NAME",
                   help="run only this benchmark (repeat, or comma-separate, for several)")
    p.add_argument("--runs", type=int, help="measured runs per side (default: per benchmark)")
    p.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    p.add_argument("--dynamodb-url", default=DDB_URL,
                   help=f"the DynamoDB Local to measure on (default: the stack's, {DDB_URL})")
    args = p.parse_args()
    if args.list:
        print("\n".join(BENCHMARKS))
        return 0
    chosen = BENCHMARKS
    if args.only:
        chosen = [n.strip() for o in args.only for n in o.split(",") if n.strip()]
        unknown = [n for n in chosen if n not in BENCHMARKS]
        if unknown:
            p.error(f"unknown benchmark {', '.join(unknown)} (known: {', '.join(BENCHMARKS)})")
    if args.runs is not None and args.runs < 1:
        p.error("--runs must be at least 1")

    DDB_URL = args.dynamodb_url
    OUT.mkdir(parents=True, exist_ok=True)
    build_spawn()
    stack = Stack()
    stack.check()
    bench = Bench(stack, args.runs)
    started = time.perf_counter()
    load_before = os.getloadavg()
    try:
        for name in chosen:
            log(f"{name} ...")
            t0 = time.perf_counter()
            try:
                getattr(bench, name.replace("-", "_"))()
                log(f"{name}: done in {time.perf_counter() - t0:.1f} s")
            except CannotRun as e:
                bench.errors[name] = str(e)
                log(f"{name}: COULD NOT RUN: {e}")
            except Exception as e:  # noqa: BLE001 - report, go on with the others
                bench.errors[name] = f"{type(e).__name__}: {e}"
                log(f"{name}: COULD NOT RUN:\n{traceback.format_exc()}")
    finally:
        stack.close()
    total = time.perf_counter() - started

    mach = machine()
    (OUT / "results.json").write_text(json.dumps(bench.results, indent=2) + "\n")
    (OUT / "details.json").write_text(json.dumps({
        "machine": mach,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "total_s": round(total, 1),
        # other work on the machine (shared servers, builds) shows here and in the timings
        "loadavg_1_5_15_before": [round(x, 2) for x in load_before],
        "loadavg_1_5_15_after": [round(x, 2) for x in os.getloadavg()],
        "benchmarks": bench.details,
        "errors": bench.errors,
    }, indent=2, ensure_ascii=False) + "\n")
    print(markdown(bench.results, bench.errors, mach))
    cap_table = capacity.markdown(bench.results)
    if cap_table:
        print()
        print(cap_table)
    print()
    print(f"{len(bench.results)} benchmarks ran in {total:.0f} s; "
          f"{sum(r['met'] for r in bench.results)} met their target; "
          f"results in {OUT / 'results.json'}, samples in {OUT / 'details.json'}")
    for name, err in bench.errors.items():
        print(f"could not run {name}: {err}", file=sys.stderr)
    return 1 if bench.errors else 0


if __name__ == "__main__":
    sys.exit(main())
