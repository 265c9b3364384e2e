//! `sslmode=require`: the sidecar's connections are encrypted and the server
//! certificate is checked against SAMIA_DB_CA_FILE (as for Supabase's CA).

use samia_tests::cluster::Cluster;
use std::path::Path;
use std::process::Command;

fn openssl(dir: &Path, args: &[&str]) -> anyhow::Result<()> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

/// A CA and a server certificate for 127.0.0.1 signed by it.
fn certificates(dir: &Path) -> anyhow::Result<()> {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=samia test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ],
    )?;
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ],
    )?;
    std::fs::write(
        dir.join("san.ext"),
        "subjectAltName = IP:127.0.0.1, DNS:localhost\n",
    )?;
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "san.ext",
            "-out",
            "server.pem",
        ],
    )?;
    // The server refuses a key others can read; as root it runs as postgres.
    for file in ["server.key", "server.pem", "ca.pem"] {
        let path = dir.join(file);
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
        if running_as_root() {
            let status = Command::new("chown").arg("postgres:").arg(&path).status()?;
            anyhow::ensure!(status.success(), "chown {file}");
        }
    }
    Ok(())
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn samia(url: &str, ca: Option<&Path>) -> (i32, String, String) {
    let bin = std::env::var("SAMIA_BIN")
        .expect("SAMIA_BIN is not set: run the integration tests with `make test`");
    let mut cmd = Command::new(bin);
    cmd.arg("health")
        .env("DATABASE_URL", url)
        .env_remove("SAMIA_DB_CA_FILE");
    if let Some(ca) = ca {
        cmd.env("SAMIA_DB_CA_FILE", ca);
    }
    let out = cmd.output().expect("samia runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn sslmode_require_encrypts_and_checks_the_server_certificate() -> anyhow::Result<()> {
    let port = free_port()?;
    let mut ca_copy = None;
    let cluster = Cluster::start_with(
        port,
        vec![
            "listen_addresses=127.0.0.1".into(),
            "ssl=on".into(),
            "ssl_cert_file=server.pem".into(),
            "ssl_key_file=server.key".into(),
        ],
        |dir| {
            // ssl_*_file are relative to the data folder.
            let data = dir.join("data");
            certificates(&data)?;
            ca_copy = Some(data.join("ca.pem"));
            Ok(())
        },
    )?;
    let ca_in_cluster = ca_copy.expect("certificates made");
    // A copy the test (and samia) can read whoever runs them.
    let ca = std::env::temp_dir().join(format!("samia-tls-ca-{port}.pem"));
    std::fs::copy(&ca_in_cluster, &ca)?;
    let url = format!("host=127.0.0.1 port={port} user=postgres dbname=postgres sslmode=require");

    let (code, stdout, stderr) = samia(&url, Some(&ca));
    // Unmigrated, so unhealthy (1), but connected, and over TLS.
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains("connection  TLS (TLSv1."), "{stdout}");

    // Without the CA the certificate is not trusted: a one-line error, exit 2.
    let (code, stdout, stderr) = samia(&url, None);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        stderr.contains("cannot connect to the database at 127.0.0.1"),
        "{stderr}"
    );
    assert!(
        stderr.to_lowercase().contains("certificate") || stderr.contains("UnknownIssuer"),
        "{stderr}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");

    // Without sslmode=require the connection is plain, as before.
    let (_, stdout, _) = samia(&url.replace(" sslmode=require", " sslmode=disable"), None);
    assert!(stdout.contains("connection  not encrypted"), "{stdout}");
    let _ = std::fs::remove_file(&ca);
    drop(cluster);
    Ok(())
}
