//! Statements that every connection pooler mode carries.
//!
//! tokio-postgres' `query`, `query_one`, `query_opt` and `execute` given SQL
//! text prepare a *named* statement (Parse and Sync, then Bind and Execute in
//! a second round trip). Through a transaction-mode pooler (Supavisor's
//! transaction pooler, PgBouncer 1.18 with `pool_mode = transaction`) the two
//! round trips may run on different server sessions, where the statement
//! does not exist (or another client's statement of the same name does).
//!
//! The methods of [`Query`] send the unnamed statement with its parameter
//! types, the Bind and the Execute in one round trip (`query_typed`): one
//! server session always sees all of it, and a direct connection saves a
//! round trip. The parameter types come from the Rust types ([`Param`]);
//! SQL that needs another type casts (`$1::uuid`, `$2::jsonb`).
//!
//! Result columns must be of built-in types (cast an enum to `text`): a
//! column of another type makes tokio-postgres look the type up with a named
//! statement that it keeps for the connection's life.

use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Error, GenericClient, Row};

/// A Rust type with the PostgreSQL type it is sent as.
pub trait Typed {
    const TYPE: Type;
}

/// A [`Typed`] scalar that also travels in arrays.
pub trait Element: Typed {
    const ARRAY: Type;
}

macro_rules! typed {
    ($($rust:ty => $pg:ident / $array:ident),* $(,)?) => {
        $(
            impl Typed for $rust {
                const TYPE: Type = Type::$pg;
            }
            impl Element for $rust {
                const ARRAY: Type = Type::$array;
            }
        )*
    };
}

typed!(
    bool => BOOL / BOOL_ARRAY,
    i16 => INT2 / INT2_ARRAY,
    i32 => INT4 / INT4_ARRAY,
    i64 => INT8 / INT8_ARRAY,
    f32 => FLOAT4 / FLOAT4_ARRAY,
    f64 => FLOAT8 / FLOAT8_ARRAY,
    str => TEXT / TEXT_ARRAY,
    String => TEXT / TEXT_ARRAY,
    std::time::SystemTime => TIMESTAMPTZ / TIMESTAMPTZ_ARRAY,
);

impl Typed for [u8] {
    const TYPE: Type = Type::BYTEA;
}

impl Typed for Vec<u8> {
    const TYPE: Type = Type::BYTEA;
}

impl<T: Typed + ?Sized> Typed for &T {
    const TYPE: Type = T::TYPE;
}

impl<T: Element + ?Sized> Element for &T {
    const ARRAY: Type = T::ARRAY;
}

impl<T: Typed> Typed for Option<T> {
    const TYPE: Type = T::TYPE;
}

impl<T: Element> Typed for Vec<T> {
    const TYPE: Type = T::ARRAY;
}

impl<T: Element> Typed for [T] {
    const TYPE: Type = T::ARRAY;
}

/// A statement parameter: a value and the type it is sent as.
pub trait Param: ToSql + Sync {
    fn pg_type(&self) -> Type;
    fn as_sql(&self) -> &(dyn ToSql + Sync);
}

impl<T: Typed + ToSql + Sync> Param for T {
    fn pg_type(&self) -> Type {
        T::TYPE
    }
    fn as_sql(&self) -> &(dyn ToSql + Sync) {
        self
    }
}

fn typed<'a>(params: &'a [&'a dyn Param]) -> Vec<(&'a (dyn ToSql + Sync), Type)> {
    params.iter().map(|p| (p.as_sql(), p.pg_type())).collect()
}

/// `query`, `query_one`, `query_opt` and `execute` by unnamed statement, on
/// a client or a transaction (see the module's documentation).
///
/// Its one implementation is the one below, so the futures are `Send`
/// wherever the client is `Sync` (a `Client`, a `Transaction`).
#[allow(async_fn_in_trait)]
pub trait Query {
    /// Every row.
    async fn fetch_all(&self, sql: &str, params: &[&dyn Param]) -> Result<Vec<Row>, Error>;
    /// Exactly one row, or an error.
    async fn fetch_one(&self, sql: &str, params: &[&dyn Param]) -> Result<Row, Error>;
    /// At most one row, or an error.
    async fn fetch_opt(&self, sql: &str, params: &[&dyn Param]) -> Result<Option<Row>, Error>;
    /// The number of rows changed.
    async fn exec(&self, sql: &str, params: &[&dyn Param]) -> Result<u64, Error>;
}

