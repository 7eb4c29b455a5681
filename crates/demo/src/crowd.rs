//! A crowd of fans voting through the HTTP API, as browsers would.

use std::collections::{BTreeMap, HashSet};
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use pitlane::votes::{Crowd, Vote};
use tokio::sync::Semaphore;

/// What sending the crowd's votes gave.
#[derive(Clone, Debug, Default)]
pub struct CrowdReport {
    pub sent: usize,
    /// Answered 202.
    pub accepted: usize,
    /// Answered otherwise (each logged).
    pub refused: usize,
    /// Answers 429 (the route's throttling) or 5xx (the vote API could not
    /// write the vote, e.g. a throttled stream), each retried after a backoff.
    pub throttled: usize,
    pub elapsed: Duration,
    /// Per driver, each fan's *first* vote: what the results must be.
    pub expected: BTreeMap<String, u64>,
}

/// `count` votes from a deterministic crowd (some fans vote twice),
/// sent to `base_url` with up to `concurrency` requests in flight. One fan's
/// votes are sent one after the other, in order, so "first vote" is well
/// defined; different fans vote at the same time.
pub async fn send(base_url: &str, count: usize, concurrency: usize, seed: u64) -> CrowdReport {
    send_votes(base_url, crowd_votes(count, None, seed), concurrency).await
}

/// `count` votes from a deterministic crowd. Fans are drawn at random from
/// three times as many ids as votes, and one vote in ten, on average,
/// deliberately repeats an earlier voter; random draws repeat too (1,000
/// votes: about a fifth are repeats). With `hot_share`, that share of the
/// votes (drawn at random) goes to the grid's first driver: a race-end
/// favourite.
pub fn crowd_votes(count: usize, hot_share: Option<f64>, seed: u64) -> Vec<Vote> {
    let fans = (count as u32).saturating_mul(3).max(1);
    let mut votes = Crowd::new(seed, fans).votes(count);
    if let Some(share) = hot_share {
        let mut rng = fastrand::Rng::with_seed(seed);
        let favourite = &pitlane::votes::grid()[0].id;
        for vote in &mut votes {
            if rng.f64() < share {
                vote.vote = favourite.clone();
            }
        }
    }
    votes
}

