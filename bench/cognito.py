"""The Cognito backup benchmarks (`cognito-export-2k`, `cognito-import-2k`; harness.py runs them).

Ours (`cognito-export`, `cognito-import`) side by side with `cognito-backup-restore` (npm, the
tool the issue trackers point to), both on moto's Cognito. That tool has no endpoint option and
its aws-sdk v2 ignores AWS_ENDPOINT_URL; bench/cbr_endpoint.js, preloaded with `node -r`, points
its client at the local endpoint. It is installed (pinned) into the cache, never into the repo.

Its restore spaces AdminCreateUser calls 2 s apart (bottleneck minTime 2000, not configurable),
so 2,000 users would take over an hour: it restores a sample of CBR_RESTORE_USERS users and its
time is scaled to 2,000 (its pace is fixed, so the time is linear in the users). It restores
users only (no groups, no memberships) and, without --password, sends every user an invitation;
here it gets --password, which suppresses them, as ours always does.

Requests per user are counted by a small forwarding proxy (CountingProxy) in one extra run of
each side; the timed runs go straight to moto. Ours also runs once paced at Cognito's default
quotas (`--rate 1`, what prod gets), to show what a real pool's restore takes.
"""
import json
import os
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

USERS = 2_000
GROUPS = ["admins", "staff", "beta"]
CBR_VERSION = "1.3.2"
CBR_RESTORE_USERS = 20
# Any password meeting moto's default policy: given to cognito-backup-restore so that it
# suppresses invitations, as cognito-import always does.
CBR_PASSWORD = "Bench-Passw0rd!"


def cache_dir():
    base = os.environ.get("CRUDDUR_OPS_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "cruddur-ops")
    return Path(base)


def cbr_package(log):
    """The installed cognito-backup-restore package directory (npm install into the cache)."""
    prefix = cache_dir() / f"npm-cognito-backup-restore-{CBR_VERSION}"
    package = prefix / "node_modules" / "cognito-backup-restore"
    if not (package / "build" / "cli" / "cli.js").is_file():
        if shutil.which("npm") is None:
            raise RuntimeError("npm is not installed: cannot install cognito-backup-restore")
        log(f"  installing cognito-backup-restore {CBR_VERSION} into {prefix} ...")
        prefix.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", str(prefix), "--no-audit", "--no-fund",
                        "--loglevel", "error", f"cognito-backup-restore@{CBR_VERSION}"],
                       check=True, stdout=subprocess.DEVNULL)
    return package


def cbr_cmd(bench_dir, package, *args):
    return ["node", "-r", str(bench_dir / "cbr_endpoint.js"),
            str(package / "build" / "cli" / "cli.js"), *args]


def cbr_env(h, package, endpoint):
    return h.child_env(CBR_DIR=str(package), CBR_ENDPOINT=endpoint,
                       AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE="1")


def generate(path, users):
    """A cognito-export file: 2,000 users (every tenth disabled), 3 groups, every fourth user in
    one of them (every eighth in two)."""
    lines = [{"type": "pool", "format": 1, "id": "us-east-1_bench", "name": "bench",
              "schema": [{"name": "custom:tier", "data_type": "String", "mutable": True}],
              "username_attributes": [], "alias_attributes": [], "case_sensitive": None,
              "auto_verified_attributes": [], "password_policy": None, "mfa": "OFF",
              "admin_create_user_only": False, "estimated_users": users}]
    for i, g in enumerate(GROUPS):
        lines.append({"type": "group", "name": g, "description": f"the {g}",
                      "precedence": i + 1, "role_arn": None})
    for i in range(users):
        name = f"benchuser{i:04d}"
        lines.append({"type": "user", "username": name, "enabled": i % 10 != 0,
                      "status": "CONFIRMED", "created": None,
                      "attributes": {"email": f"{name}@example.com", "email_verified": "true",
                                     "preferred_username": name, "name": f"Bench User {i}",
                                     "custom:tier": ["gold", "silver"][i % 2]}})
    members = 0
    for i in range(0, users, 4):
        lines.append({"type": "member", "group": GROUPS[i % 3], "username": f"benchuser{i:04d}"})
        members += 1
        if i % 8 == 0:
            lines.append({"type": "member", "group": GROUPS[(i + 1) % 3],
                          "username": f"benchuser{i:04d}"})
            members += 1
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return members


