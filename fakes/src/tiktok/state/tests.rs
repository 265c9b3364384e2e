//! The creator's posts and authorizations, with made-up times.

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
