//! The request body idle timeout: a body that sends nothing for `body_idle_timeout_secs` ends
//! with an error, so a stalled upload cannot hold its connection, its writer threads and its
//! temporary file for ever.
//!
//! One middleware wraps every request's payload stream, on the main listener and on the
//! per-repository ports, so every upload path (raw PUT, docker PATCH/PUT, the UI's upload form)
//! gets the limit without knowing of it. The clock runs only while the handler waits for bytes
//! the client has not sent: time the server spends writing what it got (a slow disk, a full
//! queue to the writer thread) is not counted against the client.
//!
//! When the limit strikes, the stream yields an I/O error of kind `TimedOut`. The handler sees
//! it as an interrupted body, as if the client had gone away: the temporary file is removed, no
//! asset is recorded, a docker upload session keeps the chunks it had (it can resume), and the
//! answer, if the client still listens, is 400 and the connection is closed. This middleware
//! then logs one WARN line naming the repository (when the route has one) and the client.
//!
//! actix's own `client_request_timeout` (5 s by default, left as is) limits only the time to
//! receive a request's head; it does not cover the body.

use crate::state::State;
use actix_web::body::{BodySize, BoxBody, EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use bytes::Bytes;
use futures_util::Stream;
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;
use stowage_core::web::PortRepository;

/// Puts the idle limit on the request's body, and logs a body that hit it.
pub async fn limit_idle_body(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, Holding>>, actix_web::Error> {
    let limit = req
        .app_data::<State>()
        .map(|s| Duration::from_secs(s.services.config.body_idle_timeout_secs));
    let (Some(limit), false) = (limit, matches!(req.parts().1, Payload::None)) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let stalled = Rc::new(RefCell::new(None));
    let body = IdleLimited {
        inner: req.take_payload(),
        limit,
        waiting: None,
        stalled: Rc::clone(&stalled),
    };
    req.set_payload(Payload::from(
        Box::pin(body) as Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>
    ));
    let res = next.call(req).await?;
    let Some(payload) = stalled.borrow_mut().take() else {
        return Ok(res.map_into_left_body());
    };
    let r = res.request();
    let repo = r
        .app_data::<web::Data<PortRepository>>()
        .map(|p| p.0.clone())
        .or_else(|| r.match_info().get("repo").map(str::to_owned));
    tracing::warn!(
        repo = repo.as_deref().unwrap_or("-"),
        client = %r.peer_addr().map_or_else(|| "-".to_owned(), |a| a.ip().to_string()),
        method = %r.method(),
        path = r.path(),
        status = res.status().as_u16(),
        idle_secs = limit.as_secs(),
        "request body sent nothing for body_idle_timeout_secs; upload ended"
    );
    Ok(res.map_body(|_, body| {
        EitherBody::right(Holding {
            body: body.boxed(),
            _payload: payload,
        })
    }))
}

/// A response body that keeps the stalled request's payload alive until it is sent.
///
/// actix closes a connection whose request body was not read to its end when it finishes the
/// response, except when that body is chunked and its reader is gone: it then keeps reading
/// to drain the rest, which a stalled client never sends. Holding the payload until the
/// response is out makes actix close the connection in both cases.
pub struct Holding {
    body: BoxBody,
    _payload: Payload,
}

impl MessageBody for Holding {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_next(cx)
    }
}

/// A payload that fails once it has kept the reader waiting for `limit`.
struct IdleLimited {
    inner: Payload,
    limit: Duration,
    /// Running while the reader waits for the client; `None` while bytes flow.
    waiting: Option<Pin<Box<tokio::time::Sleep>>>,
    /// Where the request's own payload goes once the limit strikes (see [`Holding`]).
    stalled: Rc<RefCell<Option<Payload>>>,
}

impl Stream for IdleLimited {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if matches!(this.inner, Payload::None) {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(item) => {
                this.waiting = None;
                Poll::Ready(item)
            }
            Poll::Pending => {
                let limit = this.limit;
                let timer = this
                    .waiting
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                if timer.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                let payload = std::mem::replace(&mut this.inner, Payload::None);
                *this.stalled.borrow_mut() = Some(payload);
                Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!(
                        "the request body sent nothing for {} s (body_idle_timeout_secs)",
                        limit.as_secs()
                    ),
                )))))
            }
        }
    }
}
