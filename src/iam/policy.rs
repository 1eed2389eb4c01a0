//! Building an IAM policy document from [`Need`]s and the resources of a run: one statement per
//! resource group (the table, its index, its stream, the user pool, the bucket, ...), each with a
//! `Sid`, its actions sorted. A resource that is not known (no user pool id, no bucket) gets the
//! narrowest pattern AWS allows, and [`Resources::unknowns`] says so.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::QUERIED_INDEX as GROUP_INDEX;
use super::{Need, Resource};

/// The policy language's version.
pub const VERSION: &str = "2012-10-17";

/// What the ARNs of a policy are made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resources {
    /// The account id (12 digits).
    pub account: String,
    /// The region.
    pub region: String,
    /// The messages table.
    pub table: String,
    /// The user pool id, when known.
    pub user_pool_id: Option<String>,
    /// The bucket and prefix (`s3://BUCKET/PREFIX`), when known.
    pub s3: Option<(String, String)>,
}

impl Resources {
    /// The partition of the region: `aws`, `aws-cn` or `aws-us-gov`.
    pub fn partition(&self) -> &'static str {
        if self.region.starts_with("cn-") {
            "aws-cn"
        } else if self.region.starts_with("us-gov-") {
            "aws-us-gov"
        } else {
            "aws"
        }
    }

    /// The ARN (or pattern) of `resource`.
    pub fn arn(&self, resource: Resource) -> String {
        let (p, r, a, t) = (self.partition(), &self.region, &self.account, &self.table);
        let table = format!("arn:{p}:dynamodb:{r}:{a}:table/{t}");
        let bucket = self.s3.as_ref().map_or("*", |(b, _)| b.as_str());
        match resource {
            Resource::Table => table,
            Resource::Index => format!("{table}/index/{GROUP_INDEX}"),
            Resource::Stream => format!("{table}/stream/*"),
            Resource::Exports => format!("{table}/export/*"),
            Resource::AnyExports => format!("arn:{p}:dynamodb:{r}:{a}:table/*/export/*"),
            Resource::Imports => format!("{table}/import/*"),
            Resource::Backups => format!("arn:{p}:dynamodb:{r}:{a}:table/*/backup/*"),
            Resource::AllTables => format!("arn:{p}:dynamodb:{r}:{a}:table/*"),
            Resource::Pool => format!(
                "arn:{p}:cognito-idp:{r}:{a}:userpool/{}",
                self.user_pool_id.as_deref().unwrap_or("*")
            ),
            Resource::Bucket => format!("arn:{p}:s3:::{bucket}"),
            Resource::Objects => match &self.s3 {
                Some((b, prefix)) if !prefix.trim_matches('/').is_empty() => {
                    format!("arn:{p}:s3:::{b}/{}/*", prefix.trim_matches('/'))
                }
                _ => format!("arn:{p}:s3:::{bucket}/*"),
            },
            Resource::ImportLogs => format!("arn:{p}:logs:{r}:{a}:log-group:/aws-dynamodb/*"),
            Resource::LambdaLogs => {
                format!("arn:{p}:logs:{r}:{a}:log-group:/aws/lambda/messaging-stream-lambda:*")
            }
            Resource::DeadLetterQueue => {
                format!("arn:{p}:sqs:{r}:{a}:cruddur-messaging-stream-dlq")
            }
            Resource::Any => "*".to_string(),
        }
    }

    /// What `needs` need that is not known, as notes for stderr (each names the pattern used).
    pub fn unknowns(&self, needs: &[Need]) -> Vec<String> {
        let uses = |r: &[Resource]| needs.iter().any(|n| r.contains(&n.resource));
        let mut notes = Vec::new();
        if self.user_pool_id.is_none() && uses(&[Resource::Pool]) {
            notes.push(format!(
                "the user pool is not known (no --user-pool-id or AWS_COGNITO_USER_POOL_ID): the \
                 policy allows every pool of the account in {} ({})",
                self.region,
                self.arn(Resource::Pool)
            ));
        }
        if self.s3.is_none() && uses(&[Resource::Bucket, Resource::Objects]) {
            notes.push(
                "the bucket is not known (no --s3 s3://BUCKET/PREFIX): the policy allows every \
                 bucket (arn:aws:s3:::*)"
                    .to_string(),
            );
        }
        notes
    }
}

/// One statement of a policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    /// Names the resource group.
    pub sid: String,
    /// Always `Allow`.
    pub effect: &'static str,
    /// The actions, sorted.
    pub action: Vec<String>,
    /// The resources (one ARN or pattern).
    pub resource: Vec<String>,
}

/// A policy document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Policy {
    /// [`VERSION`].
    pub version: &'static str,
    /// One per resource group.
    pub statement: Vec<Statement>,
}

impl Policy {
    /// Every action of the policy, sorted.
    pub fn actions(&self) -> BTreeSet<&str> {
        self.statement
            .iter()
            .flat_map(|s| s.action.iter().map(String::as_str))
            .collect()
    }
}

