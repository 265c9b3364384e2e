//! `samia storage`: files in Supabase Storage as the service role (for
//! example horoscope audio, which only the system writes): upload, a signed
//! URL to share, delete. Exit 1 when Storage refuses, 2 for configuration.

use crate::error::CliError;
use crate::storage::{StorageArgs, StorageClient, StorageConfig};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

/// Files in Supabase Storage as the service role: upload, a signed URL to
/// share, delete (SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY; no
/// DATABASE_URL needed).
#[derive(clap::Args)]
pub struct StorageCommandArgs {
    #[command(flatten)]
    pub storage: StorageArgs,
    #[command(subcommand)]
    pub action: StorageAction,
}

#[derive(clap::Subcommand)]
pub enum StorageAction {
    /// Upload a file to BUCKET at PATH.
    Upload {
        file: std::path::PathBuf,
        #[arg(long)]
        bucket: String,
        #[arg(long)]
        path: String,
        /// The stored content type (default: from the file's extension).
        #[arg(long)]
        content_type: Option<String>,
        /// Replace an object already at PATH (otherwise that is refused).
        #[arg(long)]
        upsert: bool,
    },
    /// Print a URL that serves BUCKET/PATH to anyone until it expires.
    Sign {
        #[arg(long)]
        bucket: String,
        #[arg(long)]
        path: String,
        /// Seconds the URL works.
        #[arg(long, default_value_t = 3600)]
        expires_in: u64,
    },
    /// Delete objects of BUCKET (exit 1 when one of them did not exist).
    Delete {
        #[arg(long)]
        bucket: String,
        paths: Vec<String>,
    },
}

/// `samia storage`: needs no database.
pub async fn command(args: StorageCommandArgs) -> Result<ExitCode, CliError> {
    let storage = &args.storage;
    match &args.action {
        StorageAction::Upload {
            file,
            bucket,
            path,
            content_type,
            upsert,
        } => {
            upload(
                storage,
                file,
                bucket,
                path,
                content_type.as_deref(),
                *upsert,
            )
            .await
        }
        StorageAction::Sign {
            bucket,
            path,
            expires_in,
        } => sign(storage, bucket, path, *expires_in).await,
        StorageAction::Delete { bucket, paths } => delete(storage, bucket, paths).await,
    }
}

fn client(args: &StorageArgs) -> Result<StorageClient, CliError> {
    let config = StorageConfig::from_args(args, Duration::from_secs(30))?.ok_or_else(|| {
        CliError::Config(
            "SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY are not set: export the project's URL \
             and its service_role key"
                .into(),
        )
    })?;
    StorageClient::new(config)
}

fn refused(e: crate::storage::StorageError) -> CliError {
    CliError::Refused(e.to_string())
}

/// A content type from the file's extension, for the common media types.
pub fn guess_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "m4a" => "audio/mp4",
        "mp3" => "audio/mpeg",
        "aac" => "audio/aac",
        "ogg" | "oga" => "audio/ogg",
        "opus" => "audio/opus",
        "wav" => "audio/wav",
        "flac" => "audio/flac",
        "webm" => "audio/webm",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "heic" => "image/heic",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

pub async fn upload(
    args: &StorageArgs,
    file: &Path,
    bucket: &str,
    path: &str,
    content_type: Option<&str>,
    upsert: bool,
) -> Result<ExitCode, CliError> {
    let client = client(args)?;
    let body = tokio::fs::read(file)
        .await
        .map_err(|e| CliError::Config(format!("cannot read {}: {e}", file.display())))?;
    let content_type = content_type.unwrap_or_else(|| guess_type(file));
    let uploaded = client
        .upload(bucket, path, body.into(), content_type, upsert)
        .await
        .map_err(refused)?;
    match uploaded.id {
        Some(id) => println!("uploaded {} ({id})", uploaded.key),
        None => println!("uploaded {}", uploaded.key),
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn sign(
    args: &StorageArgs,
    bucket: &str,
    path: &str,
    expires_in: u64,
) -> Result<ExitCode, CliError> {
    if expires_in == 0 {
        return Err(CliError::Config(
            "--expires-in must be at least 1 second".into(),
        ));
    }
    let url = client(args)?
        .signed_url(bucket, path, expires_in)
        .await
        .map_err(refused)?;
    println!("{url}");
    Ok(ExitCode::SUCCESS)
}

pub async fn delete(
    args: &StorageArgs,
    bucket: &str,
    paths: &[String],
) -> Result<ExitCode, CliError> {
    if paths.is_empty() {
        return Err(CliError::Config("name at least one path to delete".into()));
    }
    let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
    let deleted = client(args)?
        .delete(bucket, &paths)
        .await
        .map_err(refused)?;
    for name in &deleted {
        println!("deleted {bucket}/{name}");
    }
    let missing = paths.len().saturating_sub(deleted.len());
    if missing > 0 {
        return Err(CliError::Refused(format!(
            "{missing} of the paths were not deleted: they do not exist in {bucket}"
        )));
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_types_are_guessed_from_the_extension() {
        assert_eq!(guess_type(Path::new("a/answer.M4A")), "audio/mp4");
        assert_eq!(guess_type(Path::new("cup.jpeg")), "image/jpeg");
        assert_eq!(guess_type(Path::new("noext")), "application/octet-stream");
    }
}
