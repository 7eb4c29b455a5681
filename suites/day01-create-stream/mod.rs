//! What day 01's functions must do. Each test creates its own stream (unique
//! name) on the local backend, so the tests run in parallel.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use aws_sdk_kinesis::operation::create_stream::CreateStreamInput;
use aws_sdk_kinesis::operation::describe_stream_summary::{
    DescribeStreamSummaryInput, DescribeStreamSummaryOutput,
};
use aws_sdk_kinesis::operation::list_shards::{ListShardsInput, ListShardsOutput};
use aws_sdk_kinesis::types::StreamStatus;
use pitlane_testkit::{CallFaults, EditOutput, kinesis, kinesis_with, unique_name, with_ticker};

use crate::sut::{
    Capacity, Creation, StreamError, create_stream, describe_stream, list_shards,
    list_shards_paged, wait_until_active,
};

const TIMEOUT: Duration = Duration::from_secs(20);

#[tokio::test]
async fn creates_a_provisioned_stream_with_one_shard() {
    let client = kinesis();
    let name = unique_name("day01-provisioned");

    let creation =
        create_stream(&client, &name, Capacity::Provisioned { shards: 1 }).await.unwrap();
    let info = wait_until_active(&client, &name, TIMEOUT).await.unwrap();

    assert_eq!(creation, Creation::Created);
    assert_eq!(info.name, name);
    assert!(info.arn.starts_with("arn:aws:kinesis:us-east-1:"), "{}", info.arn);
    assert!(info.arn.ends_with(&format!(":stream/{name}")), "{}", info.arn);
    insta::assert_json_snapshot!(info, { ".name" => "[name]", ".arn" => "[arn]" });
}

#[tokio::test]
async fn creates_an_on_demand_stream() {
    let client = kinesis();
    let name = unique_name("day01-on-demand");

    create_stream(&client, &name, Capacity::OnDemand).await.unwrap();
    let info = wait_until_active(&client, &name, TIMEOUT).await.unwrap();

    assert_eq!(info.mode, "ON_DEMAND");
    assert!(info.open_shards >= 1, "an on-demand stream starts with shards: {info:?}");
}

// ANCHOR: exists_test
#[tokio::test]
async fn creating_a_stream_that_exists_is_not_an_error() {
    let client = kinesis();
    let name = unique_name("day01-twice");
    create_stream(&client, &name, Capacity::Provisioned { shards: 2 }).await.unwrap();
    wait_until_active(&client, &name, TIMEOUT).await.unwrap();

    // Asking again, even with another capacity, leaves the stream as it is.
    let again = create_stream(&client, &name, Capacity::Provisioned { shards: 5 }).await.unwrap();

    assert_eq!(again, Creation::AlreadyExists);
    let info = describe_stream(&client, &name).await.unwrap();
    assert_eq!((info.status.as_str(), info.open_shards), ("ACTIVE", 2));
}
// ANCHOR_END: exists_test

/// A stream that stays `CREATING` for its first `looks` descriptions. On AWS
/// creating takes seconds; the local backend's half-second is too short to
/// catch reliably on a busy machine, so the tests make the wait this long
/// themselves, whatever the machine's speed.
fn creating_for(looks: u32) -> (EditOutput<DescribeStreamSummaryOutput>, Arc<AtomicU32>) {
    let seen = Arc::new(AtomicU32::new(0));
    let counter = seen.clone();
    let edit = EditOutput::new(move |answer: &mut DescribeStreamSummaryOutput| {
        if counter.fetch_add(1, Ordering::SeqCst) < looks
            && let Some(summary) = answer.stream_description_summary.as_mut()
        {
            summary.stream_status = StreamStatus::Creating;
        }
    });
    (edit, seen)
}

#[tokio::test]
async fn a_new_stream_is_not_active_at_once_and_waiting_takes_it_there() {
    let name = unique_name("day01-wait");
    create_stream(&kinesis(), &name, Capacity::Provisioned { shards: 1 }).await.unwrap();
    let (creating, looks) = creating_for(3);
    let client = kinesis_with(creating);

    let info = wait_until_active(&client, &name, TIMEOUT).await.unwrap();

    assert_eq!(info.status, "ACTIVE");
    // Three looks at CREATING, then as many as the backend's own CREATING
    // takes, and the last one at ACTIVE.
    let looks = looks.load(Ordering::SeqCst);
    assert!(looks >= 4, "{looks} looks: waiting stopped at a CREATING stream");
}

#[tokio::test]
async fn waiting_gives_up_after_the_timeout() {
    let name = unique_name("day01-timeout");
    create_stream(&kinesis(), &name, Capacity::Provisioned { shards: 1 }).await.unwrap();
    let (creating, _) = creating_for(u32::MAX);
    let client = kinesis_with(creating);

    // The wait is 300 ms: twenty seconds later it must long be over.
    let error = tokio::time::timeout(
        TIMEOUT,
        wait_until_active(&client, &name, Duration::from_millis(300)),
    )
    .await
    .expect(
        "waiting for 300 ms never gave up: is the clock started anew at every look, \
         instead of once before the first?",
    )
    .unwrap_err();

    assert!(
        matches!(&error, StreamError::NotActiveInTime { status, .. } if status == "CREATING"),
        "expected NotActiveInTime, got {error:?}"
    );
}

