//! Exponential backoff with full jitter, so that a fleet of agents coming
//! back after a server outage does not knock it over again in lockstep.

use std::time::Duration;

use rand::Rng;

/// Retry delays: the ceiling doubles after each failure up to `cap`, and
/// each delay is drawn uniformly in `[0, ceiling]` ("full jitter").
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    attempt: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new(Duration::from_secs(1), Duration::from_secs(300))
    }
}

impl Backoff {
    /// A backoff starting at `base` and never waiting more than `cap`.
    pub fn new(base: Duration, cap: Duration) -> Self {
        Self {
            base,
            cap,
            attempt: 0,
        }
    }

    /// The ceiling of the next delay.
    pub fn ceiling(&self) -> Duration {
        // Past 2^20 the ceiling is above any sane cap; stop shifting so it
        // cannot overflow.
        let factor = 1u32 << self.attempt.min(20);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// The next delay to wait, and counts one more failure.
    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self.ceiling();
        self.attempt = self.attempt.saturating_add(1);
        let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::rng().random_range(0..=millis))
    }

    /// Forgets the failures, after a success.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_stay_within_the_ceiling_which_grows_then_caps() {
        let cap = Duration::from_secs(300);
        let mut backoff = Backoff::new(Duration::from_secs(1), cap);
        let mut ceilings = Vec::new();
        for _ in 0..30 {
            let ceiling = backoff.ceiling();
            ceilings.push(ceiling);
            let delay = backoff.next_delay();
            assert!(delay <= ceiling, "{delay:?} > {ceiling:?}");
            assert!(delay <= cap);
        }
        assert_eq!(ceilings[0], Duration::from_secs(1));
        assert_eq!(ceilings[1], Duration::from_secs(2));
        assert_eq!(ceilings[5], Duration::from_secs(32));
        assert!(ceilings.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(ceilings[29], cap);
        backoff.reset();
        assert_eq!(backoff.ceiling(), Duration::from_secs(1));
    }

    #[test]
    fn jitter_actually_varies() {
        let mut backoff = Backoff::new(Duration::from_secs(100), Duration::from_secs(100));
        let delays: std::collections::HashSet<_> = (0..20).map(|_| backoff.next_delay()).collect();
        assert!(delays.len() > 1);
    }
}
