//! Throttling: a fixed budget of login attempts per username and per client
//! address in a sliding window ([`LoginThrottle`]), and of costly actions
//! (new tickets, comments) per user ([`ActionLimiter`]).
//!
//! An attempt takes its slots *before* the credentials are checked, under one
//! lock, so racing many parallel wrong logins cannot get more checks than the
//! budget allows. A successful login gives the username its whole budget
//! back and the address the one slot it took, so an office behind one NAT
//! address is limited by its failures, not by how many people log in.
//! Budgets live in the process: with several API instances, each enforces
//! its own.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use crate::CoreError;

/// How many login attempts are allowed, per what and how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleConfig {
    /// Attempts per username per window.
    pub per_user: u32,
    /// Attempts per client address per window.
    pub per_address: u32,
    /// The window.
    pub window: Duration,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        ThrottleConfig {
            per_user: 5,
            per_address: 20,
            window: Duration::minutes(15),
        }
    }
}

/// Keys kept before old ones are swept, to bound memory under a flood of
/// distinct usernames or addresses.
const SWEEP_ABOVE_KEYS: usize = 10_000;

#[derive(Debug, Default)]
struct Budgets {
    users: HashMap<String, VecDeque<DateTime<Utc>>>,
    addresses: HashMap<String, VecDeque<DateTime<Utc>>>,
}

/// The login throttle; see the module docs.
#[derive(Debug)]
pub struct LoginThrottle {
    config: ThrottleConfig,
    budgets: Mutex<Budgets>,
}

impl LoginThrottle {
    /// A throttle with `config`.
    pub fn new(config: ThrottleConfig) -> Self {
        LoginThrottle {
            config,
            budgets: Mutex::new(Budgets::default()),
        }
    }

    /// Takes one attempt for `username` and, if known, `address`; refuses
    /// with `RateLimited` (taking nothing) when either budget is spent.
    pub fn try_acquire(
        &self,
        username: &str,
        address: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), CoreError> {
        let window = self.config.window;
        let mut budgets = self.budgets.lock().unwrap_or_else(|p| p.into_inner());
        let Budgets { users, addresses } = &mut *budgets;
        if users.len() > SWEEP_ABOVE_KEYS {
            sweep(users, now - window);
        }
        if addresses.len() > SWEEP_ABOVE_KEYS {
            sweep(addresses, now - window);
        }
        let user_key = username.to_ascii_lowercase();
        let mut wait = None;
        let user_slots = users.entry(user_key).or_default();
        expire(user_slots, now - window);
        if user_slots.len() >= self.config.per_user as usize {
            wait = user_slots.front().copied();
        }
        let mut address_slots = address.map(|a| addresses.entry(a.to_owned()).or_default());
        if let Some(slots) = address_slots.as_deref_mut() {
            expire(slots, now - window);
            if slots.len() >= self.config.per_address as usize {
                wait = wait.max(slots.front().copied());
            }
        }
        if let Some(oldest) = wait {
            let retry = (oldest + window - now).num_seconds().max(1);
            return Err(CoreError::RateLimited {
                retry_after_seconds: retry.unsigned_abs(),
            });
        }
        user_slots.push_back(now);
        if let Some(slots) = address_slots {
            slots.push_back(now);
        }
        Ok(())
    }

    /// After a successful login: gives `username` its budget back, and
    /// `address` the slot this attempt took.
    pub fn succeeded(&self, username: &str, address: Option<&str>) {
        let mut budgets = self.budgets.lock().unwrap_or_else(|p| p.into_inner());
        budgets.users.remove(&username.to_ascii_lowercase());
        if let Some(slots) = address.and_then(|a| budgets.addresses.get_mut(a)) {
            slots.pop_back();
        }
    }

    /// After an attempt whose credentials could not be checked at all (the
    /// database was down): gives back the slots it took, so a dependency's
    /// failure never counts toward a lockout. Only a wrong credential counts.
    pub fn refund(&self, username: &str, address: Option<&str>, at: DateTime<Utc>) {
        let mut budgets = self.budgets.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(slots) = budgets.users.get_mut(&username.to_ascii_lowercase()) {
            remove_one(slots, at);
        }
        if let Some(slots) = address.and_then(|a| budgets.addresses.get_mut(a)) {
            remove_one(slots, at);
        }
    }
}

/// A budget of some costly action per user: at most `limit` in any
/// `window`, e.g. ten new tickets a minute.
#[derive(Debug)]
pub struct ActionLimiter {
    limit: u32,
    window: Duration,
    slots: Mutex<HashMap<i64, VecDeque<DateTime<Utc>>>>,
}

