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

const DEFAULT_USERNAME: &str = "samia.tarot";
const DEFAULT_OPEN_ID: &str = "7c1e2a9e-5b1f-4c55-9d0e-3f1b2a6c8d40";

/// A post as the seed file and `POST /_fake/posts` give it.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedPost {
    pub id: String,
    /// Unix seconds; or `age_secs` before the fake's start (or the add).
    pub create_time: Option<i64>,
    pub age_secs: Option<i64>,
    pub title: Option<String>,
    pub video_description: Option<String>,
    pub duration: Option<i64>,
    pub cover_image_url: Option<String>,
    pub embed_link: Option<String>,
    pub share_url: Option<String>,
}

/// The seed file: `{"username", "open_id", "posts": [...]}` or just the
/// list of posts.
#[derive(Debug, Clone)]
pub struct Seed {
    pub username: String,
    pub open_id: String,
    pub posts: Vec<SeedPost>,
}

impl Default for Seed {
    fn default() -> Seed {
        Seed {
            username: DEFAULT_USERNAME.into(),
            open_id: DEFAULT_OPEN_ID.into(),
            posts: Vec::new(),
        }
    }
}

/// Posts from a JSON value: one post, a list, or `{"posts": [...]}`.
pub fn posts_of(value: &Value) -> Result<Vec<SeedPost>, String> {
    let items = match value {
        Value::Array(items) => items.clone(),
        Value::Object(o) if o.contains_key("posts") => match o.get("posts") {
            Some(Value::Array(items)) => items.clone(),
            _ => return Err("\"posts\" must be a list".into()),
        },
        Value::Object(_) => vec![value.clone()],
        _ => return Err("expected a post, a list of posts or {\"posts\": [...]}".into()),
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| serde_json::from_value(item).map_err(|e| format!("post {}: {e}", i + 1)))
        .collect()
}

pub fn parse_seed(bytes: &[u8]) -> Result<Seed, String> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    let text = |name: &str| -> Result<Option<String>, String> {
        match value.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.trim().to_string())),
            Some(_) => Err(format!("\"{name}\" must be a non-empty string")),
        }
    };
    let mut seed = Seed::default();
    if value.is_object() {
        if let Some(unknown) = value.as_object().and_then(|o| {
            o.keys()
                .find(|k| !["username", "open_id", "posts"].contains(&k.as_str()))
        }) {
            return Err(format!(
                "unknown field \"{unknown}\": expected username, open_id and posts"
            ));
        }
        seed.username = text("username")?.unwrap_or(seed.username);
        seed.open_id = text("open_id")?.unwrap_or(seed.open_id);
        if value.get("posts").is_none() {
            return Err("the seed has no \"posts\"".into());
        }
    }
    seed.posts = posts_of(&value)?;
    Ok(seed)
}

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
mod tests {
    use super::*;

    const TTLS: (Duration, Duration) = (Duration::from_secs(7200), Duration::from_secs(86400));

    fn post(id: &str, create_time: i64) -> SeedPost {
        SeedPost {
            id: id.into(),
            create_time: Some(create_time),
            age_secs: None,
            title: None,
            video_description: Some(format!("post {id}")),
            duration: None,
            cover_image_url: None,
            embed_link: None,
            share_url: None,
        }
    }

    fn ids(page: &Value) -> Vec<String> {
        page["videos"]
            .as_array()
            .expect("videos")
            .iter()
            .map(|v| v["id"].as_str().expect("an id").to_string())
            .collect()
    }

    #[test]
    fn pages_are_newest_first_and_do_not_move_when_posts_are_added_on_top() {
        let now = UNIX_EPOCH + Duration::from_secs(10_000);
        let posts = (1..=5).map(|i| post(&format!("p{i}"), 1000 + i)).collect();
        let mut account = Account::new(
            Seed {
                posts,
                ..Seed::default()
            },
            now,
        )
        .expect("an account");
        let first = account.page(None, 2, &["id"]);
        assert_eq!(ids(&first), ["p5", "p4"]);
        assert_eq!(first["has_more"], true);
        account
            .add(vec![post("new", 2000), post("same-second", 1004)], now)
            .expect("added");
        let second = account.page(first["cursor"].as_i64(), 2, &["id"]);
        // The post of the same second as p4 was keyed below it, so it is
        // next; the newest one is not on this page.
        assert_eq!(ids(&second), ["same-second", "p3"]);
        let third = account.page(second["cursor"].as_i64(), 2, &["id"]);
        assert_eq!(ids(&third), ["p2", "p1"]);
        assert_eq!(third["has_more"], false);
        // From the top again, the new post comes first.
        assert_eq!(ids(&account.page(Some(0), 1, &["id"])), ["new"]);
        // A cursor is a time in milliseconds: posts before it.
        assert_eq!(
            ids(&account.page(Some(1_003_000), 9, &["id"])),
            ["p2", "p1"]
        );
    }

