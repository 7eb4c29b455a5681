//! What day 10's planner and load generator must do: the shard maths of
//! Kinesis, and records spread (or not) by their partition keys.

use pitlane::votes::{Crowd, Vote};
use pitlane_testkit::{
    Fault, PutRecordsFaults, kinesis, kinesis_with, read_all, stream_with_shards, unique_name,
};

use crate::sut::{
    Counting, Keys, Limit, Load, MAX_RECORDS_PER_PUT, MonthlyCost, Prices, TableWrites,
    hash_ranges, monthly_cost, plan, send_votes, shard_for_key, table_plan,
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

/// Day 07's consumer: the fan's vote and the driver's count, small items,
/// written in one transaction.
const VOTE_AND_COUNT: TableWrites =
    TableWrites { items_per_record: 2, item_bytes: 100, transactional: true };

/// A month of `load` at `average` records/s, on `shards` shards.
fn month(load: &Load, shards: u32, average: f64, prices: &Prices) -> MonthlyCost {
    monthly_cost(load, shards, average, &VOTE_AND_COUNT, prices)
}

/// Records in a month (730 hours) at `average` records/s.
fn records_in_a_month(average: f64) -> f64 {
    average * 730.0 * 3600.0
}

/// Bytes in a GB as AWS bills them.
const GB: f64 = 1_073_741_824.0;

#[track_caller]
fn assert_close(actual: f64, expected: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= 1e-9 * expected.abs().max(1.0),
        "{what}: {actual}, expected {expected}"
    );
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
    // 1,000 records/s of 600 bytes (about 586 KiB/s), read by five
    // applications: about 2.86 MiB/s out of each shard, over its 2 MiB/s.
    let load = Load {
        record_bytes: 600,
        partition_key_bytes: 0,
        consumers: 5,
        ..votes_per_second(1000.0)
    };

    let shared = plan(&Load { records_per_second: 1000.0, ..load.clone() });
    let fan_out = plan(&Load { records_per_second: 1000.0, enhanced_fan_out: true, ..load });

    assert_eq!((shared.shards, shared.binding), (2, Limit::ReadBytes));
    assert_eq!((fan_out.shards, fan_out.binding), (1, Limit::WriteRecords));

    // What is read is the data: the key is not read back. With a key as
    // large as the data, the reads still fit two shards.
    let keyed =
        Load { partition_key_bytes: 600, records_per_second: 1000.0, ..votes_per_second(1.0) };
    let keyed = plan(&Load { record_bytes: 600, consumers: 5, ..keyed });
    assert_eq!(keyed.by_read_bytes, 2, "the key is not read back as data");
    // A stream nobody reads yet is still sized for one reader.
    let unread = Load {
        record_bytes: 1000,
        partition_key_bytes: 0,
        consumers: 0,
        ..votes_per_second(3000.0)
    };
    let one_reader = Load { consumers: 1, ..unread.clone() };
    assert_eq!(
        plan(&unread).by_read_bytes,
        plan(&one_reader).by_read_bytes,
        "a stream nobody reads yet is sized for one reader (zero consumers is not zero reads)"
    );
    assert_eq!(plan(&one_reader).by_read_bytes, 2, "3 MB/s for one reader");
}

/// An empty record still takes a PUT unit, a kilobyte of on-demand data in,
/// and its item a write unit: AWS bills started units, never zero.
#[test]
fn an_empty_record_still_costs_a_whole_unit_of_each() {
    let empty = Load { record_bytes: 0, partition_key_bytes: 1, ..votes_per_second(100.0) };
    let put_units = Prices { million_put_units: 1.0, ..Prices::default() };
    let gb_in = Prices { on_demand_gb_in: 1.0, ..Prices::default() };
    let records = records_in_a_month(100.0);
    let empty_items = TableWrites { items_per_record: 1, item_bytes: 0, transactional: false };

    assert_close(
        month(&empty, 1, 100.0, &put_units).provisioned,
        records / 1e6,
        "one PUT unit each",
    );
    assert_close(
        month(&empty, 1, 100.0, &gb_in).on_demand_standard,
        records * 1024.0 / GB,
        "1 KB each",
    );
    let units =
        monthly_cost(&empty, 1, 100.0, &empty_items, &Prices::default()).write_request_units;
    assert_close(units, records, "one write unit per item, however small");
}

