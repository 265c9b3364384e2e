//! A sliding-window request budget: at most `limit` requests in any span of
//! `window` (TikTok allows 600 requests a minute). The client waits for its
//! turn ([`Window::reserve`]); the fake refuses past the budget
//! ([`Window::admit`]). Both take the time as an argument, so the rule is
//! tested with made-up instants rather than by sleeping.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// TikTok's budget for the Display API.
pub const REQUESTS_PER_MINUTE: u32 = 600;
pub const MINUTE: Duration = Duration::from_secs(60);

/// The times of the requests made (or reserved) in the current window.
#[derive(Debug)]
pub struct Window {
    limit: usize,
    window: Duration,
    /// Ascending; may hold times in the future (reserved, not yet sent).
    slots: VecDeque<Instant>,
}

impl Window {
    /// At most `limit` requests (at least one) in any `window`.
    pub fn new(limit: u32, window: Duration) -> Window {
        Window {
            limit: usize::try_from(limit.max(1)).unwrap_or(usize::MAX),
            window,
            slots: VecDeque::new(),
        }
    }

    fn forget_before(&mut self, now: Instant) {
        while let Some(&first) = self.slots.front() {
            if first + self.window <= now {
                self.slots.pop_front();
            } else {
                break;
            }
        }
    }

    /// Takes the earliest slot at or after `now` that keeps every window
    /// within the limit, after every slot already taken (first come, first
    /// served), and returns how long to wait for it.
    pub fn reserve(&mut self, now: Instant) -> Duration {
        self.forget_before(now);
        let mut at = now;
        if let Some(&last) = self.slots.back() {
            at = at.max(last);
        }
        if self.slots.len() >= self.limit {
            // The limit-th most recent slot must have left the window.
            let oldest_in_window = self.slots[self.slots.len() - self.limit];
            at = at.max(oldest_in_window + self.window);
        }
        self.slots.push_back(at);
        at.saturating_duration_since(now)
    }

    /// Counts a request at `now` when the budget allows it; `false` (and
    /// nothing counted) when it does not.
    pub fn admit(&mut self, now: Instant) -> bool {
        self.forget_before(now);
        if self.slots.len() >= self.limit {
            return false;
        }
        self.slots.push_back(now);
        true
    }
}

/// A [`Window`] shared by every clone of a client.
#[derive(Debug, Clone)]
pub struct Limiter(Arc<Mutex<Window>>);

impl Limiter {
    pub fn new(limit: u32, window: Duration) -> Limiter {
        Limiter(Arc::new(Mutex::new(Window::new(limit, window))))
    }

    /// Waits until one more request fits the budget.
    pub async fn acquire(&self) {
        let wait = self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .reserve(Instant::now());
        if !wait.is_zero() {
            tracing::debug!(
                wait_ms = wait.as_millis() as u64,
                "waiting for TikTok's request budget"
            );
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    #[test]
    fn the_budget_is_spent_at_once_then_each_request_waits_for_a_slot_to_leave() {
        let t0 = Instant::now();
        let mut w = Window::new(3, 10 * SEC);
        assert_eq!(
            [w.reserve(t0), w.reserve(t0), w.reserve(t0)],
            [Duration::ZERO; 3]
        );
        // The fourth goes when the first leaves the window, the fifth and
        // sixth when theirs do.
        assert_eq!(w.reserve(t0), 10 * SEC);
        assert_eq!(w.reserve(t0), 10 * SEC);
        assert_eq!(w.reserve(t0 + 2 * SEC), 8 * SEC);
        assert_eq!(w.reserve(t0 + 2 * SEC), 18 * SEC);
    }

    #[test]
    fn no_window_ever_holds_more_than_the_limit() {
        // Requests arriving every 30 ms against 600 a minute: sent times
        // never put 601 in one minute, and none waits when there is room.
        let t0 = Instant::now();
        let mut w = Window::new(REQUESTS_PER_MINUTE, MINUTE);
        let mut sent = Vec::new();
        for i in 0..2000u32 {
            let arrival = t0 + Duration::from_millis(30) * i;
            let wait = w.reserve(arrival);
            if i < 600 {
                assert!(wait.is_zero(), "request {i} waited {wait:?}");
            }
            sent.push(arrival + wait);
        }
        assert!(sent.windows(2).all(|p| p[0] <= p[1]), "sent in order");
        for (i, &start) in sent.iter().enumerate() {
            let in_window = sent[i..]
                .iter()
                .take_while(|&&t| t < start + MINUTE)
                .count();
            assert!(
                in_window <= 600,
                "{in_window} requests in the minute from {i}"
            );
        }
        // And the budget is used: the 601st goes one minute after the first.
        assert_eq!(sent[600], sent[0] + MINUTE);
    }

    #[test]
    fn admit_refuses_past_the_limit_until_the_window_moves_on() {
        let t0 = Instant::now();
        let mut w = Window::new(2, 10 * SEC);
        assert!(w.admit(t0));
        assert!(w.admit(t0 + SEC));
        assert!(!w.admit(t0 + 2 * SEC));
        assert!(!w.admit(t0 + 9 * SEC));
        assert!(w.admit(t0 + 10 * SEC));
        assert!(!w.admit(t0 + 10 * SEC));
        assert!(w.admit(t0 + 11 * SEC));
    }

    #[tokio::test]
    async fn clones_share_one_budget() {
        let limiter = Limiter::new(2, MINUTE);
        let clone = limiter.clone();
        limiter.acquire().await;
        clone.acquire().await;
        // Both slots are taken: a third reservation waits about a minute.
        let wait = limiter
            .0
            .lock()
            .expect("not poisoned")
            .reserve(Instant::now());
        assert!(wait > Duration::from_secs(59), "{wait:?}");
    }
}
