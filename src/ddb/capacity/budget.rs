//! Where a job's budget comes from: the capacity flags, the table's provisioned capacity, and
//! what one item or page costs (and what DynamoDB says it cost).

use anyhow::{bail, Result};
use aws_sdk_dynamodb::types::{ConsumedCapacity, TableDescription};

use super::{
    Budget, Direction, Governor, DEFAULT_SHARE_PCT, DEFAULT_STALL_TIMEOUT, ON_DEMAND_START_RCU,
    ON_DEMAND_START_WCU,
};
use crate::config::Target;
use crate::context::Context;
use std::time::Duration;

/// The capacity flags of a bulk tool, as parsed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CapacityFlags {
    /// `--capacity PCT`: the share (1-100) of the provisioned capacity.
    pub share_pct: Option<u8>,
    /// `--max-wcu N`: write units per second outright.
    pub max_wcu: Option<f64>,
    /// `--max-rcu N`: read units per second outright.
    pub max_rcu: Option<f64>,
    /// `--stall-timeout`: how long no progress at all is tolerated.
    pub stall_timeout: Duration,
}

impl Default for CapacityFlags {
    fn default() -> CapacityFlags {
        CapacityFlags {
            share_pct: None,
            max_wcu: None,
            max_rcu: None,
            stall_timeout: DEFAULT_STALL_TIMEOUT,
        }
    }
}

impl CapacityFlags {
    /// Refuses a share outside 1-100 and a rate that is not a positive number.
    pub fn validate(&self) -> Result<()> {
        if let Some(pct) = self.share_pct {
            if !(1..=100).contains(&pct) {
                bail!(
                    "--capacity is a percentage of the provisioned capacity, 1 to 100, not {pct}"
                );
            }
        }
        for (flag, value) in [("--max-wcu", self.max_wcu), ("--max-rcu", self.max_rcu)] {
            if let Some(v) = value {
                if !(v.is_finite() && v > 0.0) {
                    bail!("{flag} is capacity units per second, a number above 0, not {v}");
                }
            }
        }
        Ok(())
    }
}

/// The provisioned units of `direction` that bound a bulk job on `desc`: for reads the table's
/// (a scan reads only the table); for writes the tightest of the table and its global secondary
/// indexes, since every item written is written again to each index that holds it. `None` for
/// an on-demand table.
pub fn provisioned(desc: &TableDescription, direction: Direction) -> Option<f64> {
    let of = |p: Option<&aws_sdk_dynamodb::types::ProvisionedThroughputDescription>| {
        p.and_then(|p| match direction {
            Direction::Read => p.read_capacity_units(),
            Direction::Write => p.write_capacity_units(),
        })
        .filter(|u| *u > 0)
    };
    let table = of(desc.provisioned_throughput())?;
    let tightest = match direction {
        Direction::Read => table,
        Direction::Write => desc
            .global_secondary_indexes()
            .iter()
            .filter_map(|g| of(g.provisioned_throughput()))
            .fold(table, i64::min),
    };
    Some(tightest as f64)
}

/// The budget of a bulk job in `direction` on the table `desc` describes.
///
/// `--max-wcu`/`--max-rcu` win. Otherwise, on prod or with `--capacity`, the share (default
/// [`DEFAULT_SHARE_PCT`]) of the provisioned capacity; an on-demand table adapts from
/// [`ON_DEMAND_START_WCU`] / [`ON_DEMAND_START_RCU`]. On local without flags: no budget.
pub fn budget_for(
    desc: Option<&TableDescription>,
    direction: Direction,
    flags: &CapacityFlags,
    target: Target,
) -> Budget {
    let outright = match direction {
        Direction::Read => flags.max_rcu,
        Direction::Write => flags.max_wcu,
    };
    if let Some(units) = outright {
        return Budget::Rate { units };
    }
    if target == Target::Local && flags.share_pct.is_none() {
        return Budget::Unlimited;
    }
    let share = f64::from(flags.share_pct.unwrap_or(DEFAULT_SHARE_PCT)) / 100.0;
    match desc.and_then(|d| provisioned(d, direction)) {
        Some(units) => Budget::Rate {
            units: units * share,
        },
        None => Budget::Adaptive {
            start: match direction {
                Direction::Read => ON_DEMAND_START_RCU,
                Direction::Write => ON_DEMAND_START_WCU,
            },
        },
    }
}

/// The governor of a bulk job in `direction` on `table`: its budget from [`budget_for`], the
/// table described only when the budget depends on it (prod, or `--capacity`).
pub async fn governor_for(
    ctx: &Context,
    table: &str,
    direction: Direction,
    flags: &CapacityFlags,
) -> Result<Governor> {
    flags.validate()?;
    let outright = match direction {
        Direction::Read => flags.max_rcu,
        Direction::Write => flags.max_wcu,
    };
    let needs_table =
        outright.is_none() && (ctx.target() == Target::Prod || flags.share_pct.is_some());
    let desc = if needs_table {
        Some(
            crate::ddb::table::describe(ctx, table)
                .await?
                .ok_or_else(|| {
                    anyhow::anyhow!("table {table} does not exist on {}", ctx.dynamodb_endpoint)
                })?,
        )
    } else {
        None
    };
    let budget = budget_for(desc.as_ref(), direction, flags, ctx.target());
    Ok(Governor::new(table, direction, budget, flags.stall_timeout))
}

/// The write units an item of `bytes` costs: its size rounded up to 1 KB (at least 1).
pub fn write_units(bytes: usize) -> f64 {
    bytes.div_ceil(1024).max(1) as f64
}

/// The read units a page of `bytes` costs in an eventually consistent scan: half a unit per
/// 4 KB, rounded up.
pub fn scan_units(bytes: usize) -> f64 {
    bytes.div_ceil(4096).max(1) as f64 / 2.0
}

/// The units one request consumed, as `ReturnConsumedCapacity=INDEXES` reports it, for the
/// bucket of its table: the largest of the table's and each index's units (the budget is the
/// tightest of them, see [`provisioned`]). `None` when the answer carried no figure.
pub fn consumed_units(consumed: &[ConsumedCapacity]) -> Option<f64> {
    let mut any = false;
    let mut total = 0.0;
    for c in consumed {
        let table = c
            .table()
            .and_then(|t| t.capacity_units())
            .or(c.capacity_units());
        let index = c
            .global_secondary_indexes()
            .map(|g| {
                g.values()
                    .filter_map(|i| i.capacity_units())
                    .fold(0.0, f64::max)
            })
            .unwrap_or(0.0);
        if let Some(units) = table {
            any = true;
            total += units.max(index);
        }
    }
    any.then_some(total)
}
