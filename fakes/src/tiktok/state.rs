//! What the fake TikTok knows: one creator's posts and the authorizations
//! the creator gave the app (codes, access and refresh tokens). Plain data
//! with the time passed in, so the rules are tested without a server.
//!
//! Posts are ordered by a key in Unix milliseconds, `create_time * 1000`
//! plus an offset under 1000 that keeps posts of the same second apart, and
//! fixed when the post is added. A page's cursor is the key of its last
//! post; the next page lists the posts whose key is below it, as TikTok's
//! cursor ("videos posted before the provided timestamp", in milliseconds).
//! Posts added at the top while a client pages have larger keys, so the
//! pages it has not read yet do not move.

pub use super::seed::{parse_seed, posts_of, Seed, SeedPost};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Every field of TikTok's video object (developers.tiktok.com/doc/tiktok-api-v2-video-object).
pub const FIELDS: &[&str] = &[
    "id",
    "create_time",
    "cover_image_url",
    "share_url",
    "video_description",
    "duration",
    "height",
    "width",
    "title",
    "embed_html",
    "embed_link",
    "like_count",
    "comment_count",
    "share_count",
    "view_count",
];

/// The scopes an authorization may ask for.
pub const SCOPES: &[&str] = &[
    "user.info.basic",
    "user.info.profile",
    "user.info.stats",
    "video.list",
    "video.upload",
    "video.publish",
];

/// How long an authorization code works.
pub const CODE_TTL: Duration = Duration::from_secs(600);

#[derive(Debug, Clone)]
pub struct Post {
    pub id: String,
    pub create_time: i64,
    key: i64,
    title: Option<String>,
    video_description: Option<String>,
    duration: i64,
    cover_image_url: String,
    embed_link: String,
    share_url: String,
}

impl Post {
    /// The post with the fields asked for, as TikTok renders them (absent
    /// ones left out).
    fn render(&self, fields: &[&str]) -> Value {
        let mut out = Map::new();
        for &field in fields {
            let value = match field {
                "id" => json!(self.id),
                "create_time" => json!(self.create_time),
                "cover_image_url" => json!(self.cover_image_url),
                "share_url" => json!(self.share_url),
                "video_description" => match &self.video_description {
                    Some(d) => json!(d),
                    None => continue,
                },
                "title" => match &self.title {
                    Some(t) => json!(t),
                    None => continue,
                },
                "duration" => json!(self.duration),
                "height" => json!(1024),
                "width" => json!(576),
                "embed_html" => json!(format!(
                    "<blockquote class=\"tiktok-embed\" cite=\"{}\" data-video-id=\"{}\"></blockquote>",
                    self.share_url, self.id
                )),
                "embed_link" => json!(self.embed_link),
                _ => json!(0),
            };
            out.insert(field.to_string(), value);
        }
        Value::Object(out)
    }
}

/// An OAuth refusal: `error` is the OAuth code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OauthRefusal {
    pub status: u16,
    pub error: &'static str,
    pub description: String,
}

fn oauth(status: u16, error: &'static str, description: impl Into<String>) -> OauthRefusal {
    OauthRefusal {
        status,
        error,
        description: description.into(),
    }
}

/// A Display API refusal: `code` is TikTok's v2 error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiRefusal {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

pub fn api(status: u16, code: &'static str, message: impl Into<String>) -> ApiRefusal {
    ApiRefusal {
        status,
        code,
        message: message.into(),
    }
}

struct Grant {
    scope: Vec<String>,
    revoked: bool,
}

struct Code {
    scope: Vec<String>,
    redirect_uri: String,
    expires_at: SystemTime,
    used: bool,
}

struct Token {
    grant: usize,
    expires_at: SystemTime,
    used: bool,
}

/// The creator, the posts and the app's authorizations.
pub struct Account {
    pub username: String,
    pub open_id: String,
    /// Newest first (by key).
    posts: Vec<Post>,
    grants: Vec<Grant>,
    codes: HashMap<String, Code>,
    access: HashMap<String, Token>,
    refresh: HashMap<String, Token>,
}

