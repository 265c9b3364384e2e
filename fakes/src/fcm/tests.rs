//! The FCM client against the fake FCM on loopback: pushes arrive as FCM
//! takes them and dead tokens, passing trouble and refusals come back as
//! the caller must act on them (`sending`); access tokens are fetched once
//! for concurrent senders, kept until five minutes before they expire, and
//! fetched again once when refused, a second refusal being the account's
//! fault (`tokens`); the fake checks token requests and sends as Google
//! does (`checks`).

mod checks;
mod sending;
mod tokens;
