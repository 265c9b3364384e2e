//! The table of contents of an archive (`pg_restore --list`), cut to what
//! a restore must still create.

/// The archive's table of contents without the entries the target already
/// has: the schemas that exist there (`public` always; `samia` when the
/// extension was created beforehand) with their comments, and the extension
/// with its comment when it is created already.
pub fn restore_list(toc: &str, existing_schemas: &[String], extension_exists: bool) -> String {
    let mut out = String::new();
    for line in toc.lines() {
        let skip = match line.split_once("; ") {
            Some((_, rest)) if !line.starts_with(';') => {
                let words: Vec<&str> = rest.split_whitespace().collect();
                match words.get(2..) {
                    Some(["SCHEMA", "-", name, ..]) => existing_schemas.iter().any(|s| s == name),
                    Some(["COMMENT", "-", "SCHEMA", name, ..]) => {
                        existing_schemas.iter().any(|s| s == name)
                    }
                    Some(["EXTENSION", "-", "samia", ..])
                    | Some(["COMMENT", "-", "EXTENSION", "samia", ..]) => extension_exists,
                    _ => false,
                }
            }
            _ => false,
        };
        if skip {
            out.push(';');
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOC: &str = "\
;
; Archive created at 2026-12-01 23:10:00 UTC
;
5; 2615 2200 SCHEMA - public pg_database_owner
3921; 0 0 COMMENT - SCHEMA public pg_database_owner
8; 2615 17029 SCHEMA - ops postgres
9; 2615 17052 SCHEMA - samia postgres
3922; 0 0 ACL - SCHEMA samia postgres
2; 3079 17053 EXTENSION - samia 
3924; 0 0 COMMENT - EXTENSION samia 
229; 1259 17206 TABLE public orders postgres
";

    fn kept(list: &str) -> Vec<&str> {
        list.lines()
            .filter(|l| !l.starts_with(';'))
            .map(|l| l.split_once("; ").map(|(_, rest)| rest).unwrap_or(l))
            .collect()
    }

    #[test]
    fn schemas_the_target_has_are_left_out_with_their_comments() {
        let list = restore_list(TOC, &["public".to_string()], false);
        let kept = kept(&list);
        assert!(
            !kept.iter().any(|l| l.contains("SCHEMA - public")),
            "{list}"
        );
        assert!(!kept.iter().any(|l| l.contains("COMMENT - SCHEMA public")));
        assert!(kept.iter().any(|l| l.contains("SCHEMA - ops")));
        assert!(kept.iter().any(|l| l.contains("EXTENSION - samia")));
        assert!(kept.iter().any(|l| l.contains("TABLE public orders")));
    }

    #[test]
    fn an_extension_created_beforehand_is_left_out_but_its_schema_grants_stay() {
        let list = restore_list(TOC, &["public".into(), "samia".into()], true);
        let kept = kept(&list);
        assert!(
            !kept.iter().any(|l| l.contains("EXTENSION - samia")),
            "{list}"
        );
        assert!(!kept.iter().any(|l| l.contains("COMMENT - EXTENSION samia")));
        assert!(!kept.iter().any(|l| l.contains("SCHEMA - samia")));
        assert!(kept.iter().any(|l| l.contains("ACL - SCHEMA samia")));
    }
}
