#!/usr/bin/env python3
"""Baseline for `seed-standard`: the original approach to seeding the conversation.

What Cruddur's own seed script did: read the two users from PostgreSQL with psycopg, then
write the two conversation (GRP#) rows and every message (MSG#) with one boto3 PutItem call
each, one after the other. Writes the same items as `seed` (same keys and attributes, one
MSG# item per message and two GRP# items).
"""
import argparse
import sys
import uuid
from datetime import datetime, timedelta, timezone

import boto3
import psycopg

GROUP = "5ae290ed-55d1-47a0-bc6d-fe2bc2700399"


def read_lines(args):
    if args.messages is not None:
        return [
            ("1" if i % 2 == 0 else "2", f"Message {i + 1}: synthetic text number {i + 1}")
            for i in range(args.messages)
        ]
    lines = []
    with open(args.file, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            for who in ("1", "2"):
                prefix = f"Person {who}:"
                if line.startswith(prefix):
                    lines.append((who, line[len(prefix):].strip()))
                    break
            else:
                sys.exit(f"{args.file}:{n}: not a 'Person 1:' or 'Person 2:' line")
    return lines


def get_users(url, handles):
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT uuid::text, display_name, handle FROM public.users WHERE handle = ANY(%s)",
            (list(handles),),
        ).fetchall()
    users = {handle: (uuid_, name, handle) for uuid_, name, handle in rows}
    for handle in handles:
        if handle not in users:
            sys.exit(f"no user with handle {handle}")
    return [users[h] for h in handles]


def iso(t):
    return t.isoformat(timespec="microseconds")


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--table", required=True)
    p.add_argument("--endpoint-url", required=True)
    p.add_argument("--database-url", required=True)
    p.add_argument("--file", help="conversation file (Person 1: / Person 2: lines)")
    p.add_argument("--messages", type=int, help="N synthetic messages instead of --file")
    p.add_argument("--from-handle", default="everlygrandest")
    p.add_argument("--to-handle", default="bayko")
    args = p.parse_args()
    if (args.file is None) == (args.messages is None):
        p.error("give exactly one of --file and --messages")

    lines = read_lines(args)
    one, two = get_users(args.database_url, [args.from_handle, args.to_handle])
    people = {"1": one, "2": two}
    ddb = boto3.client("dynamodb", endpoint_url=args.endpoint_url)
    now = datetime.now(timezone.utc)

    def person(item, who):
        item["user_uuid"] = {"S": who[0]}
        item["user_display_name"] = {"S": who[1]}
        item["user_handle"] = {"S": who[2]}
        return item

    last_at = iso(now)
    last_message = lines[-1][1]
    for owner, other in ((one, two), (two, one)):
        ddb.put_item(
            TableName=args.table,
            Item=person(
                {
                    "pk": {"S": f"GRP#{owner[0]}"},
                    "sk": {"S": last_at},
                    "message_group_uuid": {"S": GROUP},
                    "message": {"S": last_message},
                },
                other,
            ),
        )
    count = len(lines)
    for i, (who, text) in enumerate(lines):
        created = now - timedelta(minutes=count - 1 - i)
        ddb.put_item(
            TableName=args.table,
            Item=person(
                {
                    "pk": {"S": f"MSG#{GROUP}"},
                    "sk": {"S": iso(created)},
                    "message_uuid": {"S": str(uuid.uuid4())},
                    "message": {"S": text},
                },
                people[who],
            ),
        )
    print(f"wrote {count} messages and 2 conversation rows", file=sys.stderr)


if __name__ == "__main__":
    main()