impl<C: GenericClient> Query for C {
    async fn fetch_all(&self, sql: &str, params: &[&dyn Param]) -> Result<Vec<Row>, Error> {
        self.query_typed(sql, &typed(params)).await
    }

    async fn fetch_one(&self, sql: &str, params: &[&dyn Param]) -> Result<Row, Error> {
        self.query_typed_one(sql, &typed(params)).await
    }

    async fn fetch_opt(&self, sql: &str, params: &[&dyn Param]) -> Result<Option<Row>, Error> {
        self.query_typed_opt(sql, &typed(params)).await
    }

    async fn exec(&self, sql: &str, params: &[&dyn Param]) -> Result<u64, Error> {
        self.execute_typed(sql, &typed(params)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types(params: &[&dyn Param]) -> Vec<Type> {
        typed(params).into_iter().map(|(_, t)| t).collect()
    }

    fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("the sidecar's sources") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// The sidecar's own statements (not the tests') go
    /// through [`Query`]: tokio-postgres' `query*`/`execute`/`prepare` with
    /// SQL text would prepare a named statement, which a transaction-mode
    /// pooler loses (`tests/tests/poolers.rs` shows it). The one exception
    /// is `db/kept.rs`, which prepares the workers' statements only when
    /// `SAMIA_DB_POOL_MODE` is `session`.
    #[test]
    fn the_sidecar_prepares_no_named_statement() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        sources(&root, &mut files);
        let mut found = Vec::new();
        for file in files {
            let shown = file
                .strip_prefix(&root)
                .unwrap_or(&file)
                .display()
                .to_string();
            if shown.ends_with("testing.rs")
                || shown.ends_with("_tests.rs")
                || shown == "db/kept.rs"
            {
                continue;
            }
            let text = std::fs::read_to_string(&file).expect("a source file");
            // Test modules close a file.
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            for (n, line) in code.lines().enumerate() {
                let next = code.lines().nth(n + 1).unwrap_or_default().trim_start();
                let always = [".query_one(", ".query_opt(", ".prepare(", ".prepare_typed("];
                let with_sql = [".query(", ".execute(", ".query_raw(", ".execute_raw("];
                let hit = always.iter().any(|m| line.contains(m))
                    || with_sql.iter().any(|m| {
                        line.split(m).skip(1).any(|rest| {
                            let rest = if rest.trim().is_empty() {
                                next
                            } else {
                                rest.trim_start()
                            };
                            rest.starts_with('"')
                                || rest.starts_with("r\"")
                                || rest.starts_with("r#\"")
                                || rest.starts_with("&format!")
                        })
                    });
                if hit {
                    found.push(format!("{shown}:{}: {}", n + 1, line.trim()));
                }
            }
        }
        assert!(
            found.is_empty(),
            "use db::Query (fetch_all, fetch_one, fetch_opt, exec) instead:\n{}",
            found.join("\n")
        );
    }

    #[test]
    fn parameters_are_sent_as_the_type_their_rust_type_names() {
        let text = String::from("x");
        let none: Option<i64> = None;
        let names = vec!["a", "b"];
        let ids: Vec<i64> = vec![1, 2];
        assert_eq!(
            types(&[&1_i64, &2_i32, &true, &0.5_f64, &"s", &text, &&text]),
            [
                Type::INT8,
                Type::INT4,
                Type::BOOL,
                Type::FLOAT8,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT
            ]
        );
        assert_eq!(
            types(&[
                &none,
                &Some("s"),
                &names,
                &ids,
                &names.as_slice(),
                &vec![0_u8]
            ]),
            [
                Type::INT8,
                Type::TEXT,
                Type::TEXT_ARRAY,
                Type::INT8_ARRAY,
                Type::TEXT_ARRAY,
                Type::BYTEA
            ]
        );
    }
}