class CountingProxy:
    """Forwards every request to `upstream` and counts them by operation (X-Amz-Target)."""

    def __init__(self, upstream):
        counts, lock = {}, threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                op = (self.headers.get("X-Amz-Target") or "?").split(".")[-1]
                with lock:
                    counts[op] = counts.get(op, 0) + 1
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "content-length", "connection")}
                req = urllib.request.Request(upstream + self.path, data=body, headers=headers,
                                             method="POST")
                try:
                    with urllib.request.urlopen(req, timeout=60) as resp:
                        status, data, rh = resp.status, resp.read(), resp.headers
                except urllib.error.HTTPError as e:
                    status, data, rh = e.code, e.read(), e.headers
                self.send_response(status)
                for k, v in rh.items():
                    if k.lower() not in ("content-length", "connection", "transfer-encoding",
                                         "server", "date"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.counts = counts
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def total(self):
        return sum(self.counts.values())


def new_pool(stack):
    """A fresh pool whose schema holds custom:tier (removed by stack.close())."""
    pool = stack.cognito.create_user_pool(
        PoolName=stack.unique("bench-cognito"),
        Schema=[{"Name": "tier", "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]["Id"]
    stack.pools.append(pool)
    return pool


def pool_users(stack, pool):
    n, kwargs = 0, {"UserPoolId": pool, "Limit": 60}
    while True:
        page = stack.cognito.list_users(**kwargs)
        n += len(page["Users"])
        token = page.get("PaginationToken")
        if not token:
            return n
        kwargs["PaginationToken"] = token


def fixture(b, h):
    """The source pool (2,000 users, 3 groups, memberships), filled once by cognito-import."""
    if "cognito" in b._fixtures:
        return b._fixtures["cognito"]
    generated = h.OUT / "cognito-2k-generated.jsonl"
    members = generate(generated, USERS)
    pool = new_pool(b.stack)
    t0 = time.perf_counter()
    h.run_one([h.ours("cognito-import"), "local", "--user-pool-id", pool, "--file",
               str(generated)], h.child_env(), what="cognito-import (fixture)")
    got = pool_users(b.stack, pool)
    if got != USERS:
        raise h.CannotRun(f"the fixture pool holds {got} users, expected {USERS}")
    h.log(f"  cognito fixture: pool {pool} with {USERS} users, {len(GROUPS)} groups, "
          f"{members} memberships ({time.perf_counter() - t0:.1f} s)")
    b._fixtures["cognito"] = (pool, members)
    return pool, members


def export_2k(b, h):
    package = cbr_package(h.log)
    pool, members = fixture(b, h)
    ours_file = h.OUT / "cognito-export-2k.jsonl"
    cbr_dir = h.OUT / "cbr-backup"
    cbr_file = cbr_dir / f"{pool}.json"
    ours_cmd = [h.ours("cognito-export"), "local", "--user-pool-id", pool, "--file",
                str(ours_file)]
    base_cmd = cbr_cmd(h.BENCH, package, "backup", "--pool", pool, "--region", h.REGION,
                       "--env", "--directory", str(cbr_dir))
    checked = set()

    def ours_side():
        s = h.run_one(ours_cmd, h.child_env(), what="cognito-export")
        if "ours" not in checked:
            kinds = [json.loads(line)["type"] for line in ours_file.read_text().splitlines()]
            if kinds.count("user") != USERS or kinds.count("member") != members:
                raise h.CannotRun(f"cognito-export wrote {kinds.count('user')} users and "
                                  f"{kinds.count('member')} memberships")
            checked.add("ours")
        return s

    def base_side():
        s = h.run_one(base_cmd, cbr_env(h, package, h.COGNITO_URL), what="cbr backup")
        if "base" not in checked:
            got = len(json.loads(cbr_file.read_text()))
            if got != USERS:
                raise h.CannotRun(f"cognito-backup-restore backed up {got} users")
            checked.add("base")
        return s

    o, base = b.pairs(b.n(5), ("cognito-export 2000", ours_side), ("cbr backup 2000", base_side))
    requests = {}
    with CountingProxy(h.COGNITO_URL) as proxy:
        h.run_one(ours_cmd, h.child_env(AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER=proxy.url),
                  what="cognito-export (counted)")
        requests["ours"] = dict(proxy.counts)
    with CountingProxy(h.COGNITO_URL) as proxy:
        h.run_one(base_cmd, cbr_env(h, package, proxy.url), what="cbr backup (counted)")
        requests["baseline"] = dict(proxy.counts)
    if not all(requests.values()):
        raise h.CannotRun(f"the counting proxy saw no requests of a side: {requests}")
    paced = h.run_one(ours_cmd + ["--rate", "1"], h.child_env(), what="cognito-export --rate 1")
    per_user = {k: round(sum(v.values()) / USERS, 4) for k, v in requests.items()}
    h.log(f"  requests per user: ours {per_user['ours']} ({requests['ours']}), "
          f"baseline {per_user['baseline']} ({requests['baseline']}); "
          f"ours at the default quotas: {paced.wall_s:.2f} s")
    b.record_pair("cognito-export-2k", "ratio >= 1", o, base, lambda r, _: r >= 1,
                  users=USERS, groups=len(GROUPS), memberships=members,
                  requests=requests, requests_per_user=per_user,
                  ours_at_default_quotas_s=round(paced.wall_s, 3),
                  baseline_writes="users only (no pool description, groups or memberships)")


def import_2k(b, h):
    package = cbr_package(h.log)
    pool, members = fixture(b, h)
    export_file = h.OUT / "cognito-export-2k.jsonl"
    if not export_file.is_file():
        h.run_one([h.ours("cognito-export"), "local", "--user-pool-id", pool, "--file",
                   str(export_file)], h.child_env(), what="cognito-export")
    checked = set()

    def ours_cmd(target, *extra):
        return [h.ours("cognito-import"), "local", "--user-pool-id", target, "--file",
                str(export_file), *extra]

    def ours_side():
        target = new_pool(b.stack)
        s = h.run_one(ours_cmd(target), h.child_env(), what="cognito-import")
        if "ours" not in checked:
            got = pool_users(b.stack, target)
            if got != USERS:
                raise h.CannotRun(f"cognito-import left {got} users, expected {USERS}")
            checked.add("ours")
        return s

    runs = b.n(3)
    ours_side()  # warm-up
    o = []
    for i in range(runs):
        o.append(ours_side())
        h.log(f"  cognito-import 2000 run {i + 1}/{runs}: {o[-1].wall_s:.3f} s")

    # The baseline: a sample of its own backup (the same users), restored through the counting
    # proxy (its 2 s spacing dwarfs the proxy's cost), then scaled to 2,000 users.
    backup = h.OUT / "cbr-backup" / f"{pool}.json"
    if not backup.is_file():
        h.run_one(cbr_cmd(h.BENCH, package, "backup", "--pool", pool, "--region", h.REGION,
                          "--env", "--directory", str(backup.parent)),
                  cbr_env(h, package, h.COGNITO_URL), what="cbr backup")
    sample = h.OUT / "cbr-restore-sample.json"
    sample.write_text(json.dumps(json.loads(backup.read_text())[:CBR_RESTORE_USERS]))
    target = new_pool(b.stack)
    with CountingProxy(h.COGNITO_URL) as proxy:
        s = h.run_one(cbr_cmd(h.BENCH, package, "restore", "--pool", target, "--region",
                              h.REGION, "--env", "--file", str(sample), "--password",
                              CBR_PASSWORD),
                      cbr_env(h, package, proxy.url), what="cbr restore")
        base_requests = dict(proxy.counts)
    got = pool_users(b.stack, target)
    if got != CBR_RESTORE_USERS:
        raise h.CannotRun(f"cognito-backup-restore restored {got} of {CBR_RESTORE_USERS} users")
    scale = USERS / CBR_RESTORE_USERS
    base_s = s.wall_s * scale
    h.log(f"  cbr restore {CBR_RESTORE_USERS}: {s.wall_s:.2f} s, scaled to {USERS}: {base_s:.0f} s")

    target = new_pool(b.stack)
    with CountingProxy(h.COGNITO_URL) as proxy:
        h.run_one(ours_cmd(target), h.child_env(AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER=proxy.url),
                  what="cognito-import (counted)")
        ours_requests = dict(proxy.counts)
    target = new_pool(b.stack)
    paced = h.run_one(ours_cmd(target, "--rate", "1"), h.child_env(),
                      what="cognito-import --rate 1")
    if not ours_requests or not base_requests:
        raise h.CannotRun("the counting proxy saw no requests of a side")
    per_user = {"ours": round(sum(ours_requests.values()) / USERS, 4),
                "baseline": round(sum(base_requests.values()) / CBR_RESTORE_USERS, 4)}
    h.log(f"  requests per user: ours {per_user['ours']} ({ours_requests}), baseline "
          f"{per_user['baseline']} ({base_requests}); ours at the default quotas: "
          f"{paced.wall_s:.1f} s")
    mo = h.median(x.wall_s for x in o)
    ratio = base_s / mo
    b.record("cognito-import-2k", mo, base_s, ratio, "ratio >= 10", ratio >= 10,
             max(x.rss_kb for x in o), users=USERS, groups=len(GROUPS), memberships=members,
             ours=[x.to_json() for x in o],
             baseline={"users": CBR_RESTORE_USERS, "wall_s": round(s.wall_s, 3),
                       "scaled_to": USERS, "scaled_s": round(base_s, 1)},
             requests={"ours": ours_requests, "baseline": base_requests},
             requests_per_user=per_user,
             ours_at_default_quotas_s=round(paced.wall_s, 2),
             baseline_restores="users only (no groups or memberships), 2 s apart")
