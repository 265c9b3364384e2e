//! Running `pg_dump` and `pg_restore` as child processes.
//!
//! The connection reaches them through libpq's environment variables
//! (PGHOST, PGPORT, PGUSER, PGPASSWORD, ...) derived from `DATABASE_URL`,
//! never through their command line: another user of the machine can read a
//! process's arguments (`ps`), not its environment. Every `PG*` variable
//! inherited by `samia` is removed first, so the child connects exactly
//! where `samia` does.

use crate::db::Target;
use crate::error::CliError;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tokio::process::Command;
use tokio_postgres::config::{Host, SslMode, TargetSessionAttrs};

/// The CA bundle of Debian and Ubuntu, trusted when `sslmode=require` is
/// given without `SAMIA_DB_CA_FILE` (the libpq of PostgreSQL 15 cannot use
/// the system roots by itself).
const SYSTEM_CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// The program `name`: `given` (a flag or its environment variable) if set,
/// otherwise the first `name` on PATH.
pub fn locate(given: Option<&Path>, name: &str, variable: &str) -> Result<PathBuf, CliError> {
    if let Some(path) = given {
        return if path.is_file() {
            Ok(path.to_path_buf())
        } else {
            Err(CliError::Config(format!(
                "{variable} {} is not a file: point it at the {name} program",
                path.display()
            )))
        };
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    });
    found.ok_or_else(|| {
        CliError::Config(format!(
            "{name} not found on PATH: install the PostgreSQL client programs \
             (Debian: postgresql-client-15 or newer) or set {variable}"
        ))
    })
}

/// libpq's environment for the database of `target`.
pub fn libpq_env(target: &Target) -> Result<Vec<(&'static str, OsString)>, CliError> {
    let config = &target.config;
    let mut env: Vec<(&'static str, OsString)> = Vec::new();
    let hosts: Vec<OsString> = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            Host::Tcp(name) => OsString::from(name),
            Host::Unix(path) => path.clone().into_os_string(),
        })
        .collect();
    if !hosts.is_empty() {
        env.push(("PGHOST", join(&hosts)));
    }
    if !config.get_hostaddrs().is_empty() {
        let addrs: Vec<OsString> = config
            .get_hostaddrs()
            .iter()
            .map(|a| OsString::from(a.to_string()))
            .collect();
        env.push(("PGHOSTADDR", join(&addrs)));
    }
    if !config.get_ports().is_empty() {
        let ports: Vec<OsString> = config
            .get_ports()
            .iter()
            .map(|p| OsString::from(p.to_string()))
            .collect();
        env.push(("PGPORT", join(&ports)));
    }
    if let Some(user) = config.get_user() {
        env.push(("PGUSER", user.into()));
    }
    if let Some(password) = config.get_password() {
        env.push(("PGPASSWORD", OsString::from_vec(password.to_vec())));
    }
    if let Some(db) = config.get_dbname() {
        env.push(("PGDATABASE", db.into()));
    }
    if let Some(options) = config.get_options() {
        env.push(("PGOPTIONS", options.into()));
    }
    if let Some(name) = config.get_application_name() {
        env.push(("PGAPPNAME", name.into()));
    }
    if let Some(timeout) = config.get_connect_timeout() {
        env.push((
            "PGCONNECT_TIMEOUT",
            timeout.as_secs().max(2).to_string().into(),
        ));
    }
    if config.get_target_session_attrs() == TargetSessionAttrs::ReadWrite {
        env.push(("PGTARGETSESSIONATTRS", "read-write".into()));
    }
    match config.get_ssl_mode() {
        SslMode::Disable => env.push(("PGSSLMODE", "disable".into())),
        // `samia` verifies the server's certificate and host under
        // sslmode=require: libpq does that only with verify-full.
        SslMode::Require => {
            let roots = match &target.ca_file {
                Some(file) => file.clone(),
                None if Path::new(SYSTEM_CA_BUNDLE).is_file() => PathBuf::from(SYSTEM_CA_BUNDLE),
                None => {
                    return Err(CliError::Config(format!(
                        "sslmode=require: the PostgreSQL client programs need the CA \
                         certificates in a file; set SAMIA_DB_CA_FILE (no {SYSTEM_CA_BUNDLE} here)"
                    )))
                }
            };
            env.push(("PGSSLMODE", "verify-full".into()));
            env.push(("PGSSLROOTCERT", roots.into_os_string()));
        }
        _ => env.push(("PGSSLMODE", "prefer".into())),
    }
    Ok(env)
}

