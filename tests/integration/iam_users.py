"""IAM users on a moto server with IAM enforcement, for tests/integration/iam.rs.

    python iam_users.py admin URL    create the user `admin` allowed everything, print its key
                                     and secret (one line, space-separated), then turn
                                     enforcement on (POST /moto-api/reset-auth, body 0)
    python iam_users.py users URL    (admin's keys in the environment) read JSON lines
                                     {"name", "policy"} on stdin; for each, create the user with
                                     that inline policy and an access key; print JSON lines
                                     {"name", "key", "secret"}
    python iam_users.py bucket URL NAME   (admin's keys) create the bucket NAME
    python iam_users.py pool URL NAME     (admin's keys) create the user pool NAME, print its id
    python iam_users.py fill URL POOL     (admin's keys) two users (bob disabled), a group
                                          `team` holding alice

Run it with the local stack's Python (`bash scripts/stack.sh python`), which has boto3.
"""

import json
import sys
import urllib.request

import boto3


def iam(url):
    return boto3.client("iam", endpoint_url=url, region_name="us-east-1")


def user(client, name, policy):
    client.create_user(UserName=name)
    client.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = client.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def main():
    command, url = sys.argv[1], sys.argv[2]
    if command == "admin":
        everything = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        }
        key, secret = user(iam(url), "admin", everything)
        request = urllib.request.Request(
            url + "/moto-api/reset-auth",
            data=b"0",
            headers={"Content-Type": "text/plain"},
            method="POST",
        )
        urllib.request.urlopen(request, timeout=10).read()
        print(key, secret)
    elif command == "users":
        client = iam(url)
        for line in sys.stdin:
            if not line.strip():
                continue
            wanted = json.loads(line)
            key, secret = user(client, wanted["name"], wanted["policy"])
            print(json.dumps({"name": wanted["name"], "key": key, "secret": secret}), flush=True)
    elif command == "pool":
        cognito = boto3.client("cognito-idp", endpoint_url=url, region_name="us-east-1")
        print(cognito.create_user_pool(PoolName=sys.argv[3])["UserPool"]["Id"])
    elif command == "fill":
        # Two users (one disabled), a group holding the first.
        cognito = boto3.client("cognito-idp", endpoint_url=url, region_name="us-east-1")
        pool = sys.argv[3]
        for name in ["alice", "bob"]:
            cognito.admin_create_user(
                UserPoolId=pool,
                Username=name,
                MessageAction="SUPPRESS",
                UserAttributes=[
                    {"Name": "email", "Value": f"{name}@example.com"},
                    {"Name": "preferred_username", "Value": name},
                ],
            )
        cognito.admin_disable_user(UserPoolId=pool, Username="bob")
        cognito.create_group(UserPoolId=pool, GroupName="team")
        cognito.admin_add_user_to_group(UserPoolId=pool, Username="alice", GroupName="team")
    elif command == "bucket":
        s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1")
        s3.create_bucket(Bucket=sys.argv[3])
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
