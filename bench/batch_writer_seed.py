#!/usr/bin/env python3
"""Baseline for `seed-bulk-50k`: boto3's Table.batch_writer() writing the given items.

Reads items in DynamoDB's typed JSON, one per line (what `scan --output jsonl --raw` prints; the
harness dumps them from a table `seed --messages 50000` wrote, so both sides write the very same
items), and puts them through one batch_writer(), which sends BatchWriteItem requests of 25 and
resends unprocessed items: what a Python user writes for a bulk load.
"""
import argparse
import json
import sys

import boto3
from boto3.dynamodb.types import TypeDeserializer


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--table", required=True)
    p.add_argument("--endpoint-url", required=True)
    p.add_argument("--items", required=True, help="JSON lines of typed items")
    p.add_argument("--limit", type=int, help="write only the first N items")
    args = p.parse_args()

    deserialize = TypeDeserializer().deserialize
    table = boto3.resource("dynamodb", endpoint_url=args.endpoint_url).Table(args.table)
    written = 0
    with open(args.items, encoding="utf-8") as f, table.batch_writer() as batch:
        for line in f:
            if args.limit is not None and written >= args.limit:
                break
            typed = json.loads(line)
            batch.put_item(Item={k: deserialize(v) for k, v in typed.items()})
            written += 1
    print(f"wrote {written} items", file=sys.stderr)


if __name__ == "__main__":
    main()
