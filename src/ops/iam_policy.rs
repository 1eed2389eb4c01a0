//! `iam-policy`: the IAM policy a tool needs (or the CI role, `--all`), from the table in
//! [`crate::iam`], with the ARNs of this account, region, table, user pool and bucket. The
//! account and region come from the request, else from the standard chain (STS
//! GetCallerIdentity, which needs no permission).

use anyhow::{bail, Context as _, Result};

use crate::config::{Config, Target};
use crate::context::{Context, SdkResultExt};
use crate::iam::policy::{self, Policy, Resources};
use crate::iam::{self, table, Need};
use crate::s3::S3Url;

/// What to build a policy for.
#[derive(Debug, Clone, Default)]
pub struct PolicyRequest {
    /// The tool (`None` with `all`).
    pub tool: Option<String>,
    /// The README's CI steps together (`--all`).
    pub all: bool,
    /// One mode of the tool (`None`: every mode).
    pub mode: Option<String>,
    /// The account, else STS's answer.
    pub account: Option<String>,
    /// The region, else the standard chain's.
    pub region: Option<String>,
    /// `--s3 s3://BUCKET/PREFIX`: the bucket and prefix.
    pub s3: Option<String>,
}

/// A policy and what to say about it on stderr.
#[derive(Debug, Clone)]
pub struct PolicyReport {
    /// The document, `None` when the tool calls no AWS API in this use.
    pub policy: Option<Policy>,
    /// Notes: unknown resources (and the pattern used), a tool that needs nothing.
    pub notes: Vec<String>,
}

/// The actions `request` covers on `target`, and a note when there are none.
pub fn needs(request: &PolicyRequest, target: Target) -> Result<(Vec<Need>, Option<String>)> {
    if request.all {
        let mut needs = Vec::new();
        for (name, mode) in table::CI_STEPS {
            let tool = iam::tool(name).context("a CI step names a tool the table lacks")?;
            needs.extend(tool.needs_for(target, *mode));
        }
        return Ok((needs, None));
    }
    let Some(name) = request.tool.as_deref() else {
        bail!("name a tool (iam-policy seed) or give --all");
    };
    let Some(tool) = iam::tool(name) else {
        let known: Vec<&str> = table::TOOLS.iter().map(|t| t.name).collect();
        bail!("no tool named {name:?}: one of {}", known.join(", "));
    };
    if let Some(mode) = request.mode.as_deref() {
        if !tool.modes.iter().any(|m| m.name == mode) {
            let modes: Vec<&str> = tool.modes.iter().map(|m| m.name).collect();
            match modes.is_empty() {
                true => bail!("{name} has no modes: leave out --mode"),
                false => bail!("{name} has no mode {mode:?}: one of {}", modes.join(", ")),
            }
        }
    }
    if target == Target::Prod && tool.local_only() {
        bail!(
            "{name} does not run on prod{}. There is no prod policy to print; `iam-policy {name} \
             local` prints what it calls on the local emulator",
            tool.note.map(|n| format!(": {n}")).unwrap_or_default()
        );
    }
    let needs = tool.needs_for(target, request.mode.as_deref());
    let none = needs.is_empty().then(|| {
        format!(
            "{name} calls no AWS API on {target}{}: it needs no AWS policy",
            tool.note.map(|n| format!(" ({n})")).unwrap_or_default()
        )
    });
    Ok((needs, none))
}

/// A 12-digit account id, checked.
fn account_id(text: &str) -> Result<String> {
    let text = text.trim();
    if text.len() != 12 || !text.bytes().all(|b| b.is_ascii_digit()) {
        bail!("{text:?} is not an AWS account id (12 digits)");
    }
    Ok(text.to_string())
}

