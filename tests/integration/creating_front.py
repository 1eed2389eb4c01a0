"""A front for moto's DynamoDB whose restored tables never finish restoring.

Usage: python3 creating_front.py PORT UPSTREAM MARK

Forwards every request to UPSTREAM unchanged, except the answer to a DescribeTable of a table whose
name contains MARK: its TableStatus reads CREATING (as a restore of a large table does on AWS for
minutes to hours). Prints "ready" once it listens. Standard library only.
"""

import json
import sys
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, UPSTREAM, MARK = int(sys.argv[1]), sys.argv[2].rstrip("/"), sys.argv[3]


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
        request = urllib.request.Request(UPSTREAM + self.path, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                status, answer_headers, data = answer.status, answer.headers, answer.read()
        except urllib.error.HTTPError as err:
            status, answer_headers, data = err.code, err.headers, err.read()
        target = self.headers.get("X-Amz-Target", "")
        if target.endswith(".DescribeTable") and MARK in json.loads(body or b"{}").get("TableName", ""):
            doc = json.loads(data)
            if "Table" in doc:
                doc["Table"]["TableStatus"] = "CREATING"
                data = json.dumps(doc).encode()
        self.send_response(status)
        for key, value in answer_headers.items():
            if key.lower() not in ("content-length", "x-amz-crc32", "transfer-encoding", "connection", "server", "date"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
print("ready", flush=True)
server.serve_forever()
