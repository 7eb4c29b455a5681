//! What day 11's consumer must do: run a batch's lanes side by side within a
//! bound, keep each fan's records in order, count a popular driver once per
//! transaction, and stay exactly once through a crash at any point and
//! through any retry.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_runtime::LambdaEvent;
use pitlane::lambda::{KinesisEvent, KinesisEventRecord, batch};
use pitlane::votes::Vote;
use pitlane_esm::{EsmConfig, InProcess, run_until_caught_up};
use pitlane_testkit::{
    Call, ExpectedVotes, FaultProxy, Reply, all_records, dynamodb, expected_votes, fixture,
    random_faults, scan_all, stream_holding, table_state, unique_name, vote_counts,
};

use crate::sut::{
    Acceptance, CONCURRENCY, Consumer, MAX_TRANSACTION_ACTIONS, PendingVote, RetryPolicy, Tables,
    accept, count, count_transaction, create_tables, handle, lanes, transaction_groups,
};

/// The most a vote can be, as day 09 reads it.
const MAX_VOTE_BYTES: usize = 2048;

async fn new_tables(prefix: &str) -> Tables {
    let tables = Tables {
        votes: unique_name(&format!("{prefix}-votes")),
        results: unique_name(&format!("{prefix}-results")),
        dead_letters: unique_name(&format!("{prefix}-dead")),
    };
    create_tables(&dynamodb(), &tables).await.unwrap();
    tables
}

/// A consumer whose calls go through `proxy`, without the SDK's own retries
/// (so that the retries tested are yours), retrying 3 times without waiting.
fn consumer(proxy: &FaultProxy, tables: &Tables) -> Consumer {
    Consumer { client: proxy.dynamodb(1), tables: tables.clone(), retry: RetryPolicy::immediate(3) }
}

/// A realistic sequence number, the `n`th of the shard.
fn seq(n: usize) -> String {
    format!("4966{n:052}")
}

/// One record as Lambda delivers it: `data` under partition key `key`, the
/// `n`th of shard 0.
fn record(key: &str, data: &[u8], n: usize) -> KinesisEventRecord {
    let mut record = KinesisEventRecord::default();
    record.kinesis.partition_key = key.to_owned();
    record.kinesis.sequence_number = seq(n);
    record.kinesis.data.extend_from_slice(data);
    record.event_id = Some(format!("shardId-000000000000:{}", seq(n)));
    record.event_source_arn =
        Some("arn:aws:kinesis:us-east-1:123456789012:stream/day11".to_owned());
    record
}

fn vote(user: &str, driver: &str) -> Vote {
    Vote {
        vote: driver.to_owned(),
        user: user.to_owned(),
        voted_at: "2026-07-05T15:32:00Z".parse().unwrap(),
    }
}

/// The record of `vote`, keyed by its fan as the vote API keys it.
fn vote_record(vote: &Vote, n: usize) -> KinesisEventRecord {
    record(&vote.user, &serde_json::to_vec(vote).unwrap(), n)
}

/// `count` votes from `count` different fans, `hot` of them for VER and
/// the rest spread over four other drivers.
fn hot_batch(count: usize, hot: usize) -> KinesisEvent {
    let others = ["NOR", "LEC", "HAM", "PIA"];
    batch(
        (0..count)
            .map(|i| {
                let driver = if i < hot { "VER" } else { others[i % others.len()] };
                vote_record(&vote(&format!("fan-{i:04}"), driver), i)
            })
            .collect(),
    )
}

fn expected(records: &[KinesisEventRecord]) -> ExpectedVotes {
    expected_votes(records, MAX_VOTE_BYTES)
}

async fn counts(tables: &Tables) -> BTreeMap<String, u64> {
    vote_counts(&dynamodb(), &tables.results).await
}

fn failed(response: &aws_lambda_events::event::streams::KinesisEventResponse) -> Vec<String> {
    response.batch_item_failures.iter().map(|f| f.item_identifier.clone().unwrap()).collect()
}

/// The batch from record `from` on: what the mapping redelivers after a
/// reported failure.
fn from(event: &KinesisEvent, sequence_number: &str) -> KinesisEvent {
    let start = event
        .records
        .iter()
        .position(|r| r.kinesis.sequence_number == sequence_number)
        .expect("the reported record is in the batch");
    batch(event.records[start..].to_vec())
}

