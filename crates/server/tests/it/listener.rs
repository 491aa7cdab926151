//! What the HTTP listeners do with clients that misbehave: bodies that stall, TLS spoken to a
//! plain-HTTP port.

use crate::helpers::{Db, TestApp, admin_basic, spawn_app_with};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The idle limit the stalled-body tests run with.
const IDLE_SECS: u64 = 2;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_bodies_end_sqlite() {
    stalled_bodies_end(spawn_app_with(Db::Sqlite, |c| c.body_idle_timeout_secs = IDLE_SECS).await)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_bodies_end_postgres() {
    stalled_bodies_end(
        spawn_app_with(Db::Postgres, |c| c.body_idle_timeout_secs = IDLE_SECS).await,
    )
    .await;
}

/// Sends a PUT whose body (1000 bytes promised, or chunked) stops after 10 bytes, then waits;
/// returns what the server answered and whether it closed the connection within `deadline`.
async fn stalled_put(
    app: &TestApp,
    path: &str,
    chunked: bool,
    deadline: Duration,
) -> (String, bool) {
    let host = app.address.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(host).await.expect("connect");
    let framing = if chunked {
        "Transfer-Encoding: chunked"
    } else {
        "Content-Length: 1000"
    };
    let head = format!(
        "PUT {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {}\r\n{framing}\r\n\r\n",
        admin_basic()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let body: &[u8] = if chunked {
        b"a\r\n0123456789\r\n"
    } else {
        b"0123456789"
    };
    s.write_all(body).await.unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let closed = tokio::time::timeout(deadline, async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .is_ok();
    (String::from_utf8_lossy(&got).into_owned(), closed)
}

async fn stalled_bodies_end(app: TestApp) {
    app.create_raw("slow", "ALLOW").await;
    let started = Instant::now();
    let uploads: Vec<_> = (0..30)
        .map(|i| {
            let app = &app;
            async move {
                let path = format!("/repository/slow/f{i}.bin");
                stalled_put(app, &path, i % 2 == 0, Duration::from_secs(20)).await
            }
        })
        .collect();
    let results = futures_util::future::join_all(uploads).await;
    let elapsed = started.elapsed();
    for (answer, closed) in &results {
        assert!(
            closed,
            "the server still holds a stalled upload open: {answer:?}"
        );
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
        assert!(answer.contains("body_idle_timeout_secs"), "{answer}");
    }
    assert!(
        elapsed < Duration::from_secs(IDLE_SECS + 8),
        "30 stalled uploads took {elapsed:?} to end"
    );
    assert!(
        app.all_assets("slow").await.is_empty(),
        "no asset is stored"
    );
    let tmp = app.data_dir.path().join("blobs/default/tmp");
    let left: Vec<_> = std::fs::read_dir(&tmp)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "temporary files left: {left:?}");
    // Uploads still work.
    let r = app.put_file("slow", "whole.bin", vec![7u8; 1000]).await;
    assert_eq!(r.status(), 201);
}

/// The start of a TLS ClientHello, as docker sends to a registry port before it falls back to
/// plain HTTP.
const CLIENT_HELLO: &[u8] = b"\x16\x03\x01\x00\xc8\x01\x00\x00\xc4\x03\x03\x8b\x1f\x9d\x00\x11\
\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff\x00\x11\x22\x33\x44\x55\x66\x77\x88\
\x99\xaa\xbb\xcc\xdd\xee\x20\x13\x01\x13\x02\x13\x03\x00\x00\x00\x0e\x00\x0c\x00\x00\x09localhost";

/// docker's TLS probe of a plain-HTTP port is not logged as an ERROR.
#[test]
fn a_tls_handshake_on_plain_http_logs_no_error() {
    use std::io::{Read, Write};
    let data = tempfile::tempdir().unwrap();
    let (mut child, base, lines) = crate::helpers::start_binary(data.path(), None, "info");
    let host = base.trim_start_matches("http://").to_owned();
    for _ in 0..3 {
        let mut s = std::net::TcpStream::connect(&host).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(CLIENT_HELLO).unwrap();
        let mut answer = Vec::new();
        let _ = s.read_to_end(&mut answer);
    }
    // The server still answers, and no ERROR line shows up (actix logs as it closes).
    let mut s = std::net::TcpStream::connect(&host).unwrap();
    s.write_all(b"GET /service/rest/v1/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut errors = Vec::new();
    while Instant::now() < deadline && errors.is_empty() {
        errors = lines
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains("ERROR"))
            .cloned()
            .collect();
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(errors.is_empty(), "{errors:#?}");
}