/// Sends `votes` as [`send`] does.
pub async fn send_votes(base_url: &str, votes: Vec<Vote>, concurrency: usize) -> CrowdReport {
    let count = votes.len();
    let mut per_fan: BTreeMap<String, Vec<Vote>> = BTreeMap::new();
    for vote in &votes {
        per_fan.entry(vote.user.clone()).or_default().push(vote.clone());
    }
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    for fan_votes in per_fan.values() {
        *expected.entry(fan_votes[0].vote.clone()).or_default() += 1;
    }

    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    let done = Arc::new(AtomicUsize::new(0));
    let accepted = Arc::new(AtomicUsize::new(0));
    let throttled = Arc::new(AtomicUsize::new(0));
    let slots = Arc::new(Semaphore::new(concurrency));
    let started = Instant::now();
    let progress = tokio::spawn(show_progress(done.clone(), count));
    let mut fans = tokio::task::JoinSet::new();
    for (_, fan_votes) in per_fan {
        let (client, done, accepted, throttled, slots) =
            (client.clone(), done.clone(), accepted.clone(), throttled.clone(), slots.clone());
        let (base_url, url) = (base_url.to_owned(), format!("{base_url}/vote"));
        fans.spawn(async move {
            let _slot = slots.acquire_owned().await.expect("the semaphore is never closed");
            let token = sign_in(&client, &base_url, &fan_votes[0].user).await.unwrap_or_default();
            for vote in fan_votes {
                let (was_accepted, retries) =
                    post_vote_retrying(&client, &url, &vote.vote, &token).await;
                if was_accepted {
                    accepted.fetch_add(1, Ordering::Relaxed);
                }
                throttled.fetch_add(retries as usize, Ordering::Relaxed);
                done.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
    while fans.join_next().await.is_some() {}
    progress.abort();
    finish_progress(count);
    let accepted = accepted.load(Ordering::Relaxed);
    CrowdReport {
        sent: count,
        accepted,
        refused: count - accepted,
        throttled: throttled.load(Ordering::Relaxed),
        elapsed: started.elapsed(),
        expected,
    }
}

/// Signs `fan` in with the local identity provider of the gateway at
/// `base_url` (the demo's stand-in for Cognito); the token to vote with.
pub async fn sign_in(
    client: &Client<HttpConnector, Full<Bytes>>,
    base_url: &str,
    fan: &str,
) -> Option<String> {
    let body = serde_json::json!({ "fan": fan }).to_string();
    let request = hyper::Request::post(format!("{base_url}{}", crate::gateway::SIGN_IN_PATH))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .expect("a valid request");
    let response = client.request(request).await.ok()?;
    let body = response.into_body().collect().await.ok()?.to_bytes();
    let answer: serde_json::Value = serde_json::from_slice(&body).ok()?;
    answer["token"].as_str().map(str::to_owned)
}

/// How many times a throttled or failed vote is sent again before it is
/// given up; with the backoff below that is about 25 s of trying.
const MAX_THROTTLED_RETRIES: u32 = 16;

/// Whether an answer is worth sending the vote again: the route's
/// throttling (429), or the API failing for now (5xx). Sending a vote twice
/// is safe: the consumer counts a fan once.
fn worth_retrying(status: u16) -> bool {
    status == 429 || (500..600).contains(&status)
}

/// Sends one vote as [`post_vote`] does; a 429 (the route's throttling) or
/// a 5xx is sent again after a jittered, doubling pause (50 ms to 2 s), as a
/// browser page should: never dropped while retries are left. Whether it
/// was accepted, and how many such answers it met.
pub async fn post_vote_retrying(
    client: &Client<HttpConnector, Full<Bytes>>,
    url: &str,
    driver: &str,
    token: &str,
) -> (bool, u32) {
    let mut throttled = 0;
    loop {
        match send_vote(client, url, driver, token).await {
            Some(status) if worth_retrying(status) && throttled < MAX_THROTTLED_RETRIES => {
                throttled += 1;
                let cap = (50u64 << throttled.min(6)).min(2_000);
                tokio::time::sleep(Duration::from_millis(fastrand::u64(cap / 2..=cap))).await;
            }
            Some(status) => return (status == 202, throttled),
            None => return (false, throttled),
        }
    }
}

/// Sends one vote for `driver` to the vote API at `url` with a fan's
/// `token`, as the browser page does; whether it was accepted (202).
pub async fn post_vote(
    client: &Client<HttpConnector, Full<Bytes>>,
    url: &str,
    driver: &str,
    token: &str,
) -> bool {
    send_vote(client, url, driver, token).await == Some(202)
}

/// One `POST /vote`: its status, or `None` if no answer came.
async fn send_vote(
    client: &Client<HttpConnector, Full<Bytes>>,
    url: &str,
    driver: &str,
    token: &str,
) -> Option<u16> {
    let body = serde_json::json!({ "vote": driver }).to_string();
    let request = hyper::Request::post(url)
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .body(Full::new(Bytes::from(body)))
        .expect("a valid request");
    match client.request(request).await {
        Ok(response) => {
            let status = response.status();
            if status != 202 && !worth_retrying(status.as_u16()) {
                tracing::warn!(%status, "vote refused");
            }
            Some(status.as_u16())
        }
        Err(error) => {
            tracing::warn!(%error, "vote not sent");
            None
        }
    }
}

async fn show_progress(done: Arc<AtomicUsize>, total: usize) {
    let terminal = std::io::stderr().is_terminal();
    let mut last_quarter = 0;
    loop {
        let now = done.load(Ordering::Relaxed);
        if terminal {
            eprint!("\r  {} {now}/{total} votes", bar(now, total));
            let _ = std::io::stderr().flush();
        } else if now * 4 / total.max(1) > last_quarter {
            last_quarter = now * 4 / total.max(1);
            eprintln!("  {} {now}/{total} votes", bar(now, total));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn finish_progress(total: usize) {
    eprintln!(
        "{}  {} {total}/{total} votes",
        if std::io::stderr().is_terminal() { "\r" } else { "" },
        bar(total, total)
    );
}

fn bar(done: usize, total: usize) -> String {
    let width = 30;
    let filled = done * width / total.max(1);
    format!("▕{}{}▏", "█".repeat(filled), "░".repeat(width - filled))
}

/// The number of distinct fans who voted (each counts once).
pub fn fans(expected: &BTreeMap<String, u64>) -> u64 {
    expected.values().sum()
}

/// Votes missing from `counted`, and votes counted too often, against
/// `expected` (driver by driver).
pub fn lost_and_doubled(
    expected: &BTreeMap<String, u64>,
    counted: &BTreeMap<String, u64>,
) -> (u64, u64) {
    let drivers: HashSet<&String> = expected.keys().chain(counted.keys()).collect();
    drivers.into_iter().fold((0, 0), |(lost, doubled), driver| {
        let want = expected.get(driver).copied().unwrap_or(0);
        let got = counted.get(driver).copied().unwrap_or(0);
        (lost + want.saturating_sub(got), doubled + got.saturating_sub(want))
    })
}

/// Drivers whose count differs from what was expected.
pub fn differences(
    expected: &BTreeMap<String, u64>,
    counted: &BTreeMap<String, u64>,
) -> Vec<String> {
    let drivers: HashSet<&String> = expected.keys().chain(counted.keys()).collect();
    let mut differing: Vec<String> = drivers
        .into_iter()
        .filter(|d| expected.get(*d).copied().unwrap_or(0) != counted.get(*d).copied().unwrap_or(0))
        .cloned()
        .collect();
    differing.sort();
    differing
}