#[test]
fn the_driver_of_the_day_peak_and_what_a_month_costs() {
    // The vote closes: 20,000 votes/s for a minute, two consumers (the
    // counter and the event log); 50 votes/s on average over the month.
    let load = Load { consumers: 2, ..votes_per_second(20_000.0) };

    let plan = plan(&load);
    let cost = month(&load, plan.shards, 50.0, &Prices::us_east_1());
    // The tables at the same peak, 60 % of the votes for the favourite.
    let per_vote = table_plan(20_000.0, 0.6, Counting::PerVote, &Prices::us_east_1());
    let per_batch = table_plan(20_000.0, 0.6, DAY_11, &Prices::us_east_1());

    assert_eq!((plan.shards, plan.binding), (20, Limit::WriteRecords));
    assert!(
        cost.on_demand_standard < cost.provisioned,
        "a spiky load is cheaper on demand than 20 shards kept all month: {cost:?}"
    );
    assert!(
        cost.on_demand_standard < cost.on_demand_advantage,
        "a small stream pays Advantage's commitment for throughput it never uses: {cost:?}"
    );
    let rounded = |usd: f64| (usd * 100.0).round() / 100.0;
    insta::assert_json_snapshot!(serde_json::json!({
        "plan": plan,
        "provisioned_usd_per_month": rounded(cost.provisioned),
        "on_demand_standard_usd_per_month": rounded(cost.on_demand_standard),
        "on_demand_advantage_usd_per_month": rounded(cost.on_demand_advantage),
        "dynamodb_write_request_units_per_month": cost.write_request_units,
        "tables_counted_per_vote": per_vote,
        "tables_counted_per_batch": per_batch,
    }));
}

/// Day 11's consumer: batches of 100, the grid's 22 drivers.
const DAY_11: Counting = Counting::PerBatch { batch_size: 100, drivers: 22 };

/// Only DynamoDB's on-demand write price, at $1 per million units.
fn dollar_per_million_writes() -> Prices {
    Prices { dynamodb_million_write_units: 1.0, ..Prices::default() }
}

#[test]
fn counted_per_vote_a_vote_costs_4_units_and_the_favourite_caps_the_whole_system() {
    let tables = table_plan(20_000.0, 0.6, Counting::PerVote, &dollar_per_million_writes());
    assert_close(tables.write_units_per_second, 80_000.0, "two transactional writes per vote");
    assert_close(tables.hottest_item_units_per_second, 24_000.0, "the favourite's 12,000 votes");
    assert_close(tables.max_votes_per_second, 1_000.0 / 1.2, "1,000 units / (0.6 × 2)");
    assert!(!tables.fits);
    assert_close(tables.usd_per_million_votes, 4.0, "4 units a vote");
}

#[test]
fn counted_per_batch_the_favourite_takes_one_write_per_group_whatever_its_share() {
    for share in [0.3, 0.6, 0.9] {
        let tables = table_plan(20_000.0, share, DAY_11, &dollar_per_million_writes());
        // 100 votes need 2 groups of at most 78 votes (100 actions − 22
        // drivers): 200 batches a second, 2 writes of 2 units each on the
        // favourite's item.
        assert_close(
            tables.hottest_item_units_per_second,
            800.0,
            "2 groups × 2 units × 200 batches",
        );
        assert!(tables.fits, "{tables:?}");
        assert_close(tables.max_votes_per_second, 25_000.0, "1,000 units / 0.04 per vote");
        // A put and a mark per vote (3 units), and 2 × 22 counts of 2 units per batch.
        assert_close(tables.write_units_per_second, 20_000.0 * 3.88, "3.88 units a vote");
        assert_close(tables.usd_per_million_votes, 3.88, "3.88 units a vote");
    }
    // A batch of 90 votes: a group of 78 (22 drivers) and one of 12 votes,
    // which counts at most 12 drivers: 34 counts, not 44.
    let ninety = table_plan(
        9_000.0,
        0.6,
        Counting::PerBatch { batch_size: 90, drivers: 22 },
        &dollar_per_million_writes(),
    );
    assert_close(
        ninety.write_units_per_second,
        9_000.0 * (3.0 + 34.0 * 2.0 / 90.0),
        "34 counts a batch",
    );
    assert_close(
        ninety.hottest_item_units_per_second,
        100.0 * 2.0 * 2.0,
        "100 batches × 2 groups × 2 units",
    );
    // A batch of 10 votes: one group, at most 10 drivers in it.
    let small = table_plan(
        1_000.0,
        0.6,
        Counting::PerBatch { batch_size: 10, drivers: 22 },
        &dollar_per_million_writes(),
    );
    assert_close(small.hottest_item_units_per_second, 200.0, "100 batches × 1 group × 2 units");
    assert_close(
        small.write_units_per_second,
        1_000.0 * (3.0 + 10.0 * 2.0 / 10.0),
        "5 units a vote",
    );
}

