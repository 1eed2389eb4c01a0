#!/usr/bin/env python3
"""Baseline for `sync-2k`: the original update_cognito_user_ids, over every page.

The original script listed the pool's users with boto3 (ListUsers, asking for
preferred_username and sub) and, for each user, ran one UPDATE of users.cognito_user_id by
handle and committed it. It only read the first page; this one reads every page (60 users a
page, as real Cognito allows) so that it does the same work as `update-cognito-user-ids`.
"""
import argparse
import sys

import boto3
import psycopg


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--user-pool-id", required=True)
    p.add_argument("--endpoint-url", required=True, help="Cognito endpoint")
    p.add_argument("--database-url", required=True)
    args = p.parse_args()

    cognito = boto3.client("cognito-idp", endpoint_url=args.endpoint_url)
    updated = 0
    with psycopg.connect(args.database_url) as conn:
        params = {
            "UserPoolId": args.user_pool_id,
            "AttributesToGet": ["preferred_username", "sub"],
            "Limit": 60,
        }
        while True:
            page = cognito.list_users(**params)
            for user in page["Users"]:
                attrs = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}
                handle = attrs.get("preferred_username")
                if handle is None:
                    continue
                conn.execute(
                    "UPDATE public.users SET cognito_user_id = %(sub)s WHERE users.handle = %(handle)s",
                    {"sub": attrs["sub"], "handle": handle},
                )
                conn.commit()
                updated += 1
            token = page.get("PaginationToken")
            if not token:
                break
            params["PaginationToken"] = token
    print(f"updated {updated} users", file=sys.stderr)


if __name__ == "__main__":
    main()