pub fn unix(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn secret(prefix: &str) -> String {
    format!(
        "{prefix}{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

fn is_post_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl Account {
    pub fn new(seed: Seed, now: SystemTime) -> Result<Account, String> {
        let mut account = Account {
            username: seed.username,
            open_id: seed.open_id,
            posts: Vec::new(),
            grants: Vec::new(),
            codes: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
        };
        account.add(seed.posts, now)?;
        Ok(account)
    }

    /// Adds posts (all or none); an id already listed is refused.
    pub fn add(&mut self, posts: Vec<SeedPost>, now: SystemTime) -> Result<usize, String> {
        let mut next = self.posts.clone();
        let count = posts.len();
        for p in posts {
            if !is_post_id(&p.id) {
                return Err(format!(
                    "post id {:?} must be 1 to 64 letters, digits, _ or -",
                    p.id
                ));
            }
            if next.iter().any(|q| q.id == p.id) {
                return Err(format!("post {} is already listed", p.id));
            }
            let create_time = match (p.create_time, p.age_secs) {
                (Some(t), None) if t >= 0 => t,
                (None, Some(age)) if age >= 0 => unix(now) - age,
                (None, None) => unix(now),
                _ => {
                    return Err(format!(
                        "post {}: give create_time or age_secs (not both), not negative",
                        p.id
                    ))
                }
            };
            let base = create_time.saturating_mul(1000);
            let key = (0..1000)
                .rev()
                .map(|k| base + k)
                .find(|key| next.iter().all(|q| q.key != *key))
                .ok_or_else(|| format!("post {}: over 1000 posts in one second", p.id))?;
            let share_url = p.share_url.unwrap_or_else(|| {
                format!("https://www.tiktok.com/@{}/video/{}", self.username, p.id)
            });
            next.push(Post {
                embed_link: p
                    .embed_link
                    .unwrap_or_else(|| format!("https://www.tiktok.com/player/v1/{}", p.id)),
                cover_image_url: p.cover_image_url.unwrap_or_else(|| {
                    format!(
                        "https://p16-sign.tiktokcdn.com/obj/{}~tplv-noop.image",
                        p.id
                    )
                }),
                share_url,
                id: p.id,
                create_time,
                key,
                title: p.title,
                video_description: p.video_description,
                duration: p.duration.unwrap_or(30).max(0),
            });
        }
        next.sort_by_key(|p| std::cmp::Reverse(p.key));
        self.posts = next;
        Ok(count)
    }

    /// Deletes a post, as its creator does on TikTok; `false` when unknown.
    pub fn remove(&mut self, id: &str) -> bool {
        let before = self.posts.len();
        self.posts.retain(|p| p.id != id);
        self.posts.len() != before
    }

    pub fn post(&self, id: &str) -> Option<&Post> {
        self.posts.iter().find(|p| p.id == id)
    }

    /// A page: up to `max_count` posts before `cursor` (from the newest
    /// without one, or with 0), the next cursor and whether more remain.
    pub fn page(&self, cursor: Option<i64>, max_count: usize, fields: &[&str]) -> Value {
        let below = |p: &&Post| match cursor {
            Some(c) if c > 0 => p.key < c,
            _ => true,
        };
        let mut rest = self.posts.iter().filter(below);
        let page: Vec<&Post> = rest.by_ref().take(max_count).collect();
        let has_more = rest.next().is_some();
        let next = page.last().map(|p| p.key).or(cursor).unwrap_or_default();
        json!({
            "videos": page.iter().map(|p| p.render(fields)).collect::<Vec<_>>(),
            "cursor": next,
            "has_more": has_more,
        })
    }

    /// The code the owner is sent back with (the owner always agrees).
    pub fn issue_code(
        &mut self,
        scope: Vec<String>,
        redirect_uri: &str,
        now: SystemTime,
    ) -> String {
        let code = secret("");
        self.codes.insert(
            code.clone(),
            Code {
                scope,
                redirect_uri: redirect_uri.to_string(),
                expires_at: now + CODE_TTL,
                used: false,
            },
        );
        code
    }

    fn tokens(&mut self, grant: usize, now: SystemTime, ttls: (Duration, Duration)) -> Value {
        let access = secret("act.");
        let refresh = secret("rft.");
        self.access.insert(
            access.clone(),
            Token {
                grant,
                expires_at: now + ttls.0,
                used: false,
            },
        );
        self.refresh.insert(
            refresh.clone(),
            Token {
                grant,
                expires_at: now + ttls.1,
                used: false,
            },
        );
        json!({
            "access_token": access,
            "expires_in": ttls.0.as_secs(),
            "open_id": self.open_id,
            "refresh_expires_in": ttls.1.as_secs(),
            "refresh_token": refresh,
            "scope": self.grants[grant].scope.join(","),
            "token_type": "Bearer",
        })
    }

    /// `grant_type=authorization_code`: a code works once, before it
    /// expires, with the redirect URI it was issued for.
    pub fn exchange(
        &mut self,
        code: &str,
        redirect_uri: &str,
        now: SystemTime,
        ttls: (Duration, Duration),
    ) -> Result<Value, OauthRefusal> {
        let Some(c) = self.codes.get_mut(code) else {
            return Err(oauth(
                400,
                "invalid_grant",
                "Authorization code is invalid.",
            ));
        };
        if c.used {
            return Err(oauth(
                400,
                "invalid_grant",
                "Authorization code has been used.",
            ));
        }
        if c.expires_at <= now {
            return Err(oauth(
                400,
                "invalid_grant",
                "Authorization code is expired.",
            ));
        }
        if c.redirect_uri != redirect_uri {
            return Err(oauth(
                400,
                "invalid_grant",
                "redirect_uri does not match the one the code was issued for.",
            ));
        }
        c.used = true;
        let scope = c.scope.clone();
        self.grants.push(Grant {
            scope,
            revoked: false,
        });
        let grant = self.grants.len() - 1;
        Ok(self.tokens(grant, now, ttls))
    }

    /// `grant_type=refresh_token`, with rotation: the token given dies and a
    /// new one is issued.
    pub fn refresh(
        &mut self,
        token: &str,
        now: SystemTime,
        ttls: (Duration, Duration),
    ) -> Result<Value, OauthRefusal> {
        let Some(t) = self.refresh.get_mut(token) else {
            return Err(oauth(400, "invalid_grant", "Refresh token is invalid."));
        };
        if t.used {
            return Err(oauth(
                400,
                "invalid_grant",
                "Refresh token has been used: a newer one replaced it.",
            ));
        }
        if t.expires_at <= now {
            return Err(oauth(400, "invalid_grant", "Refresh token is expired."));
        }
        let grant = t.grant;
        if self.grants[grant].revoked {
            return Err(oauth(
                400,
                "invalid_grant",
                "Refresh token is revoked: the user removed the app's authorization.",
            ));
        }
        t.used = true;
        Ok(self.tokens(grant, now, ttls))
    }

    /// `POST /v2/oauth/revoke/`: the access token's authorization ends.
    pub fn revoke_token(&mut self, access_token: &str) {
        if let Some(grant) = self.access.get(access_token).map(|t| t.grant) {
            self.grants[grant].revoked = true;
        }
    }

    /// The owner removes the app (`scope` None), or one scope of it.
    /// Returns the authorizations changed.
    pub fn revoke(&mut self, scope: Option<&str>) -> usize {
        let mut changed = 0;
        for grant in self.grants.iter_mut().filter(|g| !g.revoked) {
            match scope {
                None => grant.revoked = true,
                Some(s) if grant.scope.iter().any(|g| g == s) => grant.scope.retain(|g| g != s),
                Some(_) => continue,
            }
            changed += 1;
        }
        changed
    }

    /// Checks a bearer token for `scope`.
    pub fn check_access(
        &self,
        token: Option<&str>,
        scope: &str,
        now: SystemTime,
    ) -> Result<(), ApiRefusal> {
        let invalid = || {
            api(
                401,
                "access_token_invalid",
                "The access token is invalid or not found in the request.",
            )
        };
        let t = token.and_then(|t| self.access.get(t)).ok_or_else(invalid)?;
        let grant = &self.grants[t.grant];
        if t.expires_at <= now || grant.revoked {
            return Err(invalid());
        }
        if !grant.scope.iter().any(|s| s == scope) {
            return Err(api(
                401,
                "scope_not_authorized",
                format!("The user did not authorize the scope required for completing this request: {scope}."),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