#[test]
fn a_peak_exactly_at_a_partitions_limit_fits_and_one_vote_more_does_not() {
    let prices = Prices::default();
    assert!(table_plan(1_000.0, 0.5, Counting::PerVote, &prices).fits, "1,000 units fit");
    assert!(!table_plan(1_001.0, 0.5, Counting::PerVote, &prices).fits);
    let nobody = table_plan(1_000.0, 0.0, Counting::PerVote, &prices);
    assert!(nobody.fits && nobody.max_votes_per_second.is_infinite(), "{nobody:?}");
}

#[test]
fn a_steady_heavy_load_is_cheaper_provisioned() {
    let load = votes_per_second(900.0);

    let cost = month(&load, plan(&load).shards, 900.0, &Prices::us_east_1());

    assert!(cost.provisioned < cost.on_demand_standard, "{cost:?}");
}

/// Above the commitment, Advantage's lower data prices beat Standard's.
#[test]
fn a_stream_bigger_than_the_commitment_is_cheaper_on_advantage_than_on_standard() {
    // 40,000 records/s of 1 KB with their keys: about 39 MiB/s in.
    let load = Load { record_bytes: 1000, partition_key_bytes: 24, ..votes_per_second(40_000.0) };

    let cost = month(&load, plan(&load).shards, 40_000.0, &Prices::us_east_1());

    assert!(cost.on_demand_advantage < cost.on_demand_standard, "{cost:?}");
}

/// Writes are billed per PUT payload unit of 25 KB (data and key): a record
/// of up to 25 KB is one unit, a bigger one takes as many as it fills.
#[test]
fn a_record_costs_one_put_unit_per_25_kb_it_starts() {
    let cost = |record_bytes| {
        let load = Load { record_bytes, ..votes_per_second(10.0) };
        month(&load, 1, 10.0, &Prices::us_east_1()).provisioned
    };
    let one_unit = cost(100);
    let key = 8; // votes_per_second's partition key

    assert_eq!(cost(25 * 1024 - key), one_unit, "25 KB with its key: still one unit");
    let second_unit = cost(25 * 1024 - key + 1) - one_unit;
    assert!(second_unit > 0.0, "one byte more starts a second unit");
    let two_more = cost(60 * 1024) - one_unit; // 3 units
    assert!((two_more - 2.0 * second_unit).abs() < 1e-6, "{two_more} vs 2 × {second_unit}");
}

/// On demand, data in is billed per record rounded up to 1 KB (1,024 bytes,
/// data and key): a 78-byte vote is billed as a kilobyte, in Standard and in
/// Advantage alike.
#[test]
fn on_demand_bills_each_record_written_as_whole_kilobytes() {
    let gb_in = |record_bytes| {
        let load = Load { record_bytes, ..votes_per_second(100.0) };
        let standard = Prices { on_demand_gb_in: 1.0, ..Prices::default() };
        let advantage = Prices { advantage_gb_in: 1.0, ..Prices::default() };
        (
            month(&load, 1, 100.0, &standard).on_demand_standard,
            month(&load, 1, 100.0, &advantage).on_demand_advantage,
        )
    };
    let key = 8;
    let one_kb = records_in_a_month(100.0) * 1024.0 / GB;

    let (standard, advantage) = gb_in(70);
    assert_close(standard, one_kb, "Standard, a 78-byte record counts as 1 KB");
    assert_close(advantage, one_kb, "Advantage, a 78-byte record counts as 1 KB");
    assert_close(gb_in(1024 - key).0, one_kb, "exactly 1 KB with its key");
    assert_close(gb_in(1024 - key + 1).0, 2.0 * one_kb, "one byte more: 2 KB");
    assert_close(gb_in(4608 - key).1, 5.0 * one_kb, "AWS's example: 4.5 KB counts as 5 KB");
}

