//! Crash-test failpoints: `QUANTBOT_FAILPOINT=<name>` makes the process stop dead at that point
//! (it announces itself on stderr and waits to be killed with SIGKILL), so integration tests can
//! `kill -9` the real binary at each step of a trade. Unset in production: a single relaxed load.

use std::sync::OnceLock;

fn configured() -> Option<&'static str> {
    static NAME: OnceLock<Option<String>> = OnceLock::new();
    NAME.get_or_init(|| std::env::var("QUANTBOT_FAILPOINT").ok().filter(|v| !v.is_empty())).as_deref()
}

/// Stops the process here if the failpoint `name` is configured.
pub fn hit(name: &str) {
    if configured() == Some(name) {
        eprintln!("FAILPOINT {name} reached");
        loop {
            std::thread::park();
        }
    }
}
