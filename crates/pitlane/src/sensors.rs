//! Simulated trackside sensors: the events the first days stream.
//!
//! Around a circuit, sensors report the track temperature, the air
//! temperature, the humidity and the wind speed a few times a second. That is
//! the classic "event stream" workload: many small JSON records, each from one
//! source, where the order *per source* matters.
//!
//! The simulator is deterministic: the same seed gives the same readings,
//! timestamps included. Recorded fixtures therefore have the same payloads
//! every time they are recorded; only what Kinesis assigns (sequence numbers,
//! arrival times) changes.

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// What a sensor measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    TrackTemperature,
    AirTemperature,
    Humidity,
    WindSpeed,
}

impl Metric {
    const ALL: [Metric; 4] =
        [Metric::TrackTemperature, Metric::AirTemperature, Metric::Humidity, Metric::WindSpeed];

    /// The unit the value is expressed in.
    pub fn unit(self) -> &'static str {
        match self {
            Metric::TrackTemperature | Metric::AirTemperature => "celsius",
            Metric::Humidity => "percent",
            Metric::WindSpeed => "m/s",
        }
    }

    /// A plausible (low, high) range of values.
    fn range(self) -> (f64, f64) {
        match self {
            Metric::TrackTemperature => (28.0, 52.0),
            Metric::AirTemperature => (14.0, 31.0),
            Metric::Humidity => (35.0, 90.0),
            Metric::WindSpeed => (0.0, 12.0),
        }
    }
}

/// One reading of one sensor: the JSON payload of one Kinesis record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SensorReading {
    /// Which sensor sent it, e.g. `"turn-03"`. The natural partition key:
    /// readings of one sensor stay in order on one shard.
    pub sensor_id: String,
    pub metric: Metric,
    pub value: f64,
    pub unit: String,
    /// The producer's running number for this reading, starting at 0. It
    /// makes a lost or duplicated record visible.
    pub seq: u64,
    /// When the sensor took the reading (event time, not arrival time).
    pub recorded_at: DateTime<Utc>,
}

/// A deterministic source of [`SensorReading`]s.
#[derive(Clone, Debug)]
pub struct Simulator {
    rng: SplitMix64,
    sensors: u32,
    next_seq: u64,
    start: DateTime<Utc>,
}

impl Simulator {
    /// Readings from `sensors` sensors (`turn-01`, `turn-02`, ...), taken
    /// every 100 ms from the start of the 2026 British Grand Prix.
    pub fn new(seed: u64, sensors: u32) -> Self {
        assert!(sensors > 0, "a simulator needs at least one sensor");
        Self {
            rng: SplitMix64(seed),
            sensors,
            next_seq: 0,
            start: Utc.with_ymd_and_hms(2026, 7, 5, 14, 0, 0).unwrap(),
        }
    }

    /// The next reading.
    pub fn reading(&mut self) -> SensorReading {
        let seq = self.next_seq;
        self.next_seq += 1;
        let sensor = (self.rng.next() % u64::from(self.sensors)) as u32 + 1;
        let metric = Metric::ALL[(self.rng.next() % Metric::ALL.len() as u64) as usize];
        let (low, high) = metric.range();
        let fraction = (self.rng.next() >> 11) as f64 / (1u64 << 53) as f64;
        // One decimal, as a real sensor would report it.
        let value = ((low + fraction * (high - low)) * 10.0).round() / 10.0;
        SensorReading {
            sensor_id: format!("turn-{sensor:02}"),
            metric,
            value,
            unit: metric.unit().to_owned(),
            seq,
            recorded_at: self.start + Duration::milliseconds(100 * seq as i64),
        }
    }

    /// The next `count` readings.
    pub fn take(&mut self, count: usize) -> Vec<SensorReading> {
        (0..count).map(|_| self.reading()).collect()
    }
}

/// A tiny, well-known pseudo-random generator (SplitMix64): reproducible on
/// every platform, which a seeded fixture needs, and no dependency.
#[derive(Clone, Debug)]
pub(crate) struct SplitMix64(pub(crate) u64);

impl SplitMix64 {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_readings() {
        assert_eq!(Simulator::new(7, 5).take(50), Simulator::new(7, 5).take(50));
    }

    #[test]
    fn readings_are_numbered_and_plausible() {
        let readings = Simulator::new(1, 3).take(200);
        for (index, reading) in readings.iter().enumerate() {
            assert_eq!(reading.seq, index as u64);
            let (low, high) = reading.metric.range();
            assert!((low..=high).contains(&reading.value), "{reading:?}");
            assert!(["turn-01", "turn-02", "turn-03"].contains(&reading.sensor_id.as_str()));
        }
    }

    #[test]
    fn readings_serialize_as_camel_case_json() {
        let json = serde_json::to_value(Simulator::new(1, 1).reading()).unwrap();
        assert_eq!(json["sensorId"], "turn-01");
        assert_eq!(json["seq"], 0);
        assert_eq!(json["recordedAt"], "2026-07-05T14:00:00Z");
    }
}