#[tokio::test]
async fn a_missing_stream_is_reported_as_such_without_waiting() {
    let client = kinesis();
    let name = unique_name("day01-missing");

    let started = std::time::Instant::now();
    let waited = wait_until_active(&client, &name, TIMEOUT).await.unwrap_err();
    let described = describe_stream(&client, &name).await.unwrap_err();

    assert!(matches!(&waited, StreamError::NotFound(n) if *n == name), "got {waited:?}");
    assert!(matches!(&described, StreamError::NotFound(n) if *n == name), "got {described:?}");
    assert!(started.elapsed() < TIMEOUT / 2, "a missing stream is not worth waiting for");
    assert_eq!(waited.to_string(), format!("stream {name:?} does not exist"));
}

#[tokio::test]
async fn a_provisioned_stream_needs_at_least_one_shard() {
    let client = kinesis();
    let name = unique_name("day01-zero");

    let error =
        create_stream(&client, &name, Capacity::Provisioned { shards: 0 }).await.unwrap_err();

    assert!(matches!(error, StreamError::InvalidShardCount(0)), "got {error:?}");
    // The request was refused before it reached Kinesis.
    assert!(matches!(describe_stream(&client, &name).await, Err(StreamError::NotFound(_))));
}

#[tokio::test]
async fn one_shard_owns_the_whole_hash_key_space() {
    let client = kinesis();
    let name = unique_name("day01-one-shard");
    create_stream(&client, &name, Capacity::Provisioned { shards: 1 }).await.unwrap();
    wait_until_active(&client, &name, TIMEOUT).await.unwrap();

    let shards = list_shards(&client, &name).await.unwrap();

    // Partition keys are hashed with MD5 into 0 ..= 2^128 - 1.
    insta::assert_json_snapshot!(shards);
}

#[tokio::test]
async fn lists_every_shard_across_pages() {
    let client = kinesis();
    let name = unique_name("day01-pages");
    create_stream(&client, &name, Capacity::Provisioned { shards: 5 }).await.unwrap();
    wait_until_active(&client, &name, TIMEOUT).await.unwrap();

    let page_sizes = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sizes = page_sizes.clone();
    let counting = EditOutput::new(move |page: &mut ListShardsOutput| {
        sizes.lock().unwrap().push(page.shards.as_ref().map_or(0, Vec::len));
    });
    let paged = list_shards_paged(&kinesis_with(counting), &name, 2).await.unwrap();
    let at_once = list_shards(&client, &name).await.unwrap();

    let ids: Vec<_> = paged.iter().map(|shard| shard.shard_id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "shardId-000000000000",
            "shardId-000000000001",
            "shardId-000000000002",
            "shardId-000000000003",
            "shardId-000000000004"
        ]
    );
    assert_eq!(paged, at_once);
    assert_eq!(
        *page_sizes.lock().unwrap(),
        [2, 2, 1],
        "five shards at most two a page are three pages of 2, 2 and 1: every ListShards call, \
         the first and the ones with a NextToken, must ask for at most page_size shards"
    );
    // Together the shards cover the hash space with no gap and no overlap.
    let last = paged.len() - 1;
    assert_eq!(paged[0].starting_hash_key, "0");
    assert_eq!(paged[last].ending_hash_key, u128::MAX.to_string());
    for pair in paged.windows(2) {
        let end: u128 = pair[0].ending_hash_key.parse().unwrap();
        let next: u128 = pair[1].starting_hash_key.parse().unwrap();
        assert_eq!(end + 1, next);
    }
}

// Only an answer *from Kinesis* says "in use" or "not found". A call that
// fails on the way (a network failure, here one injected before sending) is
// an error the caller must see: taken for "already exists", a deployment
// would carry on without its stream; taken for "not found", it would create
// a second one.
#[tokio::test]
async fn a_create_call_that_fails_on_the_way_is_an_error_not_an_existing_stream() {
    let client = kinesis_with(CallFaults::<CreateStreamInput>::new([true]));
    let name = unique_name("day01-create-fails");

    let error = create_stream(&client, &name, Capacity::Provisioned { shards: 1 }).await;

    assert!(matches!(error, Err(StreamError::Kinesis(_))), "got {error:?}");
}

#[tokio::test]
async fn a_describe_or_list_call_that_fails_on_the_way_is_an_error_not_a_missing_stream() {
    let name = unique_name("day01-describe-fails");
    create_stream(&kinesis(), &name, Capacity::Provisioned { shards: 1 }).await.unwrap();

    let describing = kinesis_with(CallFaults::<DescribeStreamSummaryInput>::new([true]));
    let described = describe_stream(&describing, &name).await;
    let listing = kinesis_with(CallFaults::<ListShardsInput>::new([true]));
    let listed = list_shards(&listing, &name).await;

    assert!(matches!(described, Err(StreamError::Kinesis(_))), "got {described:?}");
    assert!(matches!(listed, Err(StreamError::Kinesis(_))), "got {listed:?}");
}

