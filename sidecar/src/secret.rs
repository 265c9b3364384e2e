//! Secret settings (a database URL with its password, API secrets and
//! tokens): read through clap from the environment or a flag, and held as
//! [`SecretString`] from the start, so that no help text, `Debug` output,
//! log line or error shows them.

use secrecy::SecretString;

/// clap's `value_parser` for a secret setting: the value, held as a secret.
pub fn secret_arg(value: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(value))
}
