//! Bounded exponential backoff with full jitter (day 02 builds it; later
//! days use this one).

use std::time::Duration;

/// How many times to try, and how long to wait in between.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first one included.
    pub max_attempts: u32,
    /// The upper bound of the first retry's delay; it doubles each retry.
    pub base_delay: Duration,
    /// No delay is longer than this.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            base_delay: Duration::from_millis(50),
            max_delay: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// No waiting between attempts: for tests.
    pub fn immediate(max_attempts: u32) -> Self {
        Self { max_attempts, base_delay: Duration::ZERO, max_delay: Duration::ZERO }
    }

    /// A random delay between zero and `base_delay * 2^(retry - 1)`, capped at
    /// `max_delay` ("full jitter"), before retry number `retry` (from 1).
    pub fn backoff(&self, retry: u32) -> Duration {
        let bound = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)))
            .min(self.max_delay);
        bound.mul_f64(fastrand::f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_stay_under_a_doubling_capped_bound() {
        let policy = RetryPolicy::default();
        for retry in 1..40 {
            let bound = (policy.base_delay * 2u32.saturating_pow(retry - 1)).min(policy.max_delay);
            assert!((0..50).all(|_| policy.backoff(retry) <= bound));
        }
        assert_eq!(RetryPolicy::immediate(3).backoff(5), Duration::ZERO);
    }
}