#[tokio::test]
async fn listing_the_shards_of_a_missing_stream_says_it_is_missing() {
    let name = unique_name("day01-list-missing");

    let error = list_shards(&kinesis(), &name).await.unwrap_err();

    assert!(matches!(&error, StreamError::NotFound(n) if *n == name), "got {error:?}");
}

// A stream being deleted will never be ACTIVE again: waiting for it until the
// timeout would only hide the problem. (The local backend deletes at once, so
// the answer is edited to show the state AWS shows for a while.)
#[tokio::test]
async fn waiting_for_a_stream_being_deleted_stops_at_once() {
    let name = unique_name("day01-deleting");
    create_stream(&kinesis(), &name, Capacity::Provisioned { shards: 1 }).await.unwrap();
    let deleting = EditOutput::new(|answer: &mut DescribeStreamSummaryOutput| {
        if let Some(summary) = answer.stream_description_summary.as_mut() {
            summary.stream_status = StreamStatus::Deleting;
        }
    });
    let client = kinesis_with(deleting.clone());

    let error = wait_until_active(&client, &name, TIMEOUT).await.unwrap_err();

    assert!(matches!(&error, StreamError::BeingDeleted { name: n } if *n == name), "got {error:?}");
    assert_eq!(deleting.edited(), 1, "one look is enough");
}

// Kinesis ends the pages with no NextToken; an empty one means the same, and
// sending it back would be refused (or loop).
#[tokio::test]
async fn an_empty_next_token_ends_the_pages_too() {
    let name = unique_name("day01-empty-token");
    create_stream(&kinesis(), &name, Capacity::Provisioned { shards: 3 }).await.unwrap();
    wait_until_active(&kinesis(), &name, TIMEOUT).await.unwrap();
    let empty_token = EditOutput::new(|page: &mut ListShardsOutput| {
        if page.next_token.is_none() {
            page.next_token = Some(String::new());
        }
    });
    let client = kinesis_with(empty_token.clone());

    let shards = list_shards_paged(&client, &name, 2).await.unwrap();

    assert_eq!(shards.len(), 3);
    assert_eq!(empty_token.edited(), 2, "two pages, and no third call");
}

/// Kinesis refuses a name it cannot use (letters, digits, `_`, `.` and `-`
/// only) with an error of its own: only "in use" means the stream is there.
#[tokio::test]
async fn a_name_kinesis_refuses_is_an_error_not_an_existing_stream() {
    let error =
        create_stream(&kinesis(), "not a valid name!", Capacity::Provisioned { shards: 1 }).await;

    assert!(matches!(error, Err(StreamError::Kinesis(_))), "got {error:?}");
}

/// The mode details came with on-demand streams; a summary without them
/// describes a provisioned stream.
#[tokio::test]
async fn a_summary_without_mode_details_is_a_provisioned_stream() {
    let name = unique_name("day01-no-mode");
    create_stream(&kinesis(), &name, Capacity::Provisioned { shards: 1 }).await.unwrap();
    let no_mode = EditOutput::new(|answer: &mut DescribeStreamSummaryOutput| {
        if let Some(summary) = answer.stream_description_summary.as_mut() {
            summary.stream_mode_details = None;
        }
    });

    let info = describe_stream(&kinesis_with(no_mode), &name).await.unwrap();

    assert_eq!(info.mode, "PROVISIONED");
}

/// Waiting must not block the async runtime's thread: between two looks at
/// the stream, the other tasks on that thread go on (here a ticker, every
/// 10 ms, beside a wait for a stream that stays `CREATING`).
#[tokio::test]
async fn waiting_lets_the_other_tasks_on_its_thread_run_between_its_looks() {
    let name = unique_name("day01-not-blocking");
    create_stream(&kinesis(), &name, Capacity::Provisioned { shards: 1 }).await.unwrap();
    let creating = EditOutput::new(|answer: &mut DescribeStreamSummaryOutput| {
        if let Some(summary) = answer.stream_description_summary.as_mut() {
            summary.stream_status = StreamStatus::Creating;
        }
    });
    let client = kinesis_with(creating.clone());

    let (waited, ticks) =
        with_ticker(wait_until_active(&client, &name, Duration::from_millis(1500))).await;

    assert!(matches!(waited, Err(StreamError::NotActiveInTime { .. })), "got {waited:?}");
    let looks = creating.edited() as u32;
    // A pause of POLL_INTERVAL (100 ms) lets the ticker tick about ten times
    // per look; a pause that blocks the thread lets it tick only while the
    // look itself waits for Kinesis.
    assert!(
        ticks >= 6 * looks,
        "{ticks} ticks for {looks} looks: the pause between two looks blocks the thread"
    );
}
