//! What day 10's planner and load generator must do: the shard maths of
//! Kinesis, and records spread (or not) by their partition keys.

use pitlane::votes::Crowd;
use pitlane_testkit::{
    Fault, PutRecordsFaults, kinesis, kinesis_with, stream_with_shards, unique_name,
};

use crate::sut::{
    Keys, Limit, Load, MAX_RECORDS_PER_PUT, Prices, hash_ranges, monthly_cost, plan, send_votes,
    shard_for_key,
};

/// Small records, one consumer: the vote stream's shape.
fn votes_per_second(records_per_second: f64) -> Load {
    Load {
        records_per_second,
        record_bytes: 70,
        partition_key_bytes: 8,
        consumers: 1,
        enhanced_fan_out: false,
    }
}

#[test]
fn a_shard_takes_a_thousand_small_records_a_second_and_not_one_more() {
    let one = plan(&votes_per_second(1000.0));
    let two = plan(&votes_per_second(1001.0));

    assert_eq!((one.shards, one.binding), (1, Limit::WriteRecords));
    assert_eq!((two.shards, two.binding), (2, Limit::WriteRecords));
    assert_eq!(plan(&votes_per_second(0.5)).shards, 1, "a stream has at least one shard");
}

#[test]
fn large_records_are_bound_by_a_mebibyte_a_second_and_the_key_counts_too() {
    // 256 records/s of 4 KiB: exactly 1 MiB/s of data, plus the keys.
    let load = Load { record_bytes: 4096, partition_key_bytes: 16, ..votes_per_second(256.0) };

    let plan = plan(&load);

    assert_eq!((plan.shards, plan.binding), (2, Limit::WriteBytes));
    assert_eq!(plan.by_write_records, 1);
    let without_key = crate::sut::plan(&Load { partition_key_bytes: 0, ..load });
    assert_eq!(without_key.shards, 1, "without its key the data fits one shard exactly");
}

#[test]
fn standard_consumers_share_two_mebibytes_out_enhanced_fan_out_gives_each_its_own() {
    // 600 KiB/s in, read by five applications: 3 MiB/s out of each shard.
    let load = Load {
        record_bytes: 600,
        partition_key_bytes: 0,
        consumers: 5,
        ..votes_per_second(1024.0)
    };

    let shared = plan(&Load { records_per_second: 1000.0, ..load.clone() });
    let fan_out = plan(&Load { records_per_second: 1000.0, enhanced_fan_out: true, ..load });

    assert_eq!((shared.shards, shared.binding), (2, Limit::ReadBytes));
    assert_eq!((fan_out.shards, fan_out.binding), (1, Limit::WriteRecords));
}

#[test]
fn the_driver_of_the_day_peak_and_what_a_month_costs() {
    // The vote closes: 20,000 votes/s for a minute, two consumers (the
    // counter and the event log); 50 votes/s on average over the month.
    let load = Load { consumers: 2, ..votes_per_second(20_000.0) };

    let plan = plan(&load);
    let cost = monthly_cost(&load, plan.shards, 50.0, &Prices::us_east_1());

    assert_eq!((plan.shards, plan.binding), (20, Limit::WriteRecords));
    assert!(cost.on_demand < cost.provisioned, "a spiky load is cheaper on demand: {cost:?}");
    let rounded = |usd: f64| (usd * 100.0).round() / 100.0;
    insta::assert_json_snapshot!(serde_json::json!({
        "plan": plan,
        "provisioned_usd_per_month": rounded(cost.provisioned),
        "on_demand_usd_per_month": rounded(cost.on_demand),
    }));
}

#[test]
fn a_steady_heavy_load_is_cheaper_provisioned() {
    let load = votes_per_second(900.0);

    let cost = monthly_cost(&load, plan(&load).shards, 900.0, &Prices::us_east_1());

    assert!(cost.provisioned < cost.on_demand, "{cost:?}");
}

