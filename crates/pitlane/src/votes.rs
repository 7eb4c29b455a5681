//! The Driver of the Day vote: the grid, a vote, and a simulated crowd.
//!
//! The grid lives in one data file, `data/grid.json`, shared by the Rust code,
//! the web pages and the tests, so the set of valid votes is defined once.

use std::collections::HashSet;
use std::sync::LazyLock;

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use serde::de::value::MapAccessDeserializer;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::sensors::SplitMix64;

/// One driver of the season's grid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Driver {
    /// The three-letter code used in votes: `"VER"`.
    pub id: String,
    pub name: String,
    pub team: String,
}

#[derive(Deserialize)]
struct GridFile {
    drivers: Vec<Driver>,
}

static GRID: LazyLock<Vec<Driver>> = LazyLock::new(|| {
    let file: GridFile = serde_json::from_str(include_str!("../../../data/grid.json"))
        .expect("data/grid.json is valid");
    file.drivers
});

/// The drivers one can vote for, in grid order.
pub fn grid() -> &'static [Driver] {
    &GRID
}

/// Whether `id` names a driver of the grid.
pub fn is_driver(id: &str) -> bool {
    grid().iter().any(|driver| driver.id == id)
}

/// The longest `user` a vote can have, in UTF-16 code units (JavaScript's
/// and Java's "characters"): the user is the partition key the vote is
/// written under, and Kinesis takes partition keys of 1 to 256 of them. It
/// also keeps the key of day 07's `Votes` table (at most 2,048 bytes) within
/// DynamoDB's limit, for votes written by any producer, not only day 05's.
pub const MAX_USER_CHARS: usize = 256;

/// One fan's vote: the JSON payload of one Kinesis record, an object with
/// `vote`, `user` and `votedAt` (other fields are ignored).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Vote {
    /// The driver voted for (a grid id such as `"NOR"`).
    pub vote: String,
    /// Who voted: the partition key, so one fan's votes stay in order.
    pub user: String,
    pub voted_at: DateTime<Utc>,
}

/// A vote is read from a JSON object only. serde's derived code would also
/// read it from an array of its three values in order
/// (`["NOR", "fan-1", "2026-…"]`), a shape no producer writes, which would
/// count a stray array as a vote.
///
/// `votedAt` is read strictly as RFC 3339 ([`voted_at`]), so that the time
/// a consumer stores is the time the vote says, never a silent guess.
impl<'de> Deserialize<'de> for Vote {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Fields {
            vote: String,
            user: String,
            voted_at: String,
        }

        struct ObjectOnly;

        impl<'de> Visitor<'de> for ObjectOnly {
            type Value = Fields;

            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Fields, A::Error> {
                Fields::deserialize(MapAccessDeserializer::new(map))
            }
        }

        let Fields { vote, user, voted_at: time } = deserializer.deserialize_map(ObjectOnly)?;
        let voted_at = voted_at(&time).map_err(serde::de::Error::custom)?;
        Ok(Vote { vote, user, voted_at })
    }
}

/// A vote's time, from RFC 3339 text (`2026-07-05T15:32:00Z`, or with an
/// offset, or fractions of a second). Refused, with a reason that does not
/// quote the text (it could be of any size): text that is not RFC 3339
/// (chrono's `FromStr`, which serde would use, takes more); more than 9
/// digits of a second, which a nanosecond clock would drop silently; and a
/// time whose UTC form falls outside the years 0000 to 9999, which RFC 3339
/// cannot write.
pub fn voted_at(text: &str) -> Result<DateTime<Utc>, String> {
    let time = DateTime::parse_from_rfc3339(text)
        .map_err(|e| format!("votedAt is not an RFC 3339 time: {e}"))?;
    let fraction_digits = text
        .split_once('.')
        .map_or(0, |(_, rest)| rest.bytes().take_while(u8::is_ascii_digit).count());
    if fraction_digits > 9 {
        return Err(format!(
            "votedAt has {fraction_digits} digits of a second; a time is kept to the nanosecond (9)"
        ));
    }
    let utc = time.with_timezone(&Utc);
    if !(0..=9999).contains(&utc.year()) {
        return Err("votedAt in UTC falls outside the years 0000 to 9999".to_owned());
    }
    Ok(utc)
}

/// A deterministic crowd of fans voting, some of them more than once.
#[derive(Clone, Debug)]
pub struct Crowd {
    rng: SplitMix64,
    fans: u32,
    voted: Vec<String>,
    count: u64,
    start: DateTime<Utc>,
}

impl Crowd {
    /// `fans` fans (`fan-0001`, ...) voting from the chequered flag of the
    /// 2026 British Grand Prix on.
    pub fn new(seed: u64, fans: u32) -> Self {
        assert!(fans > 0, "a crowd needs at least one fan");
        Self {
            rng: SplitMix64(seed),
            fans,
            voted: Vec::new(),
            count: 0,
            start: Utc.with_ymd_and_hms(2026, 7, 5, 15, 32, 0).unwrap(),
        }
    }

    /// The next vote. One vote in ten, on average, deliberately repeats a
    /// fan who has voted already (a double click, a second device, a
    /// cheat); the others come from fans drawn at random, who repeat too
    /// when the crowd is small (the recorded fixtures' 400 votes come from
    /// 211 fans). However it happens, a repeat must count once.
    pub fn vote(&mut self) -> Vote {
        let again = !self.voted.is_empty() && self.rng.next().is_multiple_of(10);
        let user = if again {
            self.voted[(self.rng.next() % self.voted.len() as u64) as usize].clone()
        } else {
            format!("fan-{:04}", self.rng.next() % u64::from(self.fans) + 1)
        };
        self.voted.push(user.clone());
        // Popularity is uneven: favour the front of the grid.
        let drivers = grid().len() as u64;
        let pick = (self.rng.next() % drivers).min(self.rng.next() % drivers) as usize;
        self.count += 1;
        Vote {
            vote: grid()[pick].id.clone(),
            user,
            voted_at: self.start + Duration::milliseconds(37 * self.count as i64),
        }
    }

    /// The next `count` votes.
    pub fn votes(&mut self, count: usize) -> Vec<Vote> {
        (0..count).map(|_| self.vote()).collect()
    }
}

/// The number of distinct fans among `votes`: the votes that should count.
pub fn distinct_fans(votes: &[Vote]) -> usize {
    votes.iter().map(|vote| vote.user.as_str()).collect::<HashSet<_>>().len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_has_22_distinct_drivers() {
        let ids: HashSet<_> = grid().iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids.len(), 22);
        assert!(is_driver("VER") && !is_driver("XYZ") && !is_driver("ver"));
    }

    #[test]
    fn crowds_are_reproducible_and_vote_for_real_drivers() {
        let votes = Crowd::new(3, 50).votes(200);
        assert_eq!(votes, Crowd::new(3, 50).votes(200));
        assert!(votes.iter().all(|vote| is_driver(&vote.vote)));
    }

    #[test]
    fn some_fans_vote_more_than_once() {
        let votes = Crowd::new(3, 10_000).votes(500);
        let fans = distinct_fans(&votes);
        assert!(fans < 480 && fans > 400, "{fans} distinct fans in 500 votes");
    }
}