impl crate::report::Report for Policy {
    const COLUMNS: &'static [&'static str] = &["Sid", "Actions", "Resource"];

    fn rows(&self) -> Vec<Vec<String>> {
        self.statement
            .iter()
            .map(|s| vec![s.sid.clone(), s.action.join("\n"), s.resource.join("\n")])
            .collect()
    }
}

/// The statement id of a resource group.
fn sid(resource: Resource) -> &'static str {
    match resource {
        Resource::Table => "MessagesTable",
        Resource::Index => "MessagesTableIndex",
        Resource::Stream => "MessagesTableStream",
        Resource::Exports => "MessagesTableExports",
        Resource::AnyExports => "ExportsOfAnyTable",
        Resource::Imports => "MessagesTableImports",
        Resource::Backups => "Backups",
        Resource::AllTables => "EveryTable",
        Resource::Pool => "UserPool",
        Resource::Bucket => "Bucket",
        Resource::Objects => "BucketObjects",
        Resource::ImportLogs => "DynamoDBImportLogs",
        Resource::LambdaLogs => "FunctionLogs",
        Resource::DeadLetterQueue => "OnFailureQueue",
        Resource::Any => "NoResourceLevelPermissions",
    }
}

/// The policy allowing `needs` on `resources`: one statement per resource group, in a fixed
/// order, actions sorted and each once. No needs, no statements.
pub fn build(needs: &[Need], resources: &Resources) -> Policy {
    let mut groups: BTreeMap<Resource, BTreeSet<&str>> = BTreeMap::new();
    for need in needs {
        groups.entry(need.resource).or_default().insert(need.action);
    }
    Policy {
        version: VERSION,
        statement: groups
            .into_iter()
            .map(|(resource, actions)| Statement {
                sid: sid(resource).to_string(),
                effect: "Allow",
                action: actions.into_iter().map(str::to_string).collect(),
                resource: vec![resources.arn(resource)],
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Target;

    fn resources() -> Resources {
        Resources {
            account: "123456789012".into(),
            region: "eu-west-1".into(),
            table: "cruddur-messages".into(),
            user_pool_id: Some("eu-west-1_AbC".into()),
            s3: Some(("bkt".into(), "exports/one/".into())),
        }
    }

    #[test]
    fn arns_are_aws_formats() {
        let r = resources();
        let t = "arn:aws:dynamodb:eu-west-1:123456789012:table/cruddur-messages";
        assert_eq!(r.arn(Resource::Table), t);
        assert_eq!(
            r.arn(Resource::Index),
            format!("{t}/index/message-group-sk-index")
        );
        assert_eq!(r.arn(Resource::Stream), format!("{t}/stream/*"));
        assert_eq!(r.arn(Resource::Exports), format!("{t}/export/*"));
        assert_eq!(
            r.arn(Resource::Pool),
            "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbC"
        );
        assert_eq!(r.arn(Resource::Bucket), "arn:aws:s3:::bkt");
        assert_eq!(r.arn(Resource::Objects), "arn:aws:s3:::bkt/exports/one/*");
        assert_eq!(r.arn(Resource::Any), "*");
        assert!(r
            .unknowns(&[Need::new("s3:GetObject", Resource::Objects)])
            .is_empty());

        let unknown = Resources {
            user_pool_id: None,
            s3: None,
            region: "cn-north-1".into(),
            ..resources()
        };
        assert_eq!(
            unknown.arn(Resource::Pool),
            "arn:aws-cn:cognito-idp:cn-north-1:123456789012:userpool/*"
        );
        assert_eq!(unknown.arn(Resource::Objects), "arn:aws-cn:s3:::*/*");
        let notes = unknown.unknowns(&[
            Need::new("cognito-idp:ListUsers", Resource::Pool),
            Need::new("s3:ListBucket", Resource::Bucket),
        ]);
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].contains("userpool/*"), "{notes:?}");
    }

    #[test]
    fn one_statement_per_resource_group_with_sorted_unique_actions() {
        let tool = crate::iam::tool("seed").unwrap();
        let policy = build(&tool.needs_for(Target::Prod, None), &resources());
        let json = serde_json::to_value(&policy).unwrap();
        assert_eq!(json["Version"], "2012-10-17");
        let statements = json["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 2, "{json:#}");
        assert_eq!(statements[0]["Sid"], "MessagesTable");
        assert_eq!(statements[0]["Effect"], "Allow");
        let actions: Vec<&str> = statements[0]["Action"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        let mut sorted = actions.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(actions, sorted);
        assert!(actions.contains(&"dynamodb:BatchWriteItem"));
        assert_eq!(statements[1]["Sid"], "MessagesTableIndex");
        assert_eq!(
            statements[1]["Action"],
            serde_json::json!(["dynamodb:Query"])
        );
        // A dry run's policy writes nothing.
        let dry = build(&tool.needs_for(Target::Prod, Some("dry-run")), &resources());
        assert!(!dry.actions().contains("dynamodb:BatchWriteItem"));
        assert!(build(&[], &resources()).statement.is_empty());
    }
}