    #[test]
    fn rendering_leaves_out_what_a_post_has_not() {
        let account = Account::new(
            Seed {
                posts: vec![post("7301", 1717200000)],
                ..Seed::default()
            },
            UNIX_EPOCH,
        )
        .expect("an account");
        let page = account.page(None, 20, &["id", "title", "share_url", "video_description"]);
        let video = &page["videos"][0];
        assert!(video.get("title").is_none());
        assert_eq!(
            video["share_url"],
            "https://www.tiktok.com/@samia.tarot/video/7301"
        );
        assert_eq!(video["video_description"], "post 7301");
    }

    #[test]
    fn seeds_are_checked() {
        let seed = parse_seed(
            br#"{"username": "u", "posts": [{"id": "1", "create_time": 5}, {"id": "2", "age_secs": 60}]}"#,
        )
        .expect("a seed");
        assert_eq!((seed.username.as_str(), seed.posts.len()), ("u", 2));
        assert_eq!(
            parse_seed(br#"[{"id": "1"}]"#).expect("a list").posts.len(),
            1
        );
        for bad in [
            r#"{"posts": [{"id": "1", "caption": "x"}]}"#,
            r#"{"post": []}"#,
            r#"{"posts": [{"create_time": 1}]}"#,
            "nope",
        ] {
            assert!(parse_seed(bad.as_bytes()).is_err(), "{bad}");
        }
        let mut account = Account::new(Seed::default(), UNIX_EPOCH).expect("an account");
        let both = SeedPost {
            age_secs: Some(1),
            ..post("x", 1)
        };
        assert!(account.add(vec![both], UNIX_EPOCH).is_err());
        assert!(account.add(vec![post("../etc", 1)], UNIX_EPOCH).is_err());
        account.add(vec![post("a", 1)], UNIX_EPOCH).expect("added");
        assert!(account
            .add(vec![post("b", 1), post("a", 2)], UNIX_EPOCH)
            .is_err());
        assert!(account.post("b").is_none(), "all or none");
    }

    #[test]
    fn demo_seed_parses() {
        let seed = parse_seed(include_bytes!("../../../../sql/demo/tiktok_posts.json"))
            .expect("the demo seed parses");
        let account = Account::new(seed, SystemTime::now()).expect("an account");
        let all = account.page(None, 100, &["id"]);
        assert!(all["videos"].as_array().is_some_and(|v| v.len() >= 6));
    }

    #[test]
    fn codes_work_once_and_refresh_tokens_rotate() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut account = Account::new(Seed::default(), now).expect("an account");
        let scope = vec!["user.info.basic".to_string(), "video.list".to_string()];
        let code = account.issue_code(scope, "https://cb", now);
        assert_eq!(
            account
                .exchange(&code, "https://other", now, TTLS)
                .map(|_| ()),
            Err(oauth(
                400,
                "invalid_grant",
                "redirect_uri does not match the one the code was issued for."
            ))
        );
        let tokens = account
            .exchange(&code, "https://cb", now, TTLS)
            .expect("tokens");
        assert!(
            account.exchange(&code, "https://cb", now, TTLS).is_err(),
            "used"
        );
        let access = tokens["access_token"].as_str().expect("a token");
        account
            .check_access(Some(access), "video.list", now)
            .expect("valid");
        let later = now + Duration::from_secs(7200);
        assert_eq!(
            account
                .check_access(Some(access), "video.list", later)
                .map_err(|e| e.code),
            Err("access_token_invalid")
        );
        let old = tokens["refresh_token"].as_str().expect("a token");
        let renewed = account.refresh(old, later, TTLS).expect("refreshed");
        assert_ne!(renewed["refresh_token"], tokens["refresh_token"]);
        assert_eq!(
            account.refresh(old, later, TTLS).map_err(|e| e.error),
            Err("invalid_grant")
        );
        let expired_code = account.issue_code(vec!["video.list".into()], "https://cb", now);
        assert!(account
            .exchange(&expired_code, "https://cb", now + CODE_TTL, TTLS)
            .is_err());
    }
}