fn join(parts: &[OsString]) -> OsString {
    let mut out = OsString::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push(",");
        }
        out.push(part);
    }
    out
}

/// What a finished program printed.
pub struct Finished {
    pub stdout: Vec<u8>,
    /// Its warnings, one line each.
    pub stderr: String,
}

/// Runs `program` with `args` and libpq's environment `env` (and no other
/// `PG*` variable), capturing its output. A failure carries the program's own
/// messages, on one line.
pub async fn run(
    program: &Path,
    args: &[&OsStr],
    env: &[(&'static str, OsString)],
) -> Result<Finished, CliError> {
    let name = program
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| program.display().to_string());
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PG") {
            command.env_remove(&key);
        }
    }
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command
        .output()
        .await
        .map_err(|e| CliError::Config(format!("cannot run {name} ({}): {e}", program.display())))?;
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
    if output.status.success() {
        Ok(Finished {
            stdout: output.stdout,
            stderr,
        })
    } else {
        let status = match output.status.code() {
            Some(code) => format!("exit status {code}"),
            None => "killed by a signal".to_string(),
        };
        let reason = if stderr.is_empty() {
            "no message".to_string()
        } else {
            stderr.lines().collect::<Vec<_>>().join(" | ")
        };
        Err(CliError::Refused(format!(
            "{name} failed ({status}): {reason}"
        )))
    }
}

/// The first line `program --version` prints, e.g. `pg_dump (PostgreSQL) 15.20`.
pub async fn version(program: &Path) -> Result<String, CliError> {
    let done = run(program, &[OsStr::new("--version")], &[]).await?;
    Ok(String::from_utf8_lossy(&done.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(url: &str) -> Vec<(&'static str, String)> {
        let target = Target::parse(url).expect("valid");
        libpq_env(&target)
            .expect("derivable")
            .into_iter()
            .map(|(k, v)| (k, v.to_string_lossy().into_owned()))
            .collect()
    }

    fn get<'a>(env: &'a [(&'static str, String)], key: &str) -> Option<&'a str> {
        env.iter().find(|(k, _)| *k == key).map(|(_, v)| v.as_str())
    }

    #[test]
    fn a_url_becomes_libpq_variables_with_the_password_apart() {
        // Built at run time, so the source holds no URL with a password.
        let url = format!("postgres://app:{}@db.example:6543/samia", "pw-1");
        let env = env_of(&url);
        assert_eq!(get(&env, "PGHOST"), Some("db.example"));
        assert_eq!(get(&env, "PGPORT"), Some("6543"));
        assert_eq!(get(&env, "PGUSER"), Some("app"));
        assert_eq!(get(&env, "PGDATABASE"), Some("samia"));
        assert_eq!(get(&env, "PGPASSWORD"), Some("pw-1"));
        assert_eq!(get(&env, "PGAPPNAME"), Some("samia"));
        assert_eq!(get(&env, "PGSSLMODE"), Some("prefer"));
    }

    #[test]
    fn sockets_several_hosts_and_sslmode_carry_over() {
        let env = env_of("host=/run/pg,/tmp port=5433 user=u dbname=d sslmode=disable");
        assert_eq!(get(&env, "PGHOST"), Some("/run/pg,/tmp"));
        assert_eq!(get(&env, "PGPORT"), Some("5433"));
        assert_eq!(get(&env, "PGSSLMODE"), Some("disable"));
        assert_eq!(get(&env, "PGPASSWORD"), None);
    }

    #[test]
    fn require_verifies_the_server_as_samia_does() {
        let mut target =
            Target::parse("host=db.example user=u dbname=d sslmode=require").expect("valid");
        target.ca_file = Some(PathBuf::from("/etc/samia/ca.pem"));
        let env = libpq_env(&target).expect("derivable");
        let get = |key: &str| {
            env.iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.to_string_lossy().into_owned())
        };
        assert_eq!(get("PGSSLMODE").as_deref(), Some("verify-full"));
        assert_eq!(get("PGSSLROOTCERT").as_deref(), Some("/etc/samia/ca.pem"));
    }

    #[test]
    fn a_missing_program_names_the_variable_to_set() {
        let err = locate(
            Some(Path::new("/nonexistent/pg_dump")),
            "pg_dump",
            "SAMIA_PG_DUMP",
        )
        .expect_err("missing");
        assert!(err.to_string().contains("SAMIA_PG_DUMP"), "{err}");
        assert!(matches!(err, CliError::Config(_)));
    }
}
