//! The job workers' statements, kept prepared where the connection allows.
//!
//! Every statement of the sidecar is sent unnamed ([`super::unnamed`]), so a
//! transaction-mode pooler carries it; PostgreSQL then plans it again each
//! time. The workers send a few statements for every job (the claim, what
//! its handler reads, the job's end), and planning them cost as much of the
//! server's time as running them (docs/benchmarks.md, push). On a direct
//! connection or a session-mode pooler (`SAMIA_DB_POOL_MODE=session`, the
//! default), where each connection is one server session, [`Kept`] prepares
//! each of them once per connection as a named statement (deadpool's
//! statement cache) and runs it by name; in transaction mode it sends them
//! unnamed, as everything else.
//!
//! A named statement's result columns are fixed when it is prepared: the
//! statements here name their columns, so a migration that adds columns
//! while `samia run` works does not break them.

use super::unnamed::{Param, Query};
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Error, Row, Statement};

/// A transaction of the pool whose statements are kept prepared when
/// `named` (session mode), sent unnamed otherwise.
pub struct Kept<'a, 'b> {
    tx: &'a deadpool_postgres::Transaction<'b>,
    named: bool,
}

impl<'a, 'b> Kept<'a, 'b> {
    pub fn new(tx: &'a deadpool_postgres::Transaction<'b>, named: bool) -> Kept<'a, 'b> {
        Kept { tx, named }
    }

    async fn statement(&self, sql: &str, params: &[&dyn Param]) -> Result<Statement, Error> {
        let types: Vec<Type> = params.iter().map(|p| p.pg_type()).collect();
        self.tx.prepare_typed_cached(sql, &types).await
    }
}

fn values<'p>(params: &'p [&'p dyn Param]) -> Vec<&'p (dyn ToSql + Sync)> {
    params.iter().map(|p| p.as_sql()).collect()
}

impl Query for Kept<'_, '_> {
    async fn fetch_all(&self, sql: &str, params: &[&dyn Param]) -> Result<Vec<Row>, Error> {
        if !self.named {
            return (**self.tx).fetch_all(sql, params).await;
        }
        let statement = self.statement(sql, params).await?;
        self.tx.query(&statement, &values(params)).await
    }

    async fn fetch_one(&self, sql: &str, params: &[&dyn Param]) -> Result<Row, Error> {
        if !self.named {
            return (**self.tx).fetch_one(sql, params).await;
        }
        let statement = self.statement(sql, params).await?;
        self.tx.query_one(&statement, &values(params)).await
    }

    async fn fetch_opt(&self, sql: &str, params: &[&dyn Param]) -> Result<Option<Row>, Error> {
        if !self.named {
            return (**self.tx).fetch_opt(sql, params).await;
        }
        let statement = self.statement(sql, params).await?;
        self.tx.query_opt(&statement, &values(params)).await
    }

    async fn exec(&self, sql: &str, params: &[&dyn Param]) -> Result<u64, Error> {
        if !self.named {
            return (**self.tx).exec(sql, params).await;
        }
        let statement = self.statement(sql, params).await?;
        self.tx.execute(&statement, &values(params)).await
    }
}