impl ActionLimiter {
    /// `limit` actions per `window` per user; a `limit` of 0 means no limit.
    pub fn new(limit: u32, window: Duration) -> Self {
        ActionLimiter {
            limit,
            window,
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one action for user `key`, or refuses with `RateLimited`
    /// (taking nothing) when his budget is spent.
    pub fn try_acquire(&self, key: i64, now: DateTime<Utc>) -> Result<(), CoreError> {
        if self.limit == 0 {
            return Ok(());
        }
        let cutoff = now - self.window;
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if slots.len() > SWEEP_ABOVE_KEYS {
            slots.retain(|_, taken| {
                expire(taken, cutoff);
                !taken.is_empty()
            });
        }
        let taken = slots.entry(key).or_default();
        expire(taken, cutoff);
        if taken.len() >= self.limit as usize {
            let oldest = taken.front().copied().unwrap_or(now);
            let retry = (oldest + self.window - now).num_seconds().max(1);
            return Err(CoreError::RateLimited {
                retry_after_seconds: retry.unsigned_abs(),
            });
        }
        taken.push_back(now);
        Ok(())
    }

    /// Gives back the action taken at `at` (it failed before doing anything).
    pub fn refund(&self, key: i64, at: DateTime<Utc>) {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(taken) = slots.get_mut(&key) {
            remove_one(taken, at);
        }
    }
}

fn remove_one(slots: &mut VecDeque<DateTime<Utc>>, at: DateTime<Utc>) {
    if let Some(index) = slots.iter().rposition(|t| *t == at) {
        slots.remove(index);
    }
}

fn expire(slots: &mut VecDeque<DateTime<Utc>>, cutoff: DateTime<Utc>) {
    while slots.front().is_some_and(|at| *at <= cutoff) {
        slots.pop_front();
    }
}

fn sweep(map: &mut HashMap<String, VecDeque<DateTime<Utc>>>, cutoff: DateTime<Utc>) {
    map.retain(|_, slots| {
        expire(slots, cutoff);
        !slots.is_empty()
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle() -> LoginThrottle {
        LoginThrottle::new(ThrottleConfig {
            per_user: 3,
            per_address: 5,
            window: Duration::minutes(10),
        })
    }

    #[test]
    fn a_username_gets_its_budget_then_waits_for_the_window() {
        let t = throttle();
        let now = Utc::now();
        for _ in 0..3 {
            t.try_acquire("John.Doe", Some("10.0.0.1"), now).unwrap();
        }
        let refused = t
            .try_acquire("john.doe", Some("10.0.0.2"), now)
            .unwrap_err();
        assert!(
            matches!(refused, CoreError::RateLimited { retry_after_seconds } if retry_after_seconds == 600)
        );
        assert!(
            t.try_acquire("john.doe", None, now + Duration::minutes(11))
                .is_ok()
        );
    }

    #[test]
    fn an_address_cannot_spray_many_usernames() {
        let t = throttle();
        let now = Utc::now();
        for i in 0..5 {
            t.try_acquire(&format!("user{i}"), Some("10.0.0.9"), now)
                .unwrap();
        }
        assert!(t.try_acquire("user99", Some("10.0.0.9"), now).is_err());
        assert!(t.try_acquire("user99", Some("10.0.0.8"), now).is_ok());
    }

    #[test]
    fn success_gives_the_username_its_budget_back() {
        let t = throttle();
        let now = Utc::now();
        for _ in 0..3 {
            t.try_acquire("jane", None, now).unwrap();
        }
        t.succeeded("jane", None);
        assert!(t.try_acquire("jane", None, now).is_ok());
    }

    #[test]
    fn successful_logins_do_not_spend_the_address_budget() {
        let t = throttle();
        let now = Utc::now();
        for i in 0..20 {
            let user = format!("user{i}");
            t.try_acquire(&user, Some("10.0.0.7"), now).unwrap();
            t.succeeded(&user, Some("10.0.0.7"));
        }
        for i in 0..5 {
            t.try_acquire(&format!("wrong{i}"), Some("10.0.0.7"), now)
                .unwrap();
        }
        assert!(t.try_acquire("next", Some("10.0.0.7"), now).is_err());
    }

    #[test]
    fn a_refunded_attempt_costs_nothing() {
        let t = throttle();
        let now = Utc::now();
        for i in 0..10 {
            let at = now + Duration::seconds(i);
            t.try_acquire("john", Some("10.0.0.5"), at).unwrap();
            t.refund("john", Some("10.0.0.5"), at);
        }
        for _ in 0..3 {
            t.try_acquire("john", Some("10.0.0.5"), now).unwrap();
        }
        assert!(t.try_acquire("john", Some("10.0.0.5"), now).is_err());
    }

    #[test]
    fn actions_are_limited_per_user_per_window() {
        let limiter = ActionLimiter::new(2, Duration::minutes(1));
        let now = Utc::now();
        limiter.try_acquire(1, now).unwrap();
        limiter.try_acquire(1, now).unwrap();
        let refused = limiter.try_acquire(1, now).unwrap_err();
        assert!(matches!(
            refused,
            CoreError::RateLimited {
                retry_after_seconds: 60
            }
        ));
        assert!(
            limiter.try_acquire(2, now).is_ok(),
            "another user has his own budget"
        );
        limiter.refund(1, now);
        assert!(
            limiter.try_acquire(1, now).is_ok(),
            "a refund gives one back"
        );
        assert!(limiter.try_acquire(1, now + Duration::seconds(61)).is_ok());
        let unlimited = ActionLimiter::new(0, Duration::minutes(1));
        for _ in 0..1000 {
            unlimited.try_acquire(1, now).unwrap();
        }
    }

    #[test]
    fn racing_threads_never_get_more_than_the_budget() {
        let t = std::sync::Arc::new(throttle());
        let now = Utc::now();
        let handles: Vec<_> = (0..50)
            .map(|_| {
                let t = std::sync::Arc::clone(&t);
                std::thread::spawn(move || t.try_acquire("victim", None, now).is_ok())
            })
            .collect();
        let granted = handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .filter(|ok| *ok)
            .count();
        assert_eq!(granted, 3);
    }
}
