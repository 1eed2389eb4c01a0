//! The governor on a paused tokio clock: time only moves when every task waits, so the figures
//! are exact.

use super::*;
use crate::config::Target;
use aws_sdk_dynamodb::types::{
    Capacity, GlobalSecondaryIndexDescription, ProvisionedThroughputDescription,
};
use aws_sdk_dynamodb::types::{ConsumedCapacity, TableDescription};

fn governor(units: f64) -> Governor {
    Governor::new(
        "t",
        Direction::Write,
        Budget::Rate { units },
        Duration::from_secs(30),
    )
}

/// Takes `units` in requests of `each`, settling each as estimated; returns the seconds spent.
async fn spend(g: &Governor, units: f64, each: f64) -> f64 {
    let start = Instant::now();
    let mut left = units;
    while left > 0.0 {
        g.acquire(each).await.settle(None, true);
        left -= each;
    }
    start.elapsed().as_secs_f64()
}

#[tokio::test(start_paused = true)]
async fn the_bucket_starts_empty_and_refills_at_the_budget() {
    let g = governor(10.0);
    // Nothing is there at once (no burst): every unit comes at 10 units/s.
    let took = spend(&g, 10.0, 1.0).await;
    assert!((took - 1.0).abs() < 0.05, "{took}");
    let took = spend(&g, 100.0, 1.0).await;
    assert!(
        (took - 10.0).abs() < 0.05,
        "100 units at 10/s took {took} s"
    );
    let stats = g.stats();
    assert_eq!(stats.consumed, 110.0);
    assert_eq!(stats.rate, Some(10.0));
}

#[tokio::test(start_paused = true)]
async fn an_idle_bucket_holds_at_most_one_second_of_budget() {
    let g = governor(10.0);
    tokio::time::sleep(Duration::from_secs(60)).await;
    // After a minute idle, only one second's worth is there at once: no burst.
    let took = spend(&g, 10.0, 1.0).await;
    assert!(took < 0.01, "{took}");
    let took = spend(&g, 10.0, 1.0).await;
    assert!((took - 1.0).abs() < 0.05, "{took}");
}

#[tokio::test(start_paused = true)]
async fn settling_with_real_consumption_corrects_the_estimate() {
    let g = governor(10.0);
    // Asked for 1 unit each, but each request really consumed 2: the debt slows the next ones
    // so the rate of real consumption stays at the budget.
    let start = Instant::now();
    for _ in 0..50 {
        g.acquire(1.0).await.settle(Some(2.0), true);
    }
    let took = start.elapsed().as_secs_f64();
    // 100 units consumed at 10 units/s (the last request's debt is still owed): about 9.9 s.
    assert!((9.5..=10.1).contains(&took), "{took}");
    // Cheaper than asked: the difference goes back.
    let g = governor(10.0);
    let start = Instant::now();
    for _ in 0..100 {
        g.acquire(2.0).await.settle(Some(1.0), true);
    }
    let took = start.elapsed().as_secs_f64();
    assert!((9.5..=10.3).contains(&took), "{took}");
}

#[tokio::test(start_paused = true)]
async fn a_request_larger_than_the_bucket_waits_for_a_full_bucket_then_owes() {
    let g = governor(2.0);
    let start = Instant::now();
    // 25 items of 1 KB at 2 WCU/s: sent once the bucket is full (1 s), then 11.5 s of debt
    // (23 units) and 0.5 s for the next unit.
    g.acquire(25.0).await.settle(None, true);
    assert!((start.elapsed().as_secs_f64() - 1.0).abs() < 0.05);
    g.acquire(1.0).await.settle(None, true);
    let took = start.elapsed().as_secs_f64();
    assert!((took - 13.0).abs() < 0.1, "{took}");
}

#[tokio::test(start_paused = true)]
async fn throttling_halves_the_rate_once_per_second_then_it_grows_back() {
    let g = governor(100.0);
    g.throttled(1);
    // Many requests in flight throttled at once: one decrease, not one per request.
    g.throttled(1);
    g.throttled(1);
    assert_eq!(g.rate(), Some(50.0));
    assert_eq!(g.stats().throttled, 3);
    tokio::time::advance(Duration::from_millis(1_100)).await;
    let after = g.rate().unwrap();
    g.throttled(1);
    assert!((g.rate().unwrap() - after / 2.0).abs() < 1e-9);
    // Additive increase: a tenth of the budget per second, up to the budget, never past it.
    let low = g.rate().unwrap();
    tokio::time::advance(Duration::from_secs(2)).await;
    assert!((g.rate().unwrap() - (low + 20.0)).abs() < 1e-6);
    tokio::time::advance(Duration::from_secs(60)).await;
    assert_eq!(g.rate(), Some(100.0));
    // Never below a hundredth of the budget.
    for _ in 0..20 {
        g.throttled(1);
        tokio::time::advance(DECREASE_EVERY).await;
        // (no time for the rate to grow between: read it at once)
    }
    assert!(g.stats().rate.unwrap() >= 1.0);
}

#[tokio::test(start_paused = true)]
async fn a_throttled_job_waits_for_the_rate_it_was_given() {
    let g = governor(10.0);
    g.throttled(1);
    // Right after a throttle the bucket is empty and the rate is 5/s (growing by 1/s).
    let start = Instant::now();
    g.acquire(5.0).await.settle(None, true);
    let took = start.elapsed().as_secs_f64();
    assert!((0.7..=1.01).contains(&took), "{took}");
}

