//! Prod credentials come from the standard chain as the AWS CLI reads it: a `credential_process`
//! profile and an IAM Identity Center (SSO) profile with a cached token each give the credentials
//! a prod call signs with. DynamoDB Local stands in for DynamoDB (`AWS_ENDPOINT_URL_DYNAMODB`),
//! and a small HTTP server the test starts stands in for the SSO portal (`AWS_ENDPOINT_URL_SSO`).

use std::path::PathBuf;
use std::process::{Command, Output};

use crate::common::{bin, ddb_url, fails, ok, run, unique, TestTable};
use crate::servers::{free_port, PythonServer};

/// A throw-away `HOME` with an AWS config file; removed on drop.
struct AwsHome {
    dir: PathBuf,
}

impl AwsHome {
    fn new(config: &str) -> AwsHome {
        let dir = std::env::temp_dir().join(unique("cruddur-aws-home"));
        std::fs::create_dir_all(dir.join(".aws/sso/cache")).unwrap();
        std::fs::write(dir.join(".aws/config"), config).unwrap();
        std::fs::write(dir.join(".aws/credentials"), "").unwrap();
        AwsHome { dir }
    }

    /// `list-tables prod` with `profile`, every AWS setting coming from this home.
    fn list_tables(&self, profile: &str, extra_env: &[(&str, &str)]) -> Output {
        let mut cmd = bin("list-tables");
        cmd.arg("prod")
            .args(["--output", "json", "--timeout", "10"])
            .env("HOME", &self.dir)
            .env("AWS_CONFIG_FILE", self.dir.join(".aws/config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.dir.join(".aws/credentials"),
            )
            .env("AWS_PROFILE", profile)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ENDPOINT_URL_DYNAMODB", ddb_url());
        for (key, value) in extra_env {
            cmd.env(key, value);
        }
        run(&mut cmd)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Drop for AwsHome {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[track_caller]
fn lists(out: Output, table: &TestTable) {
    let out = ok(out);
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(listed.contains(&table.name), "{listed}");
}

#[test]
fn a_credential_process_profile_signs_prod_calls() {
    let table = TestTable::created();
    let home = AwsHome::new("");
    let marker = home.path("process-ran");
    std::fs::write(
        home.path(".aws/config"),
        format!(
            "[profile proc]\ncredential_process = sh -c 'touch {} && echo \"{{\\\"Version\\\": 1, \\\"AccessKeyId\\\": \\\"cruddurlocal\\\", \\\"SecretAccessKey\\\": \\\"cruddurlocal\\\"}}\"'\n",
            marker.display()
        ),
    )
    .unwrap();
    lists(home.list_tables("proc", &[]), &table);
    assert!(marker.exists(), "the credential process was not run");
}

/// A stand-in for the SSO portal's GetRoleCredentials: answers every GET with role credentials
/// and appends the path and the bearer token it was given to the log file (its second argument).
const SSO_PORTAL: &str = r#"
import http.server, json, sys
class Portal(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(sys.argv[2], "a") as log:
            log.write(f"{self.path} {self.headers.get('x-amz-sso_bearer_token')}\n")
        body = json.dumps({"roleCredentials": {"accessKeyId": "cruddurlocal",
            "secretAccessKey": "cruddurlocal", "sessionToken": "session",
            "expiration": 4102444800000}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Portal)
print("ready", flush=True)
server.serve_forever()
"#;

#[test]
fn an_sso_profile_with_a_cached_token_signs_prod_calls() {
    let table = TestTable::created();
    let home = AwsHome::new(
        "[profile dev]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Developer\n\
         [sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n",
    );
    let log = home.path("portal.log");
    let port = free_port();
    let _portal = PythonServer::start(SSO_PORTAL, &[port.to_string(), log.display().to_string()]);
    let endpoint = format!("http://127.0.0.1:{port}");
    let sso = [("AWS_ENDPOINT_URL_SSO", endpoint.as_str())];

    // No `aws sso login` yet: the error says the token is missing.
    let err = fails(home.list_tables("dev", &sso));
    assert!(err.contains("SSO token"), "{err}");

    // The token cache file of session "corp" is named by the SHA-1 of the session's name.
    let sha1 = Command::new("sh")
        .args(["-c", "printf corp | sha1sum | cut -d' ' -f1"])
        .output()
        .expect("sha1sum runs");
    let name = String::from_utf8_lossy(&sha1.stdout).trim().to_string();
    std::fs::write(
        home.path(&format!(".aws/sso/cache/{name}.json")),
        r#"{"accessToken": "cached-token", "expiresAt": "2099-01-01T00:00:00Z", "region": "us-east-1", "startUrl": "https://example.awsapps.com/start"}"#,
    )
    .unwrap();
    lists(home.list_tables("dev", &sso), &table);
    let asked = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        asked.contains("role_name=Developer")
            && asked.contains("account_id=123456789012")
            && asked.contains("cached-token"),
        "the SSO portal was not asked for the role with the cached token: {asked}"
    );
}
