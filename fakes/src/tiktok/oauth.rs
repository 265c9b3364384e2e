//! The fake's OAuth: the authorize page (approved at once), the token
//! endpoint (codes exchanged, refresh tokens rotated) and revoking a token,
//! each checking the app's client key and secret as TikTok does.

use super::answers::{log_id, oauth_error, oauth_refusal, Reply};
use super::state::{self, OauthRefusal};
use super::{field, query, Fake, AUTHORIZE};
use crate::form;
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use serde_json::json;

impl Fake {
    fn client_refusal(&self, form: &[(String, String)]) -> Option<OauthRefusal> {
        match (field(form, "client_key"), field(form, "client_secret")) {
            (Some(key), Some(secret)) if !key.is_empty() && !secret.is_empty() => {
                let right = key == self.settings.client_key
                    && secret == self.settings.client_secret.expose_secret();
                (!right).then(|| {
                    oauth_refusal(401, "invalid_client", "Client key or secret is incorrect.")
                })
            }
            _ => Some(oauth_refusal(
                400,
                "invalid_request",
                "client_key and client_secret are required.",
            )),
        }
    }

    pub(super) fn token(&self, body: &[u8]) -> Reply {
        let now = self.now();
        let form = form(body);
        if let Some(refusal) = self.client_refusal(&form) {
            return oauth_error(&refusal, now);
        }
        let ttls = self.settings.ttls();
        let mut inner = self.lock();
        let outcome = match field(&form, "grant_type") {
            Some("authorization_code") => {
                match (field(&form, "code"), field(&form, "redirect_uri")) {
                    (Some(code), Some(uri)) => inner.account.exchange(code, uri, now, ttls),
                    _ => Err(oauth_refusal(
                        400,
                        "invalid_request",
                        "code and redirect_uri are required.",
                    )),
                }
            }
            Some("refresh_token") => match field(&form, "refresh_token") {
                Some(token) => inner.account.refresh(token, now, ttls),
                None => Err(oauth_refusal(
                    400,
                    "invalid_request",
                    "refresh_token is required.",
                )),
            },
            Some(_) => Err(oauth_refusal(
                400,
                "unsupported_grant_type",
                "The grant type is not supported.",
            )),
            None => Err(oauth_refusal(
                400,
                "invalid_request",
                "grant_type is required.",
            )),
        };
        match outcome {
            Ok(tokens) => Reply {
                status: 200,
                code: None,
                body: tokens,
                retry_after: None,
                log_id: Some(log_id(now)),
            },
            Err(refusal) => oauth_error(&refusal, now),
        }
    }

    pub(super) fn revoke(&self, body: &[u8]) -> Reply {
        let now = self.now();
        let form = form(body);
        if let Some(refusal) = self.client_refusal(&form) {
            return oauth_error(&refusal, now);
        }
        let Some(token) = field(&form, "token") else {
            return oauth_error(
                &oauth_refusal(400, "invalid_request", "token is required."),
                now,
            );
        };
        self.lock().account.revoke_token(token);
        Reply {
            status: 200,
            code: None,
            body: json!({}),
            retry_after: None,
            log_id: Some(log_id(now)),
        }
    }

    pub(super) fn authorize(&self, uri: &Uri) -> Response {
        let now = self.now();
        let q = query(uri);
        let refuse = |description: &str| {
            let reply = oauth_error(&oauth_refusal(400, "invalid_request", description), now);
            self.finish(AUTHORIZE, reply)
        };
        if field(&q, "client_key") != Some(self.settings.client_key.as_str()) {
            return refuse("client_key is missing or unknown.");
        }
        let Some(redirect_uri) = field(&q, "redirect_uri")
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        else {
            return refuse("redirect_uri is missing or not an http(s) URL.");
        };
        let scopes: Vec<String> = field(&q, "scope")
            .unwrap_or("")
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        let mut back = form_urlencoded::Serializer::new(String::new());
        let error = if field(&q, "response_type") != Some("code") {
            Some("unsupported_response_type")
        } else if scopes.is_empty() || scopes.iter().any(|s| !state::SCOPES.contains(&s.as_str())) {
            Some("invalid_scope")
        } else {
            None
        };
        match error {
            Some(error) => {
                back.append_pair("error", error);
                back.append_pair("error_description", "The request was refused.");
            }
            None => {
                let joined = scopes.join(",");
                let code = self.lock().account.issue_code(scopes, redirect_uri, now);
                back.append_pair("code", &code);
                back.append_pair("scopes", &joined);
            }
        }
        if let Some(state) = field(&q, "state") {
            back.append_pair("state", state);
        }
        let separator = if redirect_uri.contains('?') { '&' } else { '?' };
        let location = format!("{redirect_uri}{separator}{}", back.finish());
        self.log(AUTHORIZE, 302, error);
        let mut response = StatusCode::FOUND.into_response();
        if let Ok(value) = HeaderValue::from_str(&location) {
            response.headers_mut().insert(header::LOCATION, value);
        }
        response
    }
}