/// Writes are billed per PUT payload unit of 25 KB (data and key): a record
/// of up to 25 KB is one unit, a bigger one takes as many as it fills.
#[test]
fn a_record_costs_one_put_unit_per_25_kb_it_starts() {
    let cost = |record_bytes| {
        let load = Load { record_bytes, ..votes_per_second(10.0) };
        monthly_cost(&load, 1, 10.0, &Prices::us_east_1()).provisioned
    };
    let one_unit = cost(100);
    let key = 8; // votes_per_second's partition key

    assert_eq!(cost(25 * 1024 - key), one_unit, "25 KB with its key: still one unit");
    let second_unit = cost(25 * 1024 - key + 1) - one_unit;
    assert!(second_unit > 0.0, "one byte more starts a second unit");
    let two_more = cost(60 * 1024) - one_unit; // 3 units
    assert!((two_more - 2.0 * second_unit).abs() < 1e-6, "{two_more} vs 2 × {second_unit}");
}

#[tokio::test]
async fn a_partition_key_goes_to_the_shard_whose_hash_range_holds_its_md5() {
    let client = kinesis();
    let stream = unique_name("day10-md5");
    stream_with_shards(&client, &stream, 4).await;
    let ranges = hash_ranges(&client, &stream).await.unwrap();
    assert_eq!(ranges.len(), 4);

    for key in ["fan-0001", "fan-0042", "votes", "NOR", "a", "Driver of the Day"] {
        let stored = client
            .put_record()
            .stream_name(&stream)
            .partition_key(key)
            .data(aws_sdk_kinesis::primitives::Blob::new(b"{}".to_vec()))
            .send()
            .await
            .unwrap();
        assert_eq!(shard_for_key(key, &ranges), Some(stored.shard_id()), "key {key:?}");
    }
}

#[tokio::test]
async fn one_key_for_every_vote_sends_every_vote_to_one_shard() {
    let client = kinesis();
    let stream = unique_name("day10-hot");
    stream_with_shards(&client, &stream, 4).await;
    let votes = Crowd::new(10, 500).votes(1200);

    let spread = send_votes(&client, &stream, Keys::Constant, &votes).await.unwrap();

    assert_eq!(spread.per_shard.len(), 4, "every shard is listed, idle ones too");
    assert_eq!(spread.per_shard.values().sum::<u64>(), 1200);
    assert_eq!(spread.hottest_share(), 1.0, "{:?}", spread.per_shard);
    assert_eq!(spread.calls as usize, 1200usize.div_ceil(MAX_RECORDS_PER_PUT));
}

/// A call can store some records and refuse others (a hot shard over its
/// limit): the refused ones are counted as refused, not as stored.
#[tokio::test]
async fn records_a_call_refuses_are_counted_as_refused_not_stored() {
    let faults = PutRecordsFaults::new([Fault::Refuse(vec![0, 7, 42])]);
    let client = kinesis_with(faults);
    let stream = unique_name("day10-refused");
    stream_with_shards(&kinesis(), &stream, 2).await;
    let votes = Crowd::new(10, 100).votes(100);

    let spread = send_votes(&client, &stream, Keys::PerFan, &votes).await.unwrap();

    assert_eq!(spread.refused, 3);
    assert_eq!(spread.per_shard.values().sum::<u64>(), 97);
}

#[tokio::test]
async fn a_key_per_fan_spreads_the_votes_over_every_shard() {
    let client = kinesis();
    let stream = unique_name("day10-spread");
    stream_with_shards(&client, &stream, 4).await;
    let votes = Crowd::new(10, 2000).votes(2000);

    let spread = send_votes(&client, &stream, Keys::PerFan, &votes).await.unwrap();

    assert_eq!(spread.per_shard.values().sum::<u64>(), 2000);
    for (shard, count) in &spread.per_shard {
        assert!((350..=650).contains(count), "{shard} got {count} of 2000 votes, not about 500");
    }
    assert!(spread.hottest_share() < 0.33);
}
