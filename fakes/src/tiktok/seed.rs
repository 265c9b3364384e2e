//! The fake TikTok's seed: the creator and the posts it starts with
//! (`--posts FILE`), and the posts `POST /_fake/posts` adds.

use serde_json::Value;

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
