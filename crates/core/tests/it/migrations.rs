//! The SQLite and PostgreSQL migrations must describe one schema: the same files, and once
//! applied the same tables, columns (name, nullability, type class) and index names. Each
//! migration is written twice (the dialects differ); these tests catch the two drifting apart.
//!
//! PostgreSQL runs at `STOWAGE_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`);
//! the test applies the migrations to a fresh database of its own and drops it afterwards.

use sqlx::migrate::Migrator;
use sqlx::{Connection, Executor, PgConnection, Row, SqliteConnection};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn migrations(dialect: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../migrations")
        .join(dialect)
}

fn file_names(dialect: &str) -> BTreeSet<String> {
    std::fs::read_dir(migrations(dialect))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// A schema as the comparison sees it: table → column → (nullable, type class), and the names
/// of the indexes created explicitly (not those backing a primary key or unique constraint).
#[derive(Debug, Default, PartialEq)]
struct Schema {
    tables: BTreeMap<String, BTreeMap<String, (bool, String)>>,
    indexes: BTreeSet<String>,
}

/// The family a declared type belongs to, the same for both dialects' spellings.
fn type_class(declared: &str) -> String {
    let t = declared.trim().to_ascii_lowercase();
    let base = t.split(['(', ' ']).next().unwrap_or_default();
    match base {
        "int" | "integer" | "bigint" | "smallint" | "int2" | "int4" | "int8" | "serial"
        | "bigserial" => "integer",
        "text" | "varchar" | "char" | "character" | "clob" => "text",
        "bool" | "boolean" => "boolean",
        "real" | "double" | "float" | "float4" | "float8" | "numeric" | "decimal" => "real",
        "blob" | "bytea" => "bytes",
        "json" | "jsonb" => "json",
        other => other,
    }
    .to_owned()
}

#[test]
fn both_dialects_have_the_same_migration_files() {
    let sqlite = file_names("sqlite");
    let postgres = file_names("postgres");
    assert!(!sqlite.is_empty(), "no migrations found");
    assert_eq!(
        sqlite, postgres,
        "migrations/sqlite and migrations/postgres must hold the same files: every migration is \
         written once per dialect"
    );
}

async fn sqlite_schema() -> Schema {
    let mut conn = SqliteConnection::connect("sqlite::memory:").await.unwrap();
    Migrator::new(migrations("sqlite"))
        .await
        .unwrap()
        .run(&mut conn)
        .await
        .expect("the SQLite migrations apply");
    let mut schema = Schema::default();
    let tables = conn
        .fetch_all(
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
        )
        .await
        .unwrap();
    for t in tables {
        let table: String = t.get("name");
        let columns =
            sqlx::query("SELECT name, type, \"notnull\" AS not_null, pk FROM pragma_table_info(?)")
                .bind(&table)
                .fetch_all(&mut conn)
                .await
                .unwrap();
        let columns = columns
            .into_iter()
            .map(|c| {
                let not_null: i64 = c.get("not_null");
                let pk: i64 = c.get("pk");
                // A primary key column is NOT NULL in PostgreSQL whatever it says.
                let nullable = not_null == 0 && pk == 0;
                let declared: String = c.get("type");
                (
                    c.get::<String, _>("name"),
                    (nullable, type_class(&declared)),
                )
            })
            .collect();
        schema.tables.insert(table, columns);
    }
    let indexes = conn
        .fetch_all("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
        .await
        .unwrap();
    schema.indexes = indexes.iter().map(|r| r.get("name")).collect();
    schema
}

async fn postgres_schema(url: &str) -> Schema {
    let mut conn = PgConnection::connect(url).await.unwrap();
    Migrator::new(migrations("postgres"))
        .await
        .unwrap()
        .run(&mut conn)
        .await
        .expect("the PostgreSQL migrations apply");
    let mut schema = Schema::default();
    let columns = conn
        .fetch_all(
            "SELECT table_name::text AS table_name, column_name::text AS column_name, \
                    is_nullable::text AS is_nullable, data_type::text AS data_type \
             FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
        )
        .await
        .unwrap();
    for c in columns {
        let declared: String = c.get("data_type");
        let nullable: String = c.get("is_nullable");
        schema
            .tables
            .entry(c.get("table_name"))
            .or_default()
            .insert(
                c.get("column_name"),
                (nullable == "YES", type_class(&declared)),
            );
    }
    let indexes = conn
        .fetch_all(
            "SELECT c.relname::text AS name FROM pg_index i \
             JOIN pg_class c ON c.oid = i.indexrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'public' \
               AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)",
        )
        .await
        .unwrap();
    schema.indexes = indexes.iter().map(|r| r.get("name")).collect();
    conn.close().await.unwrap();
    schema
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_dialects_build_the_same_schema() {
    let admin = std::env::var("STOWAGE_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("stowage_drift_{}", uuid::Uuid::new_v4().simple());
    let mut admin_conn = PgConnection::connect(&admin)
        .await
        .expect("PostgreSQL must run at STOWAGE_TEST_PG_URL (scripts/test.sh starts it)");
    admin_conn
        .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .expect("create the drift database");
    let (base, _) = admin.rsplit_once('/').expect("database URL has a path");
    let postgres = postgres_schema(&format!("{base}/{name}")).await;
    admin_conn
        .execute(sqlx::AssertSqlSafe(format!("DROP DATABASE {name}")))
        .await
        .expect("drop the drift database");
    let sqlite = sqlite_schema().await;

    assert!(
        !sqlite.tables.is_empty(),
        "the SQLite migrations made no tables"
    );
    let tables = |s: &Schema| s.tables.keys().cloned().collect::<BTreeSet<_>>();
    assert_eq!(
        tables(&sqlite),
        tables(&postgres),
        "the two dialects make different tables (left SQLite, right PostgreSQL)"
    );
    for (table, columns) in &sqlite.tables {
        assert_eq!(
            columns, &postgres.tables[table],
            "table {table}: columns as (nullable, type class) differ (left SQLite, right PostgreSQL)"
        );
    }
    assert_eq!(
        sqlite.indexes, postgres.indexes,
        "the two dialects create different indexes (left SQLite, right PostgreSQL)"
    );
}

#[test]
fn type_classes_join_the_dialects_spellings() {
    assert_eq!(type_class("BIGINT"), type_class("bigint"));
    assert_eq!(type_class("INTEGER"), "integer");
    assert_eq!(type_class("TEXT"), type_class("character varying"));
    assert_eq!(type_class("BLOB"), type_class("bytea"));
    assert_eq!(type_class("boolean"), "boolean");
}
