//! Firebase Cloud Messaging (HTTP v1): push notifications to the apps.
//! [`Fcm::send`] sends one [`PushMessage`] to one device and tells what
//! became of it: sent, a dead device token to forget, or an [`FcmError`]
//! (try again later, the service account refused, the message refused).
//! The settings are [`FcmArgs`] (`FCM_SERVICE_ACCOUNT_FILE` or
//! `FCM_SERVICE_ACCOUNT_JSON`, `FCM_BASE_URL`). (The fake FCM of
//! development and the tests is `samia-fake fcm`, in the samia-fakes
//! crate.)
//!
//! What this follows, from Google's documentation and client libraries
//! (Firebase: "Error codes for FCM failure conditions" (rest/v1/ErrorCode),
//! "FCM error codes" (cloud-messaging/error-codes), "Best practices for FCM
//! registration token management" (cloud-messaging/manage-tokens),
//! projects.messages; Google Identity: "Using OAuth 2.0 for Server to
//! Server Applications"; googleapis/google-auth-library-python
//! `google/oauth2/_client.py` and `service_account.py`):
//!
//! - A service account key file holds `project_id`, `client_email`,
//!   `private_key` (PKCS#8 PEM, RSA), `private_key_id` and `token_uri`
//!   (`https://oauth2.googleapis.com/token`).
//! - Access token: `POST {token_uri}` form `grant_type=
//!   urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<JWT>`, the JWT
//!   RS256-signed with the private key, claims `iss` (the client email),
//!   `scope` (space-separated; here
//!   `https://www.googleapis.com/auth/firebase.messaging`), `aud` (the
//!   token URI), `iat`, and `exp` at most one hour after `iat`. The answer
//!   is `{"access_token", "expires_in", "token_type": "Bearer"}`; a refusal
//!   `{"error": "invalid_grant", "error_description": ...}` (Google's
//!   libraries retry once on `internal_failure`).
//! - Send: `POST /v1/projects/{project_id}/messages:send` with
//!   `Authorization: Bearer`, body `{"message": {"token", "notification":
//!   {"title", "body"}, "data": {string: string}, "android": {"priority":
//!   "NORMAL"|"HIGH", "collapse_key"}, "apns": {"headers": {"apns-priority":
//!   "5"|"10", "apns-collapse-id"}}}}`; the answer `{"name":
//!   "projects/{id}/messages/{message_id}"}`. `data` keys may not be
//!   `from`, `message_type`, or start with `google` or `gcm`; a message
//!   holds at most 4096 bytes of payload.
//! - Errors: `{"error": {"code", "message", "status", "details": [{"@type":
//!   "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode"}]}}`,
//!   sometimes with a `google.rpc.BadRequest` detail naming the field. The
//!   codes: `UNREGISTERED` (404: the token is no longer valid, delete it),
//!   `INVALID_ARGUMENT` (400: also "The registration token is not a valid
//!   FCM registration token"; Firebase says a token answered UNREGISTERED
//!   or INVALID_ARGUMENT, with a valid payload, can be deleted),
//!   `SENDER_ID_MISMATCH` (403: the token belongs to another sender),
//!   `THIRD_PARTY_AUTH_ERROR` (401: the project's APNs certificate or web
//!   push key), `QUOTA_EXCEEDED` (429), `UNAVAILABLE` (503: honour
//!   `Retry-After`), `INTERNAL` (500). The canonical `status` may say more
//!   than `errorCode` (`NOT_FOUND`, `UNAUTHENTICATED`, `PERMISSION_DENIED`).

mod account;
mod client;
mod config;
mod errors;
pub mod jobs;
pub mod message;
pub mod token;

pub use account::{AccountError, ServiceAccount, SigningKey, DEFAULT_TOKEN_URI};
pub use client::{Fcm, SendOutcome};
pub use config::{FcmArgs, FcmConfig, DEFAULT_BASE_URL};
pub use errors::{ErrorBody, FcmError, BAD_REQUEST_TYPE, FCM_ERROR_TYPE};
pub use message::PushMessage;

#[cfg(test)]
mod testing;
