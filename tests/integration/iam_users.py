"""IAM users, pools and buckets on a moto server with IAM enforcement, for
tests/integration/iam.rs. One process per moto server, so that boto3 is imported once (about half
a second of CPU each time) rather than once per request.

    python iam_users.py URL

creates the user `admin`, allowed everything, turns enforcement on (POST /moto-api/reset-auth,
body 0) and prints admin's key and secret as one JSON line {"key", "secret"}. Then, as admin, it
answers one JSON request per line on stdin with one JSON line on stdout:

    {"op": "users", "users": [{"name", "policy"}, ...]}
        each user with exactly that inline policy and an access key -> {"keys": [[key, secret], ...]}
    {"op": "pool", "name": NAME}     a user pool -> {"id": ID}
    {"op": "fill", "pool": ID}       two users (bob disabled), a group `team` holding alice -> {}
    {"op": "bucket", "name": NAME}   a bucket -> {}
    {"op": "backup", "table": T, "name": NAME}   an on-demand backup of table T -> {"arn": ARN}

A request that fails gets {"error": "..."}. Run it with the local stack's Python
(`bash scripts/stack.sh python`), which has boto3.
"""

import json
import sys
import urllib.request

import boto3


def user(client, name, policy):
    client.create_user(UserName=name)
    client.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = client.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def enforce(url):
    request = urllib.request.Request(
        url + "/moto-api/reset-auth",
        data=b"0",
        headers={"Content-Type": "text/plain"},
        method="POST",
    )
    urllib.request.urlopen(request, timeout=10).read()


def fill(cognito, pool):
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


def main():
    url = sys.argv[1]
    everything = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
    key, secret = user(boto3.client("iam", endpoint_url=url, region_name="us-east-1",
                                    aws_access_key_id="test", aws_secret_access_key="test"),
                       "admin", everything)
    enforce(url)
    print(json.dumps({"key": key, "secret": secret}), flush=True)

    def client(service):
        return boto3.client(service, endpoint_url=url, region_name="us-east-1",
                            aws_access_key_id=key, aws_secret_access_key=secret)

    iam, cognito, s3 = client("iam"), client("cognito-idp"), client("s3")
    dynamodb = client("dynamodb")
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            op = request["op"]
            if op == "users":
                answer = {"keys": [user(iam, u["name"], u["policy"]) for u in request["users"]]}
            elif op == "pool":
                answer = {"id": cognito.create_user_pool(PoolName=request["name"])["UserPool"]["Id"]}
            elif op == "fill":
                fill(cognito, request["pool"])
                answer = {}
            elif op == "bucket":
                s3.create_bucket(Bucket=request["name"])
                answer = {}
            elif op == "backup":
                made = dynamodb.create_backup(TableName=request["table"], BackupName=request["name"])
                answer = {"arn": made["BackupDetails"]["BackupArn"]}
            else:
                answer = {"error": f"unknown op {op!r}"}
        except Exception as err:  # the test prints it and fails
            answer = {"error": f"{type(err).__name__}: {err}"}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