/// What is read is not rounded: the data of each record, byte for byte,
/// once for each consumer (the key is not read back as data).
#[test]
fn on_demand_bills_the_bytes_each_consumer_reads() {
    let load = Load { consumers: 3, ..votes_per_second(100.0) };
    let standard = Prices { on_demand_gb_out: 1.0, ..Prices::default() };
    let advantage = Prices { advantage_gb_out: 1.0, ..Prices::default() };
    let read = records_in_a_month(100.0) * 70.0 * 3.0 / GB;

    assert_close(month(&load, 1, 100.0, &standard).on_demand_standard, read, "Standard");
    assert_close(month(&load, 1, 100.0, &advantage).on_demand_advantage, read, "Advantage");
    let nobody = Load { consumers: 0, ..load };
    assert_close(
        month(&nobody, 1, 100.0, &standard).on_demand_standard,
        read / 3.0,
        "a stream has at least one reader",
    );
}

/// Standard charges every stream by the hour, used or not; Advantage has no
/// per-stream charge at all.
#[test]
fn standard_bills_the_stream_by_the_hour_and_advantage_does_not() {
    let hourly = Prices { on_demand_stream_hour: 1.0, ..Prices::default() };
    let load = votes_per_second(100.0);

    for average in [0.0, 100.0] {
        let cost = month(&load, 1, average, &hourly);
        assert_close(cost.on_demand_standard, 730.0, "Standard: 730 stream-hours");
        assert_close(cost.on_demand_advantage, 0.0, "Advantage: no stream-hours");
    }
}

/// Advantage bills data in at the committed throughput at least: an idle
/// stream pays for all of it, a stream above it pays for what it sends.
#[test]
fn advantage_bills_at_least_the_committed_throughput() {
    let committed = Prices {
        advantage_gb_in: 1.0,
        advantage_commitment_mib_per_second: 1.0,
        ..Prices::default()
    };
    let one_mib_a_second_for_a_month = 1_048_576.0 * 730.0 * 3600.0 / GB; // 2,566.40625 GB
    let small = votes_per_second(100.0); // 100 KB/s billed: under 1 MiB/s
    let big = Load { record_bytes: 2040, ..votes_per_second(1000.0) }; // 2 KB each: 1.95 MiB/s

    let idle = month(&small, 1, 0.0, &committed).on_demand_advantage;
    let under = month(&small, 1, 100.0, &committed).on_demand_advantage;
    let over = month(&big, 2, 1000.0, &committed).on_demand_advantage;

    assert_close(idle, one_mib_a_second_for_a_month, "idle: the commitment");
    assert_close(under, one_mib_a_second_for_a_month, "under it: still the commitment");
    assert_close(over, records_in_a_month(1000.0) * 2048.0 / GB, "over it: what is sent");
}

/// The provisioned bill does not depend on the on-demand prices, nor the
/// on-demand bills on the shards.
#[test]
fn each_mode_is_billed_by_its_own_prices() {
    let load = votes_per_second(100.0);
    let provisioned_only = Prices { shard_hour: 1.0, million_put_units: 1.0, ..Prices::default() };
    let on_demand_only = Prices { shard_hour: 0.0, million_put_units: 0.0, ..Prices::us_east_1() };

    let cost = month(&load, 3, 100.0, &provisioned_only);
    assert_close(cost.provisioned, 3.0 * 730.0 + records_in_a_month(100.0) / 1e6, "provisioned");
    assert_eq!((cost.on_demand_standard, cost.on_demand_advantage), (0.0, 0.0));
    let (two, three) =
        (month(&load, 2, 100.0, &on_demand_only), month(&load, 3, 100.0, &on_demand_only));
    assert_eq!(two.provisioned, 0.0);
    assert_eq!(
        (two.on_demand_standard, two.on_demand_advantage),
        (three.on_demand_standard, three.on_demand_advantage),
        "on demand, nobody pays for shards"
    );
}