/// The account and region: as given, else asked of the standard chain (STS
/// GetCallerIdentity; the region of the SDK's configuration).
async fn account_and_region(config: &Config, request: &PolicyRequest) -> Result<(String, String)> {
    if let (Some(account), Some(region)) = (&request.account, &request.region) {
        return Ok((account_id(account)?, region.clone()));
    }
    let mut config = config.clone();
    if let Some(region) = &request.region {
        config.region = Some(region.clone());
    }
    let missing = "iam-policy needs the account and region for the policy's ARNs: pass \
                   --account ID and --region REGION, or configure AWS credentials and a region \
                   (it asks STS GetCallerIdentity, which needs no permission)";
    let ctx = Context::new(config).await.context(missing)?;
    let region = ctx.sdk.region().map(|r| r.to_string()).context(missing)?;
    let account = match &request.account {
        Some(account) => account_id(account)?,
        None => {
            let who = ctx
                .sts()
                .get_caller_identity()
                .send()
                .await
                .on(&ctx.sts_endpoint, "asking STS for the caller's account")
                .context(missing)?;
            account_id(who.account().context("STS answered without an account")?)?
        }
    };
    Ok((account, region))
}

/// Builds the policy of `request` for `config`'s target, table and user pool.
pub async fn policy(config: &Config, request: &PolicyRequest) -> Result<PolicyReport> {
    let (needs, none) = needs(request, config.target)?;
    if let Some(note) = none {
        return Ok(PolicyReport {
            policy: None,
            notes: vec![note],
        });
    }
    let s3 = match &request.s3 {
        Some(url) => {
            let url = S3Url::parse(url).context("--s3")?;
            Some((url.bucket, url.key))
        }
        None => None,
    };
    let (account, region) = account_and_region(config, request).await?;
    let resources = Resources {
        account,
        region,
        table: config.table.clone(),
        user_pool_id: config.user_pool_id.clone(),
        s3,
    };
    Ok(PolicyReport {
        notes: resources.unknowns(&needs),
        policy: Some(policy::build(&needs, &resources)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(tool: &str) -> PolicyRequest {
        PolicyRequest {
            tool: Some(tool.to_string()),
            ..PolicyRequest::default()
        }
    }

    #[test]
    fn tools_and_modes_are_checked() {
        let err = needs(&request("nope"), Target::Prod)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no tool named \"nope\"") && err.contains("seed"),
            "{err}"
        );
        let mut r = request("schema-load");
        r.mode = Some("fly".into());
        let err = needs(&r, Target::Prod).unwrap_err().to_string();
        assert!(err.contains("plan, apply"), "{err}");
        let (_, none) = needs(&request("db-setup"), Target::Prod).unwrap();
        assert!(none.unwrap().contains("PostgreSQL only"));
        // It refuses prod: no policy, and an error that says why rather than "needs nothing".
        let err = needs(&request("cognito-setup"), Target::Prod)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("does not run on prod: local target only"),
            "{err}"
        );
        let (local, none) = needs(&request("cognito-setup"), Target::Local).unwrap();
        assert!(none.is_none() && !local.is_empty());
        assert!(account_id("12345").is_err());
        assert_eq!(account_id(" 123456789012 ").unwrap(), "123456789012");
    }

    #[test]
    fn all_is_the_ci_steps_together() {
        let all = PolicyRequest {
            all: true,
            ..PolicyRequest::default()
        };
        let (needs, _) = needs(&all, Target::Prod).unwrap();
        let actions: std::collections::BTreeSet<&str> = needs.iter().map(|n| n.action).collect();
        for action in [
            "dynamodb:CreateTable",
            "dynamodb:BatchWriteItem",
            "dynamodb:Scan",
            "cognito-idp:ListUsersInGroup",
        ] {
            assert!(actions.contains(action), "{action}: {actions:?}");
        }
        assert!(
            !actions.contains("cognito-idp:ListUserPools"),
            "prod names the pool"
        );
    }

    #[tokio::test]
    async fn given_account_and_region_need_no_call() {
        let config = Config::resolve(Target::Prod, crate::config::test_env(&[])).unwrap();
        let mut r = request("scan");
        (r.account, r.region) = (Some("123456789012".into()), Some("eu-west-1".into()));
        let report = policy(&config, &r).await.unwrap();
        let json = serde_json::to_string(&report.policy.unwrap()).unwrap();
        assert!(
            json.contains("arn:aws:dynamodb:eu-west-1:123456789012:table/cruddur-messages"),
            "{json}"
        );
        assert!(report.notes.is_empty());
    }
}