/// Delivers `event` until no record is reported, as the mapping does (each
/// time from the reported record on); at most `deliveries` times.
async fn deliver_until_done(consumer: &Consumer, event: &KinesisEvent, deliveries: usize) {
    let mut next = event.clone();
    for _ in 0..deliveries {
        let response = handle(consumer, next.clone(), CONCURRENCY).await;
        match failed(&response).as_slice() {
            [] => return,
            [first] => next = from(&next, first),
            more => panic!("report one record, the first not done; got {more:?}"),
        }
    }
    panic!("the batch was still failing after {deliveries} deliveries");
}

/// A plan: what `decide` says for the calls of `operation`, the others forwarded.
fn on(
    operation: &'static str,
    mut decide: impl FnMut(&Call) -> Reply + Send + 'static,
) -> impl FnMut(&Call) -> Reply + Send + 'static {
    move |call| if call.operation == operation { decide(call) } else { Reply::Forward }
}

/// The item of `user` in the votes table, as readable strings.
async fn vote_item(tables: &Tables, user: &str) -> Option<BTreeMap<String, String>> {
    let item = dynamodb()
        .get_item()
        .table_name(&tables.votes)
        .key("user", AttributeValue::S(user.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item?;
    Some(item.into_iter().map(|(name, value)| (name, format!("{value:?}"))).collect())
}

#[test]
fn each_keys_records_stay_in_one_lane_in_batch_order() {
    let keys = ["a", "b", "a", "c", "b", "a"];
    let records: Vec<_> = keys.iter().enumerate().map(|(n, k)| record(k, b"{}", n)).collect();
    assert_eq!(lanes(&records), vec![vec![0, 2, 5], vec![1, 4], vec![3]]);
    assert_eq!(lanes(&[]), Vec::<Vec<usize>>::new());
    // The lanes come in the order of their first record, not of their keys:
    // the batch's first records are the first sent.
    let keys = ["fan-9", "fan-1", "fan-5", "fan-1"];
    let records: Vec<_> = keys.iter().enumerate().map(|(n, k)| record(k, b"{}", n)).collect();
    assert_eq!(
        lanes(&records),
        vec![vec![0], vec![1, 3], vec![2]],
        "the lanes must come in the order of their first record (fan-9 first), \
         not sorted by key nor in a HashMap's order"
    );
}

#[tokio::test]
async fn a_vote_is_accepted_once_and_a_redelivery_finds_its_own_vote_pending_then_counted() {
    let tables = new_tables("day11-accept").await;
    let proxy = FaultProxy::dynamodb_with(|_: &Call| Reply::Forward).await;
    let consumer = consumer(&proxy, &tables);
    let first = vote("fan-0001", "NOR");

    assert_eq!(accept(&consumer, &first, &seq(7)).await.unwrap(), Acceptance::Pending);
    let stored = vote_item(&tables, "fan-0001").await.expect("the fan's item");
    assert_eq!(
        stored.keys().map(String::as_str).collect::<Vec<_>>(),
        ["sequenceNumber", "user", "vote", "votedAt"],
        "the item holds the vote as day 07 stores it, and no mark yet"
    );
    assert!(stored["votedAt"].contains("2026-07-05T15:32:00"), "{stored:?}");
    assert!(stored["sequenceNumber"].contains(&seq(7)), "{stored:?}");

    // The same record again (a redelivery after a crash): still to count.
    assert_eq!(accept(&consumer, &first, &seq(7)).await.unwrap(), Acceptance::Pending);
    // Another record of the same fan: a second vote, not counted.
    let second = vote("fan-0001", "HAM");
    assert_eq!(accept(&consumer, &second, &seq(9)).await.unwrap(), Acceptance::Duplicate);

    let pending = PendingVote {
        index: 0,
        user: first.user.clone(),
        driver: first.vote.clone(),
        sequence_number: seq(7),
    };
    assert_eq!(count(&consumer, &[pending]).await.unwrap(), 1);
    // Counted: a redelivery finds it done, and the put changed nothing.
    let marked = vote_item(&tables, "fan-0001").await.unwrap();
    assert_eq!(accept(&consumer, &first, &seq(7)).await.unwrap(), Acceptance::AlreadyCounted);
    assert_eq!(
        vote_item(&tables, "fan-0001").await.unwrap(),
        marked,
        "an item is never overwritten"
    );
    assert_eq!(accept(&consumer, &second, &seq(9)).await.unwrap(), Acceptance::Duplicate);
    assert_eq!(counts(&tables).await, BTreeMap::from([("NOR".to_owned(), 1)]));
}

#[tokio::test]
async fn a_failed_put_is_an_error_not_a_duplicate() {
    let tables = new_tables("day11-put-fails").await;
    let proxy = FaultProxy::dynamodb_with(|_: &Call| Reply::Throttle).await;
    let result = accept(&consumer(&proxy, &tables), &vote("fan-0001", "NOR"), &seq(1)).await;
    assert!(result.is_err(), "a throttled put accepted nothing: {result:?}");
}

#[test]
fn the_count_transaction_marks_each_vote_then_adds_once_per_driver_in_name_order() {
    let tables = Tables { votes: "V".into(), results: "R".into(), dead_letters: "D".into() };
    let pending: Vec<PendingVote> = [
        ("a", "VER"),
        ("b", "NOR"),
        ("c", "VER"),
        ("d", "LEC"),
        ("e", "VER"),
        ("f", "NOR"),
        ("g", "PIA"),
        ("h", "ALO"),
        ("i", "HAM"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (user, driver))| PendingVote {
        index: i,
        user: (*user).to_owned(),
        driver: (*driver).to_owned(),
        sequence_number: seq(i),
    })
    .collect();
    let actions = count_transaction(&tables, &pending);
    assert_eq!(actions.len(), 9 + 6, "one mark per vote, then one count per driver");
    for (i, action) in actions.iter().take(9).enumerate() {
        let mark = action.update().expect("each vote's mark is an update");
        assert_eq!(mark.table_name(), "V", "mark {i}");
        assert_eq!(mark.key()["user"], AttributeValue::S(pending[i].user.clone()), "mark {i}");
        assert!(mark.condition_expression().is_some(), "mark {i} is conditional");
        let values = mark.expression_attribute_values().expect("the mark's values");
        assert!(
            values.values().any(|v| *v == AttributeValue::S(seq(i))),
            "mark {i} checks its vote's own sequence number: {values:?}"
        );
    }
    let counted: Vec<(String, String)> = actions[9..]
        .iter()
        .map(|action| {
            let update = action.update().expect("each count is an update");
            assert_eq!(update.table_name(), "R");
            assert!(update.condition_expression().is_none(), "a count has no condition");
            let n = update
                .expression_attribute_values()
                .expect("the count's values")
                .values()
                .find_map(|v| v.as_n().ok().cloned())
                .expect("the number of votes to add");
            (update.key()["driver"].as_s().unwrap().clone(), n)
        })
        .collect();
    let want = [("ALO", "1"), ("HAM", "1"), ("LEC", "1"), ("NOR", "2"), ("PIA", "1"), ("VER", "3")];
    assert_eq!(counted, want.map(|(d, n)| (d.to_owned(), n.to_owned())), "in name order");
}

#[tokio::test]
async fn counting_marks_each_vote_true_and_stamps_each_driver_and_a_mark_checks_its_record() {
    let tables = new_tables("day11-marks").await;
    let proxy = FaultProxy::dynamodb_with(|_: &Call| Reply::Forward).await;
    let consumer = consumer(&proxy, &tables);
    let votes = [vote("fan-0001", "VER"), vote("fan-0002", "NOR")];
    for (i, vote) in votes.iter().enumerate() {
        assert_eq!(accept(&consumer, vote, &seq(i)).await.unwrap(), Acceptance::Pending);
    }
    let pending = |i: usize, record: usize| PendingVote {
        index: i,
        user: votes[i].user.clone(),
        driver: votes[i].vote.clone(),
        sequence_number: seq(record),
    };
    // A mark for another record of the fan (a stale redelivery) must not
    // count: the item names record 0, not record 7.
    assert_eq!(count(&consumer, &[pending(0, 7)]).await.unwrap(), 0, "the mark checks the record");
    assert!(counts(&tables).await.is_empty());

    assert_eq!(count(&consumer, &[pending(0, 0), pending(1, 1)]).await.unwrap(), 2);
    for vote in &votes {
        let item = dynamodb()
            .get_item()
            .table_name(&tables.votes)
            .key("user", AttributeValue::S(vote.user.clone()))
            .consistent_read(true)
            .send()
            .await
            .unwrap()
            .item
            .unwrap();
        assert_eq!(item.get("counted"), Some(&AttributeValue::Bool(true)), "{item:?}");
    }
    for item in scan_all(&dynamodb(), &tables.results).await {
        let updated = item.get("updatedAt").and_then(|v| v.as_s().ok()).expect("updatedAt");
        assert!(chrono::DateTime::parse_from_rfc3339(updated).is_ok(), "{updated}");
    }
}

#[test]
fn each_groups_transaction_fits_dynamodbs_100_actions_and_the_groups_keep_the_order() {
    let tables = Tables { votes: "V".into(), results: "R".into(), dead_letters: "D".into() };
    let drivers = pitlane::votes::grid();
    let pending: Vec<PendingVote> = (0..250)
        .map(|i| PendingVote {
            index: i,
            user: format!("fan-{i}"),
            driver: drivers[i % drivers.len()].id.clone(),
            sequence_number: seq(i),
        })
        .collect();
    let groups = transaction_groups(&pending);
    let flat: Vec<usize> = groups.iter().flat_map(|g| g.iter().map(|v| v.index)).collect();
    assert_eq!(flat, (0..250).collect::<Vec<_>>(), "every vote once, in order");
    let actions: Vec<usize> = groups
        .iter()
        .map(|group| {
            let mut distinct: Vec<&str> = group.iter().map(|v| v.driver.as_str()).collect();
            distinct.sort_unstable();
            distinct.dedup();
            let actions = count_transaction(&tables, group).len();
            assert_eq!(
                actions,
                group.len() + distinct.len(),
                "a mark per vote, a count per driver"
            );
            actions
        })
        .collect();
    // Each group full (the grid's drivers and as many votes as fit), the
    // last one holding the rest.
    let full = MAX_TRANSACTION_ACTIONS - drivers.len();
    assert_eq!(
        groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
        [full, full, full, 250 - 3 * full]
    );
    assert!(actions.iter().all(|&n| n <= MAX_TRANSACTION_ACTIONS), "{actions:?}");
    assert!(transaction_groups(&[]).is_empty());
    // A new driver at the edge: 98 votes for one driver take 99 actions; a
    // vote for a second driver would make 101 (its mark and its count), so
    // it starts the next group.
    let edge: Vec<PendingVote> = (0..99)
        .map(|i| PendingVote {
            index: i,
            user: format!("fan-{i}"),
            driver: if i < 98 { "VER" } else { "NOR" }.to_owned(),
            sequence_number: seq(i),
        })
        .collect();
    let groups = transaction_groups(&edge);
    assert_eq!(groups.iter().map(|g| g.len()).collect::<Vec<_>>(), [98, 1]);
    assert_eq!(count_transaction(&tables, groups[0]).len(), 99);
    let one_driver: Vec<PendingVote> =
        pending.iter().map(|v| PendingVote { driver: "VER".into(), ..v.clone() }).collect();
    assert_eq!(
        transaction_groups(&one_driver).iter().map(|g| g.len()).collect::<Vec<_>>(),
        [99, 99, 52]
    );
}

#[tokio::test]
async fn votes_another_delivery_counted_meanwhile_are_left_out_never_counted_twice() {
    let tables = new_tables("day11-meanwhile").await;
    let proxy = FaultProxy::dynamodb_with(|_: &Call| Reply::Forward).await;
    let consumer = consumer(&proxy, &tables);
    let event = hot_batch(10, 6);
    let mut pending = Vec::new();
    for (index, record) in event.records.iter().enumerate() {
        let vote: Vote = serde_json::from_slice(&record.kinesis.data).unwrap();
        assert_eq!(accept(&consumer, &vote, &seq(index)).await.unwrap(), Acceptance::Pending);
        pending.push(PendingVote {
            index,
            user: vote.user,
            driver: vote.vote,
            sequence_number: seq(index),
        });
    }
    // Another delivery of the same records counted three of them already.
    assert_eq!(count(&consumer, &pending[2..5]).await.unwrap(), 3);
    assert_eq!(count(&consumer, &pending).await.unwrap(), 7, "only the other seven");
    assert_eq!(counts(&tables).await, expected(&event.records).counts);
    assert_eq!(count(&consumer, &pending).await.unwrap(), 0);
    assert_eq!(counts(&tables).await, expected(&event.records).counts);
}

#[tokio::test]
async fn a_hot_driver_is_written_once_per_transaction_not_once_per_vote() {
    let tables = new_tables("day11-hot").await;
    let proxy = FaultProxy::dynamodb_with(|_: &Call| Reply::Forward).await;
    let event = hot_batch(100, 60);
    let logs = pitlane_testkit::logs::capture();

    let response = handle(&consumer(&proxy, &tables), event.clone(), CONCURRENCY).await;

    assert_eq!(failed(&response), Vec::<String>::new());
    assert_eq!(counts(&tables).await, expected(&event.records).counts);
    let stats = proxy.stats();
    // 100 puts, then 100 marks and 5 drivers: two transactions.
    assert_eq!(stats.calls, 102, "one put per vote and two transactions: {stats:?}");
    let logged = logs.text();
    let summary = "BatchSummary { counted: 100, duplicates: 0, already_counted: 0, dead_lettered: 0, lanes: 100, transactions: 2 }";
    assert!(logged.contains(summary), "the log should say {summary}; it says:\n{logged}");
}

#[tokio::test]
async fn the_batch_summary_counts_each_outcome_across_the_lanes() {
    let tables = new_tables("day11-summary").await;
    let proxy = FaultProxy::dynamodb_with(|_: &Call| Reply::Forward).await;
    let consumer = consumer(&proxy, &tables);
    let event = batch(vec![
        vote_record(&vote("fan-0001", "VER"), 0),
        vote_record(&vote("fan-0001", "HAM"), 1),
        record("fan-0002", b"not json", 2),
        vote_record(&vote("fan-0003", "NOR"), 3),
        record("fan-0004", b"", 4),
        vote_record(&vote("fan-0003", "LEC"), 5),
    ]);
    let summaries = |logged: &str| -> Vec<String> {
        logged.lines().filter(|l| l.contains("BatchSummary")).map(str::to_owned).collect()
    };

    let logs = pitlane_testkit::logs::capture();
    handle(&consumer, event.clone(), CONCURRENCY).await;
    let first = "BatchSummary { counted: 2, duplicates: 2, already_counted: 0, dead_lettered: 2, lanes: 4, transactions: 1 }";
    let logged = logs.text();
    assert!(logged.contains(first), "the log should say {first}; it says {:?}", summaries(&logged));

    // The same batch again: the two votes are found counted, not counted again.
    let logs = pitlane_testkit::logs::capture();
    handle(&consumer, event, CONCURRENCY).await;
    let again = "BatchSummary { counted: 0, duplicates: 2, already_counted: 2, dead_lettered: 2, lanes: 4, transactions: 0 }";
    let logged = logs.text();
    assert!(logged.contains(again), "the log should say {again}; it says {:?}", summaries(&logged));
}

#[tokio::test]
async fn lanes_run_side_by_side_and_never_more_than_the_bound_at_once() {
    let tables = new_tables("day11-bound").await;
    // Every put takes 100 ms: lanes that run one after another never
    // overlap, and lanes started all at once all overlap.
    let proxy =
        FaultProxy::dynamodb_with(on("PutItem", |_| Reply::Delay(Duration::from_millis(100))))
            .await;
    let event = hot_batch(40, 10);

    let response = handle(&consumer(&proxy, &tables), event.clone(), 8).await;

    assert_eq!(failed(&response), Vec::<String>::new());
    assert_eq!(counts(&tables).await, expected(&event.records).counts);
    assert_eq!(proxy.stats().max_in_flight, 8, "8 lanes in flight at once, never more");
}

#[tokio::test]
async fn a_fans_records_stay_in_order_even_when_the_first_is_slow() {
    let tables = new_tables("day11-order").await;
    // The fan's first vote (VER) is slow to arrive at DynamoDB; the second
    // (HAM) would overtake it if both were in flight at once.
    let slow = seq(0);
    let proxy = FaultProxy::dynamodb_with(on("PutItem", move |call| {
        if call.body.contains(&slow) {
            Reply::Delay(Duration::from_millis(300))
        } else {
            Reply::Forward
        }
    }))
    .await;
    let event = batch(vec![
        vote_record(&vote("fan-0001", "VER"), 0),
        vote_record(&vote("fan-0002", "NOR"), 1),
        vote_record(&vote("fan-0001", "HAM"), 2),
    ]);

    let response = handle(&consumer(&proxy, &tables), event.clone(), CONCURRENCY).await;

    assert_eq!(failed(&response), Vec::<String>::new());
    assert_eq!(
        counts(&tables).await,
        BTreeMap::from([("NOR".to_owned(), 1), ("VER".to_owned(), 1)]),
        "the fan's first vote counts, whatever arrives first"
    );
    assert!(proxy.stats().max_in_flight >= 2, "the other fan's lane ran meanwhile");
}

#[tokio::test]
async fn a_crash_after_accepting_loses_no_vote_and_the_batch_resumes_at_the_first_uncounted() {
    let tables = new_tables("day11-crash-accept").await;
    let event = hot_batch(30, 20);
    {
        // Every count fails: as if the function died after step 1.
        let proxy =
            FaultProxy::dynamodb_with(on("TransactWriteItems", |_| Reply::ServerError)).await;
        let response = handle(&consumer(&proxy, &tables), event.clone(), CONCURRENCY).await;
        assert_eq!(failed(&response), [seq(0)], "nothing is counted: resume at the first vote");
        assert!(counts(&tables).await.is_empty());
        assert_eq!(scan_all(&dynamodb(), &tables.votes).await.len(), 30, "every vote accepted");
    }
    let proxy = FaultProxy::dynamodb_with(|_: &Call| Reply::Forward).await;
    let response = handle(&consumer(&proxy, &tables), event.clone(), CONCURRENCY).await;
    assert_eq!(failed(&response), Vec::<String>::new());
    assert_eq!(counts(&tables).await, expected(&event.records).counts, "each vote counted once");
}

#[tokio::test]
async fn a_count_whose_answer_is_lost_is_not_repeated_and_a_replay_sends_no_transaction() {
    let tables = new_tables("day11-lost").await;
    // The first transaction is carried out, then answered with a 500: the
    // retry must find its marks set and count nothing twice.
    let mut first = true;
    let proxy = FaultProxy::dynamodb_with(on("TransactWriteItems", move |_| {
        if std::mem::replace(&mut first, false) { Reply::LostReply } else { Reply::Forward }
    }))
    .await;
    let event = hot_batch(100, 60);
    let consumer = consumer(&proxy, &tables);

    let response = handle(&consumer, event.clone(), CONCURRENCY).await;
    assert_eq!(failed(&response), Vec::<String>::new());
    assert_eq!(counts(&tables).await, expected(&event.records).counts);

    // The whole batch again, as after a crash before the answer: every vote
    // is found counted, so no transaction is sent and nothing changes.
    let before = table_state(&dynamodb(), &tables.results, &[]).await;
    let calls = proxy.stats().calls;
    let response = handle(&consumer, event.clone(), CONCURRENCY).await;
    assert_eq!(failed(&response), Vec::<String>::new());
    assert_eq!(proxy.stats().calls - calls, 100, "one put per record, no transaction");
    assert_eq!(table_state(&dynamodb(), &tables.results, &[]).await, before);
}

#[tokio::test]
async fn the_first_record_not_done_is_reported_and_everything_before_it_is_counted() {
    let tables = new_tables("day11-first").await;
    let event = hot_batch(50, 30);
    let stuck = seq(20);
    {
        let proxy = FaultProxy::dynamodb_with(on("PutItem", move |call| {
            if call.body.contains(&stuck) { Reply::Throttle } else { Reply::Forward }
        }))
        .await;
        let response = handle(&consumer(&proxy, &tables), event.clone(), CONCURRENCY).await;
        assert_eq!(failed(&response), [seq(20)]);
        let before = expected(&event.records[..20]).counts;
        let now = counts(&tables).await;
        for (driver, votes) in &before {
            assert!(now[driver] >= *votes, "the votes before record 20 are counted: {now:?}");
        }
    }
    let proxy = FaultProxy::dynamodb_with(|_: &Call| Reply::Forward).await;
    let response = handle(&consumer(&proxy, &tables), from(&event, &seq(20)), CONCURRENCY).await;
    assert_eq!(failed(&response), Vec::<String>::new());
    assert_eq!(counts(&tables).await, expected(&event.records).counts);
}

/// Fails the `PutItem` of the vote of record `n` (throttled, every time),
/// delays the one of record `slow` by 200 ms, and answers the transactions
/// by `transaction` (1 for the first).
fn put_fails_at(
    n: usize,
    slow: usize,
    mut transaction: impl FnMut(u64) -> Reply + Send + 'static,
) -> impl FnMut(&Call) -> Reply + Send + 'static {
    let (failing, delayed) = (seq(n), seq(slow));
    let mut transactions = 0;
    move |call| match call.operation.as_str() {
        "PutItem" if call.body.contains(&failing) => Reply::Throttle,
        "PutItem" if call.body.contains(&delayed) => Reply::Delay(Duration::from_millis(200)),
        "TransactWriteItems" => {
            transactions += 1;
            transaction(transactions)
        }
        _ => Reply::Forward,
    }
}

#[tokio::test]
async fn a_count_failing_below_a_lanes_failure_is_the_one_reported() {
    let tables = new_tables("day11-count-first").await;
    // Record 40's lane fails; every count fails too, from the batch's first
    // pending vote (record 0, whose lane finishes last): 0 is reported.
    let proxy = FaultProxy::dynamodb_with(put_fails_at(40, 0, |_| Reply::ServerError)).await;
    let event = hot_batch(50, 30);
    let response = handle(&consumer(&proxy, &tables), event, CONCURRENCY).await;
    assert_eq!(failed(&response), [seq(0)], "votes 0 to 39 are accepted but not counted");
    assert!(counts(&tables).await.is_empty());
}

#[tokio::test]
async fn a_lanes_failure_below_a_failing_count_is_the_one_reported() {
    let tables = new_tables("day11-lane-first").await;
    // 100 votes, 5 drivers: two groups, from record 0 and record 95. Record
    // 5's lane fails; the second group's count fails, retries and all: 5 is
    // reported.
    let proxy = FaultProxy::dynamodb_with(put_fails_at(5, 0, |n| {
        if n >= 2 { Reply::ServerError } else { Reply::Forward }
    }))
    .await;
    let event = hot_batch(100, 60);
    let response = handle(&consumer(&proxy, &tables), event.clone(), CONCURRENCY).await;
    assert_eq!(failed(&response), [seq(5)]);
    // Redelivered from there, everything is counted exactly once.
    let proxy = FaultProxy::dynamodb_with(|_: &Call| Reply::Forward).await;
    let response = handle(&consumer(&proxy, &tables), from(&event, &seq(5)), CONCURRENCY).await;
    assert_eq!(failed(&response), Vec::<String>::new());
    assert_eq!(counts(&tables).await, expected(&event.records).counts);
}

#[tokio::test]
async fn of_two_failing_lanes_the_lower_record_is_reported_whichever_fails_first() {
    let tables = new_tables("day11-two-lanes").await;
    // Records 10 and 30 fail; 10's refusals come 100 ms late, so its lane
    // fails last.
    let (low, high) = (seq(10), seq(30));
    let proxy = FaultProxy::dynamodb_with(on("PutItem", move |call| {
        if call.body.contains(&low) {
            Reply::ThrottleAfter(Duration::from_millis(100))
        } else if call.body.contains(&high) {
            Reply::Throttle
        } else {
            Reply::Forward
        }
    }))
    .await;
    let event = hot_batch(40, 20);
    let response = handle(&consumer(&proxy, &tables), event, CONCURRENCY).await;
    assert_eq!(failed(&response), [seq(10)]);
}

#[tokio::test]
async fn an_empty_batch_is_done_at_once() {
    let tables = new_tables("day11-empty").await;
    let proxy = FaultProxy::dynamodb_with(|_: &Call| Reply::Forward).await;
    let response = handle(&consumer(&proxy, &tables), batch(Vec::new()), CONCURRENCY).await;
    assert_eq!(failed(&response), Vec::<String>::new());
    assert_eq!(proxy.stats().calls, 0, "nothing to write");
}

#[tokio::test]
async fn the_lanes_wait_without_blocking_the_thread() {
    let tables = new_tables("day11-ticker").await;
    // Every put takes 100 ms; 8 lanes at once wait about 100 ms in all.
    let proxy =
        FaultProxy::dynamodb_with(on("PutItem", |_| Reply::Delay(Duration::from_millis(100))))
            .await;
    let event = hot_batch(8, 4);
    let started = std::time::Instant::now();
    let (response, ticks) =
        pitlane_testkit::with_ticker(handle(&consumer(&proxy, &tables), event, 8)).await;
    let elapsed = started.elapsed();
    assert_eq!(failed(&response), Vec::<String>::new());
    // A wait that blocks the thread stops the ticker (and the proxy, which
    // runs on the same thread).
    pitlane_testkit::assert_waited_without_blocking(ticks, elapsed);
}

#[tokio::test]
async fn poison_is_set_aside_and_its_fans_lane_goes_on() {
    let tables = new_tables("day11-poison").await;
    let proxy = FaultProxy::dynamodb_with(|_: &Call| Reply::Forward).await;
    let event = batch(vec![
        record("fan-0001", b"not json", 0),
        vote_record(&vote("fan-0001", "VER"), 1),
        record("fan-0002", &[0xff, 0xfe], 2),
        vote_record(&vote("fan-0003", "NOR"), 3),
    ]);

    let response = handle(&consumer(&proxy, &tables), event.clone(), CONCURRENCY).await;

    assert_eq!(failed(&response), Vec::<String>::new());
    assert_eq!(counts(&tables).await, expected(&event.records).counts);
    let mut dead: Vec<String> = scan_all(&dynamodb(), &tables.dead_letters)
        .await
        .iter()
        .map(|item| item["sequenceNumber"].as_s().unwrap().clone())
        .collect();
    dead.sort();
    assert_eq!(dead, [seq(0), seq(2)]);
}

#[tokio::test]
async fn a_vote_dynamodb_refuses_as_invalid_is_set_aside_with_the_reason() {
    let tables = new_tables("day11-refused").await;
    let refused = seq(1);
    let proxy = FaultProxy::dynamodb_with(on("PutItem", move |call| {
        if call.body.contains(&refused) && !call.body.contains(r#""eventId""#) {
            Reply::Refuse("ValidationException")
        } else {
            Reply::Forward
        }
    }))
    .await;
    let event = batch(vec![
        vote_record(&vote("fan-0001", "VER"), 0),
        vote_record(&vote("fan-0002", "NOR"), 1),
    ]);
    let response = handle(&consumer(&proxy, &tables), event, CONCURRENCY).await;
    assert_eq!(failed(&response), Vec::<String>::new(), "no retry makes it valid");
    assert_eq!(counts(&tables).await, BTreeMap::from([("VER".to_owned(), 1)]));
    let dead = scan_all(&dynamodb(), &tables.dead_letters).await;
    assert_eq!(dead.len(), 1);
    assert!(dead[0]["reason"].as_s().unwrap().contains("ValidationException"), "{dead:?}");
}

#[tokio::test]
async fn a_failed_dead_letter_stops_its_lane_and_is_reported() {
    let tables = new_tables("day11-dead-fails").await;
    let proxy = FaultProxy::dynamodb_with(|call: &Call| {
        if call.operation == "PutItem" && call.body.contains(r#""eventId""#) {
            Reply::ServerError
        } else {
            Reply::Forward
        }
    })
    .await;
    let event = batch(vec![
        vote_record(&vote("fan-0001", "VER"), 0),
        record("fan-0002", b"not json", 1),
        vote_record(&vote("fan-0003", "NOR"), 2),
    ]);
    let response = handle(&consumer(&proxy, &tables), event, CONCURRENCY).await;
    assert_eq!(failed(&response), [seq(1)], "a poison record that was not set aside is not done");
}

#[tokio::test]
async fn throttling_and_lost_answers_on_a_third_of_the_calls_change_no_count() {
    let tables = new_tables("day11-faults").await;
    let proxy = FaultProxy::dynamodb_with(random_faults(11, 0.33)).await;
    let event = fixture("votes/shardId-000000000000-batch-01.json");

    deliver_until_done(&consumer(&proxy, &tables), &event, 60).await;

    assert!(proxy.stats().faults() * 5 > proxy.stats().calls, "{:?}", proxy.stats());
    let ExpectedVotes { counts: want, invalid } = expected(&event.records);
    assert_eq!(counts(&tables).await, want);
    assert_eq!(scan_all(&dynamodb(), &tables.dead_letters).await.len(), invalid.len());
}

#[tokio::test]
async fn end_to_end_two_shards_through_the_mapping_with_faults_count_exactly_once() {
    let records = all_records("votes");
    let (kinesis, stream) = stream_holding(&records, 2, "day11-e2e").await;
    let tables = new_tables("day11-e2e").await;
    let proxy = FaultProxy::dynamodb_with(random_faults(5, 0.25)).await;
    let consumer = Arc::new(Consumer { client: proxy.dynamodb(2), ..consumer(&proxy, &tables) });
    let function = InProcess::new(
        "keep-up-votes",
        Duration::from_secs(30),
        move |event: LambdaEvent<KinesisEvent>| {
            let consumer = consumer.clone();
            async move {
                Ok::<_, std::convert::Infallible>(
                    handle(&consumer, event.payload, CONCURRENCY).await,
                )
            }
        },
    );
    let config = EsmConfig {
        report_batch_item_failures: true,
        maximum_retry_attempts: Some(20),
        retry_delay: Duration::ZERO,
        ..EsmConfig::new(&stream)
    };

    let report = run_until_caught_up(&kinesis, &config, Arc::new(function)).await.unwrap();

    assert_eq!((report.records_succeeded, report.records_given_up), (400, 0));
    let ExpectedVotes { counts: want, invalid } = expected(&records.records);
    assert_eq!(counts(&tables).await, want);
    assert_eq!(scan_all(&dynamodb(), &tables.dead_letters).await.len(), invalid.len());
    let counted = scan_all(&dynamodb(), &tables.votes)
        .await
        .iter()
        .filter(|item| item.contains_key("counted"))
        .count() as u64;
    assert_eq!(counted, want.values().sum::<u64>(), "every stored vote marked counted");
}
