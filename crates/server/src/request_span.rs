//! One `tracing` span per request, from one middleware wrapped outermost on every listener (the
//! main one and each repository's own port), so every request is logged the same way whatever
//! route, recipe or error path answers it.
//!
//! The span `request` carries `method`, `route` (the matched route pattern, `-` when none
//! matched), `repo` (the route's `{repo}`, or the repository of a port of its own, else `-`), `user` (the caller's user id
//! once authentication ran, else `-`), `status` and `duration_ms`; the last four are recorded
//! when the response is ready (its head, before a streamed body is sent). Events logged while
//! the request is handled fall inside the span, and the middleware ends each request with a
//! DEBUG "request finished" event, so `STOWAGE_LOG=stowage_server::request_span=debug` gives
//! one line per request.

use crate::auth::Caller;
use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use std::time::Instant;
use stowage_core::web::PortRepository;
use tracing::Instrument;
use tracing::field::{Empty, display};

/// The middleware: wraps the request in its span and records the outcome.
pub async fn request_span<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let span = tracing::info_span!(
        "request",
        method = %req.method(),
        route = Empty,
        repo = Empty,
        user = Empty,
        status = Empty,
        duration_ms = Empty,
    );
    let started = Instant::now();
    let result = next.call(req).instrument(span.clone()).await;
    let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let status = match &result {
        Ok(res) => {
            let req = res.request();
            span.record(
                "route",
                display(req.match_pattern().as_deref().unwrap_or("-")),
            );
            // The route's `{repo}`, or the repository a port of its own serves.
            let port_repo = req.app_data::<actix_web::web::Data<PortRepository>>();
            let repo = match req.match_info().get("repo") {
                Some(r) => r,
                None => port_repo.map_or("-", |r| r.0.as_str()),
            };
            span.record("repo", display(repo));
            let user = req
                .extensions()
                .get::<Caller>()
                .map_or_else(|| "-".to_owned(), |c| c.name().to_owned());
            span.record("user", display(&user));
            res.status()
        }
        // An error a middleware returned (handlers' errors arrive as responses).
        Err(e) => {
            for field in ["route", "repo", "user"] {
                span.record(field, display("-"));
            }
            e.as_response_error().status_code()
        }
    };
    span.record("status", status.as_u16());
    span.record("duration_ms", duration_ms);
    span.in_scope(|| tracing::debug!("request finished"));
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::{App, HttpRequest, HttpResponse, test, web};
    use std::sync::{Arc, Mutex};
    use stowage_core::security::{Grants, Principal};

    /// A `MakeWriter` into a shared buffer.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Buffer {
        type Writer = Buffer;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    async fn as_alice(req: HttpRequest) -> HttpResponse {
        let alice = Principal::new("alice".into(), vec![], false, Arc::new(Grants::default()));
        req.extensions_mut().insert(Caller(Some(alice)));
        HttpResponse::Created().finish()
    }

    /// The span's fields of a request through a route with `{repo}` and a caller, and of one
    /// that matched no route, end up on the "request finished" line.
    #[tokio::test]
    async fn span_fields_are_logged() {
        let buffer = Buffer::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(buffer.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::DEBUG)
            .finish();
        // The test runs on this thread only (current-thread runtime, in-process service).
        let _guard = tracing::subscriber::set_default(subscriber);
        let app = test::init_service(
            App::new()
                .wrap(actix_web::middleware::from_fn(request_span))
                .route("/v2/{repo}/{tail:.*}", web::put().to(as_alice)),
        )
        .await;
        let res = test::call_service(
            &app,
            test::TestRequest::put()
                .uri("/v2/team/img/manifests/v1")
                .to_request(),
        )
        .await;
        assert_eq!(res.status(), 201);
        let res =
            test::call_service(&app, test::TestRequest::get().uri("/nowhere").to_request()).await;
        assert_eq!(res.status(), 404);

        let log = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("request finished"))
            .collect();
        assert_eq!(lines.len(), 2, "{log}");
        for field in [
            "DEBUG",
            "method=PUT",
            "route=/v2/{repo}/{tail:.*}",
            "repo=team",
            "user=alice",
            "status=201",
            "duration_ms=",
        ] {
            assert!(lines[0].contains(field), "{field} in {}", lines[0]);
        }
        for field in [
            "method=GET",
            "route=-",
            "repo=-",
            "user=-",
            "status=404",
            "duration_ms=",
        ] {
            assert!(lines[1].contains(field), "{field} in {}", lines[1]);
        }
    }
}