/// DynamoDB bills write request units: one per started kilobyte of each
/// item, and twice that in a transaction.
#[test]
fn a_transactional_write_takes_twice_the_write_request_units() {
    let load = votes_per_second(10.0);
    let units = |writes: TableWrites| {
        monthly_cost(&load, 1, 10.0, &writes, &Prices::default()).write_request_units
    };
    let records = records_in_a_month(10.0);

    assert_close(units(VOTE_AND_COUNT), records * 2.0 * 2.0, "2 small items, transactional");
    let plain = TableWrites { transactional: false, ..VOTE_AND_COUNT };
    assert_close(units(plain.clone()), records * 2.0, "2 small items, one by one");
    let one_kb = TableWrites { item_bytes: 1024, ..plain.clone() };
    assert_close(units(one_kb), records * 2.0, "1 KB: still one unit an item");
    let over = TableWrites { item_bytes: 1025, ..plain };
    assert_close(units(over.clone()), records * 2.0 * 2.0, "1 KB and a byte: two units");
    let both = TableWrites { transactional: true, ..over };
    assert_close(units(both), records * 2.0 * 2.0 * 2.0, "two units, twice");
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
    // One shard takes 1,000 records a second (the local backend throttles as
    // AWS does): 1,000 votes are all stored however fast they are sent.
    let votes = Crowd::new(10, 500).votes(1000);

    let spread = send_votes(&client, &stream, Keys::Constant, &votes).await.unwrap();

    assert_eq!(spread.per_shard.len(), 4, "every shard is listed, idle ones too");
    assert_eq!(spread.per_shard.values().sum::<u64>(), 1000);
    assert_eq!(spread.hottest_share(), 1.0, "{:?}", spread.per_shard);
    assert_eq!(
        spread.calls as usize,
        1000usize.div_ceil(MAX_RECORDS_PER_PUT),
        "1,000 votes take two calls of at most {MAX_RECORDS_PER_PUT} records"
    );
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

    assert_eq!(spread.refused, 3, "three records were refused (their answers carry an ErrorCode)");
    assert_eq!(
        spread.per_shard.values().sum::<u64>(),
        97,
        "the three refused records are not stored anywhere"
    );
}

/// The spread names every shard, idle ones too, so it needs the stream's
/// shards: when listing them fails, that is an error, not a spread that
/// silently leaves shards out.
#[tokio::test]
async fn a_failed_shard_listing_is_an_error_not_a_spread_without_shards() {
    use aws_sdk_kinesis::operation::list_shards::ListShardsInput;
    let stream = unique_name("day10-no-listing");
    stream_with_shards(&kinesis(), &stream, 2).await;
    let client = kinesis_with(pitlane_testkit::CallFaults::<ListShardsInput>::new([true]));
    let votes = Crowd::new(10, 10).votes(10);

    let result = send_votes(&client, &stream, Keys::PerFan, &votes).await;

    assert!(
        result.is_err(),
        "listing the stream's shards failed: the spread cannot name them all, so that is an \
         error, not {result:?}"
    );
}

/// A call that fails as a whole (the network, the stream gone) stored none
/// of its records and refused none either: the caller must hear of it, not
/// get a spread that is silently missing those records.
#[tokio::test]
async fn a_failed_call_is_an_error_not_a_smaller_spread() {
    let client = kinesis_with(PutRecordsFaults::new([Fault::Pass, Fault::FailCall]));
    let stream = unique_name("day10-failed-call");
    stream_with_shards(&kinesis(), &stream, 2).await;
    let votes = Crowd::new(10, 600).votes(600);

    let result = send_votes(&client, &stream, Keys::PerFan, &votes).await;

    assert!(
        result.is_err(),
        "the second PutRecords call failed, and its 100 records were neither stored nor \
         refused: that is an error, not a spread of 500 records; got {result:?}"
    );
}

/// What the load generator writes is real traffic: each record is its vote
/// as JSON (what the consumers read), under the key asked for.
#[tokio::test]
async fn each_record_is_the_vote_as_json_keyed_as_asked() {
    let client = kinesis();
    let stream = unique_name("day10-records");
    stream_with_shards(&client, &stream, 2).await;
    let votes = Crowd::new(10, 100).votes(100);

    send_votes(&client, &stream, Keys::PerFan, &votes).await.unwrap();

    let mut stored: Vec<String> = read_all(&client, &stream)
        .await
        .iter()
        .map(|(_, record)| {
            let vote: Vote = serde_json::from_slice(record.data().as_ref()).unwrap_or_else(|e| {
                panic!(
                    "a record's data is not the vote as JSON ({e}): {:?}",
                    String::from_utf8_lossy(record.data().as_ref())
                )
            });
            assert_eq!(record.partition_key(), Some(vote.user.as_str()), "a fan's key is the fan");
            serde_json::to_string(&vote).unwrap()
        })
        .collect();
    let mut sent: Vec<String> = votes.iter().map(|v| serde_json::to_string(v).unwrap()).collect();
    stored.sort();
    sent.sort();
    assert_eq!(stored, sent, "the stream holds the votes sent, each once");
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
