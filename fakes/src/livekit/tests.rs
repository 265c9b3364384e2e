//! The client against the fake LiveKit on loopback: minted tokens admit
//! (or not) as LiveKit would, the RoomService ends calls and treats what is
//! already gone as done, LiveKit's errors map to what the caller should do
//! (`rooms`), and the webhooks arrive signed and verify (`webhooks`).

mod rooms;
mod webhooks;

use samia_sidecar::livekit::{Grants, LiveKitClient};
use serde_json::Value;
use std::time::Duration;

const HOUR: Duration = Duration::from_secs(3600);

fn token(client: &LiveKitClient, identity: &str, room: &str, grants: Grants) -> String {
    client
        .access_token(identity, Some("Someone"), room, grants, HOUR)
        .expect("a token")
        .0
}

fn reasons(events: &[Value]) -> Vec<(String, Option<String>)> {
    events
        .iter()
        .map(|e| {
            let body: Value =
                serde_json::from_str(e["body"].as_str().expect("a body")).expect("a JSON body");
            (
                e["event"].as_str().expect("a kind").to_string(),
                body["participant"]["disconnectReason"]
                    .as_str()
                    .map(str::to_string),
            )
        })
        .collect()
}
