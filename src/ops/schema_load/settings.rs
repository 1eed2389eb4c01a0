//! The planner's part for the settings read with their own calls: time to live, point-in-time
//! recovery and tags. A setting the endpoint does not support is a note, or a refusal when the
//! file turns point-in-time recovery on for prod.

use std::collections::BTreeMap;

use super::definition::{TableDefinition, TtlSetting};
use super::live::{Feature, LiveTable};
use super::plan::{Plan, PlanOptions, Refusal};
use super::step::Step;

/// Notes that the endpoint does not support `what` (so it was not checked, nor applied).
fn unsupported(plan: &mut Plan, what: &str, why: &str) {
    plan.notes.push(format!(
        "{what}: not supported by this endpoint ({why}); the file's setting is not applied"
    ));
    plan.unchecked.push(what.to_string());
}

pub(super) fn plan_ttl(def: &TableDefinition, live: &LiveTable, plan: &mut Plan) {
    let Some(want) = &def.ttl else { return };
    let state = match &live.ttl {
        Feature::Known(state) => state,
        Feature::Unsupported(why) => {
            unsupported(plan, "time to live", why);
            return;
        }
        Feature::NotAsked => return,
    };
    let now = state.enabled_on();
    match (want, now) {
        (TtlSetting::Enabled(want), Some(now)) if want == now => {}
        (TtlSetting::Enabled(want), now) => {
            if let Some(now) = now {
                plan.steps.push(Step::TimeToLive {
                    enabled: false,
                    attribute: now.to_string(),
                });
            }
            plan.steps.push(Step::TimeToLive {
                enabled: true,
                attribute: want.clone(),
            });
        }
        (TtlSetting::Disabled, Some(now)) => plan.steps.push(Step::TimeToLive {
            enabled: false,
            attribute: now.to_string(),
        }),
        (TtlSetting::Disabled, None) => {}
    }
}

pub(super) fn plan_pitr(
    def: &TableDefinition,
    live: &LiveTable,
    options: PlanOptions,
    plan: &mut Plan,
) {
    let Some(want) = def.point_in_time_recovery else {
        return;
    };
    match &live.point_in_time_recovery {
        Feature::Known(now) if *now != want => {
            plan.steps.push(Step::PointInTimeRecovery { enabled: want })
        }
        Feature::Unsupported(why) if want && options.prod => plan.refusals.push(Refusal {
            what: "point-in-time recovery: expected on, not supported by this endpoint".into(),
            reason: format!(
                "the file requires point-in-time recovery on prod and the endpoint answered: \
                 {why}"
            ),
        }),
        Feature::Unsupported(why) => unsupported(plan, "point-in-time recovery", why),
        _ => {}
    }
}

pub(super) fn plan_tags(def: &TableDefinition, live: &LiveTable, plan: &mut Plan) {
    let Some(want) = &def.tags else { return };
    match &live.tags {
        Feature::Known(now) => {
            let set: BTreeMap<String, String> = want
                .iter()
                .filter(|(k, v)| now.get(*k) != Some(*v))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let removed: Vec<String> = now
                .keys()
                .filter(|k| !want.contains_key(*k))
                .cloned()
                .collect();
            if !set.is_empty() {
                plan.steps.push(Step::Tag { tags: set });
            }
            if !removed.is_empty() {
                plan.steps.push(Step::Untag { keys: removed });
            }
        }
        Feature::Unsupported(why) => unsupported(plan, "tags", why),
        Feature::NotAsked => {}
    }
}
