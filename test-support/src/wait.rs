//! Waiting for a condition inside a test, bounded.

/// How many times [`until`] yields before it gives up.
const SPINS: usize = 20_000_000;

/// Yields until `cond` holds; panics with `what` after a bounded number of yields. A yielding
/// task keeps the runtime busy, so paused time does not auto-advance while a real socket is in
/// flight.
pub async fn until(what: &str, cond: impl FnMut() -> bool) {
    until_within(SPINS, what, cond).await;
}

/// [`until`], giving up after `spins` yields.
async fn until_within(spins: usize, what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..spins {
        if cond() {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("not reached: {what}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn returns_once_the_condition_holds() {
        let mut calls = 0;
        until("the third call", || {
            calls += 1;
            calls == 3
        })
        .await;
        assert_eq!(calls, 3);
    }

    #[tokio::test(start_paused = true)]
    #[should_panic(expected = "not reached: never")]
    async fn gives_up_with_its_reason() {
        until_within(10, "never", || false).await;
    }
}