#[tokio::test(start_paused = true)]
async fn no_budget_never_waits_and_still_counts() {
    let g = Governor::unlimited("t", Direction::Read);
    let took = spend(&g, 10_000.0, 100.0).await;
    assert_eq!(took, 0.0);
    assert_eq!(g.stats().consumed, 10_000.0);
    assert_eq!(g.stats().rate, None);
    g.throttled(1);
    assert_eq!(g.rate(), None);
}

#[tokio::test(start_paused = true)]
async fn the_stall_timeout_counts_from_the_last_progress() {
    let g = governor(10.0);
    tokio::time::advance(Duration::from_secs(29)).await;
    g.check_stall(None).unwrap();
    g.acquire(1.0).await.settle(None, true);
    tokio::time::advance(Duration::from_secs(29)).await;
    g.check_stall(None).unwrap();
    // A request that did nothing (everything came back) is not progress.
    g.acquire(1.0).await.settle(Some(0.0), false);
    tokio::time::advance(Duration::from_secs(2)).await;
    g.throttled(25);
    g.set_resume("re-run with the same --checkpoint c.json");
    let err = g
        .check_stall(Some("ProvisionedThroughputExceededException"))
        .unwrap_err();
    let text = format!("{err:#}");
    for word in [
        "table t",
        "10 WCU/s",
        "--stall-timeout",
        "25 throttled",
        "c.json",
        "ProvisionedThroughputExceededException",
    ] {
        assert!(text.contains(word), "{word:?} not in {text}");
    }
}

#[test]
fn budgets_from_the_table_and_the_flags() {
    let pt = |r: i64, w: i64| {
        ProvisionedThroughputDescription::builder()
            .read_capacity_units(r)
            .write_capacity_units(w)
            .build()
    };
    let table = TableDescription::builder()
        .provisioned_throughput(pt(100, 100))
        .global_secondary_indexes(
            GlobalSecondaryIndexDescription::builder()
                .index_name("g")
                .provisioned_throughput(pt(50, 40))
                .build(),
        )
        .build();
    let flags = CapacityFlags::default();
    // Prod: half the tightest for writes (the index), half the table's for reads.
    assert_eq!(
        budget_for(Some(&table), Direction::Write, &flags, Target::Prod),
        Budget::Rate { units: 20.0 }
    );
    assert_eq!(
        budget_for(Some(&table), Direction::Read, &flags, Target::Prod),
        Budget::Rate { units: 50.0 }
    );
    // Local: none unless asked for.
    assert_eq!(
        budget_for(Some(&table), Direction::Write, &flags, Target::Local),
        Budget::Unlimited
    );
    let share = CapacityFlags {
        share_pct: Some(100),
        ..flags
    };
    assert_eq!(
        budget_for(Some(&table), Direction::Write, &share, Target::Local),
        Budget::Rate { units: 40.0 }
    );
    let outright = CapacityFlags {
        max_wcu: Some(7.5),
        share_pct: Some(10),
        ..flags
    };
    assert_eq!(
        budget_for(Some(&table), Direction::Write, &outright, Target::Prod),
        Budget::Rate { units: 7.5 }
    );
    assert_eq!(
        budget_for(Some(&table), Direction::Read, &outright, Target::Prod),
        Budget::Rate { units: 10.0 }
    );
    // On-demand: adaptive from the documented start.
    let on_demand = TableDescription::builder()
        .provisioned_throughput(pt(0, 0))
        .build();
    assert_eq!(
        budget_for(Some(&on_demand), Direction::Write, &flags, Target::Prod),
        Budget::Adaptive {
            start: ON_DEMAND_START_WCU
        }
    );
}

#[test]
fn bad_flags_are_refused() {
    let bad = |f: CapacityFlags| format!("{:#}", f.validate().unwrap_err());
    let base = CapacityFlags::default();
    assert!(bad(CapacityFlags {
        share_pct: Some(0),
        ..base
    })
    .contains("1 to 100"));
    assert!(bad(CapacityFlags {
        share_pct: Some(101),
        ..base
    })
    .contains("1 to 100"));
    assert!(bad(CapacityFlags {
        max_wcu: Some(0.0),
        ..base
    })
    .contains("--max-wcu"));
    assert!(bad(CapacityFlags {
        max_rcu: Some(f64::NAN),
        ..base
    })
    .contains("--max-rcu"));
    base.validate().unwrap();
}

#[test]
fn units_of_items_pages_and_answers() {
    assert_eq!(write_units(1), 1.0);
    assert_eq!(write_units(1024), 1.0);
    assert_eq!(write_units(1025), 2.0);
    assert_eq!(write_units(0), 1.0);
    assert_eq!(scan_units(1), 0.5);
    assert_eq!(scan_units(4096 * 3 + 1), 2.0);
    let answer = [ConsumedCapacity::builder()
        .table_name("t")
        .capacity_units(9.0)
        .table(Capacity::builder().capacity_units(3.0).build())
        .global_secondary_indexes("g", Capacity::builder().capacity_units(6.0).build())
        .build()];
    assert_eq!(consumed_units(&answer), Some(6.0));
    assert_eq!(consumed_units(&[]), None);
    assert_eq!(units_text(2.5), "2.5");
    assert_eq!(units_text(50.0), "50");
}
