//! The reconnection delay (docs/architecture.md "Retry policy", identical in TS and Rust).

use std::time::{Duration, SystemTime};

use serde::Deserialize;

/// An attempt past any growth: its delay is the longest the policy waits (a wait while offline).
pub(crate) const UNBOUNDED_ATTEMPT: u32 = u32::MAX;

/// `retry.*` options. Durations are milliseconds on the wire.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RetryPolicy {
    /// Reconnection time until the server sends `retry:`.
    pub initial_delay: u64,
    /// Backoff cap (a server `retry:` above it still wins).
    pub max_delay: u64,
    pub factor: f64,
    /// Fraction 0..1 of the delay added at random, so clients do not reconnect in lockstep.
    pub jitter: f64,
    /// Consecutive failed attempts before giving up; `None` = unlimited.
    pub max_attempts: Option<u32>,
    /// HTTP statuses that reestablish the connection instead of failing it.
    pub on_status: Vec<u16>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            initial_delay: 3000,
            max_delay: 30_000,
            factor: 2.0,
            jitter: 0.2,
            max_attempts: None,
            on_status: Vec::new(),
        }
    }
}

impl RetryPolicy {
    /// Delay in ms before attempt number `attempt` (1 = first reconnect after a success).
    /// `base` is the reconnection time, `retry_after` the server's `Retry-After` in ms (only when
    /// the status is in `on_status`), `random` a value in [0, 1).
    pub fn delay(&self, base: u64, attempt: u32, retry_after: Option<u64>, random: f64) -> u64 {
        let base = base as f64;
        let cap = base.max(self.max_delay as f64);
        let exponent = attempt.saturating_sub(1).min(i32::MAX as u32) as i32;
        let backoff = cap.min(base * self.factor.powi(exponent));
        // spec: wait the reconnection time and optionally longer, so jitter only adds: a
        // server shedding load with `retry:` never sees a client come back early
        let mut delay = backoff * (1.0 + self.jitter.clamp(0.0, 1.0) * random);
        if let Some(retry_after) = retry_after {
            delay = delay.max((retry_after as f64).min(cap));
        }
        // f64 -> u64 saturates; NaN (factor NaN) becomes 0
        delay.round() as u64
    }

    /// Rejects values the formula cannot honour.
    pub fn validate(&self) -> crate::error::Result<()> {
        let invalid = |what: &str| Err(crate::error::Error::InvalidOptions(what.to_string()));
        if !(self.factor.is_finite() && self.factor >= 1.0) {
            return invalid("`retry.factor` must be a number >= 1");
        }
        if !(0.0..=1.0).contains(&self.jitter) {
            return invalid("`retry.jitter` must be between 0 and 1");
        }
        if let Some(status) = self.on_status.iter().find(|s| !(100..=999).contains(*s)) {
            return invalid(&format!(
                "`retry.onStatus` has {status}, not an HTTP status"
            ));
        }
        Ok(())
    }

    /// Whether `attempt` is past `max_attempts`.
    pub fn exhausted(&self, attempt: u32) -> bool {
        self.max_attempts.is_some_and(|max| attempt > max)
    }
}

/// `Retry-After`: delay-seconds or an HTTP date, as ms from `now`. Dates in the past mean 0.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<u64> {
    let value = value.trim();
    // delay-seconds = 1*DIGIT: `parse` alone would take "+5"; more seconds than u64 holds saturate.
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(
            value
                .parse::<u64>()
                .map_or(u64::MAX, |s| s.saturating_mul(1000)),
        );
    }
    let date = httpdate::parse_http_date(value).ok()?;
    let wait = date.duration_since(now).unwrap_or(Duration::ZERO);
    Some(wait.as_millis().try_into().unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(max_delay: u64, factor: f64, jitter: f64) -> RetryPolicy {
        RetryPolicy {
            max_delay,
            factor,
            jitter,
            ..RetryPolicy::default()
        }
    }

    #[test]
    fn grows_by_factor_until_the_cap() {
        let p = policy(10_000, 2.0, 0.0);
        let delays: Vec<u64> = (1..=6).map(|a| p.delay(1000, a, None, 0.0)).collect();
        assert_eq!(delays, [1000, 2000, 4000, 8000, 10_000, 10_000]);
    }

    #[test]
    fn server_retry_above_the_cap_wins() {
        let p = policy(1000, 2.0, 0.0);
        assert_eq!(p.delay(5000, 1, None, 0.0), 5000);
        assert_eq!(p.delay(5000, 4, None, 0.0), 5000);
    }

    #[test]
    fn jitter_adds_up_to_its_fraction_never_less_than_the_base() {
        let p = policy(30_000, 2.0, 0.2);
        assert_eq!(p.delay(1000, 1, None, 0.0), 1000);
        assert_eq!(p.delay(1000, 1, None, 0.5), 1100);
        assert_eq!(p.delay(1000, 1, None, 0.999_999), 1200);
    }

    #[test]
    fn retry_after_raises_the_delay_up_to_the_cap() {
        let p = policy(10_000, 2.0, 0.2);
        assert_eq!(p.delay(1000, 1, Some(4000), 0.5), 4000);
        assert_eq!(p.delay(1000, 1, Some(60_000), 0.5), 10_000);
        assert_eq!(p.delay(1000, 3, Some(10), 0.0), 4000);
    }

    #[test]
    fn huge_attempts_do_not_overflow() {
        let p = policy(30_000, 2.0, 0.0);
        assert_eq!(p.delay(3000, u32::MAX, None, 0.0), 30_000);
    }

    #[test]
    fn max_attempts_counts_consecutive_failures() {
        let p = RetryPolicy {
            max_attempts: Some(2),
            ..RetryPolicy::default()
        };
        assert!(!p.exhausted(2));
        assert!(p.exhausted(3));
        assert!(!RetryPolicy::default().exhausted(u32::MAX));
    }

    #[test]
    fn nonsensical_factor_or_jitter_is_refused() {
        for p in [
            policy(1, 0.5, 0.0),
            policy(1, f64::NAN, 0.0),
            policy(1, 2.0, 1.5),
        ] {
            assert!(p.validate().is_err(), "{p:?}");
        }
        assert!(RetryPolicy::default().validate().is_ok());
    }

    #[test]
    fn retry_after_seconds_or_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after(" 3 ", now), Some(3000));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(5));
        assert_eq!(parse_retry_after(&later, now), Some(5000));
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(5));
        assert_eq!(parse_retry_after(&earlier, now), Some(0));
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
