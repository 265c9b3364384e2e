//! The staff-managed blocklist (issue: operations and safety): phone
//! numbers, email addresses and email domains that may not be used. Values
//! are kept normalised so a lookup is an equality: phones in E.164, emails
//! and domains in lower case.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Phone,
    Email,
    Domain,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Phone, Kind::Email, Kind::Domain];

    pub const fn name(self) -> &'static str {
        match self {
            Kind::Phone => "phone",
            Kind::Email => "email",
            Kind::Domain => "domain",
        }
    }

    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

/// The stored form of a blocklisted value, or why it is not one.
pub fn normalize(kind: Kind, value: &str) -> Result<String, String> {
    let value = value.trim();
    match kind {
        Kind::Phone => crate::phone::normalize(value, None)
            .map(|n| n.e164)
            .map_err(|e| {
                format!(
                    "{e} (a blocked phone is written in international form, e.g. +201001234567)"
                )
            }),
        Kind::Email => {
            let lower = value.to_lowercase();
            match lower.rsplit_once('@') {
                Some((local, domain)) if !local.is_empty() && valid_domain(domain) => Ok(lower),
                _ => Err(format!("{value:?} is not an email address")),
            }
        }
        Kind::Domain => {
            let lower = value
                .trim_start_matches('@')
                .trim_end_matches('.')
                .to_lowercase();
            if valid_domain(&lower) {
                Ok(lower)
            } else {
                Err(format!(
                    "{value:?} is not an email domain (for example example.com)"
                ))
            }
        }
    }
}

/// The blocklist keys an email address is caught by: itself, its domain and
/// every parent domain of two labels or more (`a@mail.spam.example` is
/// caught by `spam.example`). Empty when it is not an email address.
pub fn email_keys(email: &str) -> Vec<(Kind, String)> {
    let Ok(email) = normalize(Kind::Email, email) else {
        return Vec::new();
    };
    let Some((_, domain)) = email.rsplit_once('@') else {
        return Vec::new();
    };
    let mut keys = vec![(Kind::Email, email.clone())];
    let mut rest = domain;
    loop {
        keys.push((Kind::Domain, rest.to_string()));
        match rest.split_once('.') {
            Some((_, parent)) if parent.contains('.') => rest = parent,
            _ => break,
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_stored_normalised() {
        assert_eq!(
            normalize(Kind::Phone, " +20 100 123 4567 "),
            Ok("+201001234567".into())
        );
        assert!(normalize(Kind::Phone, "12").is_err());
        assert_eq!(
            normalize(Kind::Email, "Spam@Example.COM"),
            Ok("spam@example.com".into())
        );
        assert!(normalize(Kind::Email, "no-at-sign").is_err());
        assert!(normalize(Kind::Email, "a@localhost").is_err());
        assert_eq!(
            normalize(Kind::Domain, "@Spam.Example."),
            Ok("spam.example".into())
        );
        assert!(normalize(Kind::Domain, "spam").is_err());
        assert!(normalize(Kind::Domain, "-x.com").is_err());
    }

    #[test]
    fn an_email_is_caught_by_itself_and_its_domains() {
        let keys = email_keys("Someone@Mail.Spam.Example");
        assert_eq!(
            keys,
            vec![
                (Kind::Email, "someone@mail.spam.example".into()),
                (Kind::Domain, "mail.spam.example".into()),
                (Kind::Domain, "spam.example".into()),
            ]
        );
        assert!(email_keys("not an email").is_empty());
    }
}
