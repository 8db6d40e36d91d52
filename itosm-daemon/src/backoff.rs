//! The one retry schedule: exponential, capped, with jitter, so that many
//! processes that lost the same dependency at the same moment do not come
//! back at the same moment and knock it over again.

use std::time::Duration;

use rand::Rng;

/// The delay before retry number `attempt` (1 for the first): `first`
/// doubled per attempt, capped at `cap`, then drawn uniformly between zero
/// and that ("full jitter").
pub fn full_jitter(first: Duration, cap: Duration, attempt: u32) -> Duration {
    let ceiling = first
        .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1).min(30)))
        .min(cap);
    let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(rand::rng().random_range(0..=millis))
}

/// A reconnect loop's schedule: each [`Backoff::next_delay`] grows from
/// `first` toward `cap`; [`Backoff::reset`] after a success starts over.
/// Delays carry "equal jitter" (half fixed, half random), so a reconnecting
/// loop never spins with a zero delay.
#[derive(Debug, Clone)]
pub struct Backoff {
    first: Duration,
    cap: Duration,
    attempt: u32,
}

impl Backoff {
    /// A schedule from `first` up to `cap`.
    pub fn new(first: Duration, cap: Duration) -> Self {
        Backoff {
            first,
            cap,
            attempt: 0,
        }
    }

    /// The delay before the next try.
    pub fn next_delay(&mut self) -> Duration {
        self.attempt = self.attempt.saturating_add(1);
        let ceiling = self
            .first
            .saturating_mul(2u32.saturating_pow(self.attempt.saturating_sub(1).min(30)))
            .min(self.cap);
        let half = ceiling / 2;
        let spread = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        half + Duration::from_millis(rand::rng().random_range(0..=spread))
    }

    /// Starts over from `first` (after a success).
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_to_the_cap_with_jitter_and_reset() {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
        let delays: Vec<Duration> = (0..12).map(|_| backoff.next_delay()).collect();
        assert!(delays[0] >= Duration::from_millis(50) && delays[0] <= Duration::from_millis(100));
        for delay in &delays[8..] {
            assert!(*delay >= Duration::from_millis(2500) && *delay <= Duration::from_secs(5));
        }
        backoff.reset();
        assert!(backoff.next_delay() <= Duration::from_millis(100));

        // Many loops that failed together spread out instead of retrying
        // in lockstep.
        let spread: std::collections::BTreeSet<Duration> = (0..50)
            .map(|_| Backoff::new(Duration::from_secs(1), Duration::from_secs(10)).next_delay())
            .collect();
        assert!(spread.len() > 10, "{spread:?}");
    }

    #[test]
    fn full_jitter_stays_under_the_capped_ceiling() {
        for attempt in 1..40 {
            let delay = full_jitter(Duration::from_millis(100), Duration::from_secs(60), attempt);
            let ceiling = Duration::from_millis(100)
                .saturating_mul(2u32.saturating_pow(attempt - 1))
                .min(Duration::from_secs(60));
            assert!(delay <= ceiling, "{attempt}: {delay:?}");
        }
    }
}
