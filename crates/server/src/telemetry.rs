//! Logging set-up.

use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::{Event, Level, Metadata};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::FilterExt;
use tracing_subscriber::layer::{Context, Filter, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// Installs the global `tracing` subscriber with `filter` (env-filter syntax); `RUST_LOG` wins.
pub fn init(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(filter))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let output = tracing_subscriber::fmt::layer()
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_filter(filter.and(UnparsableRequests));
    let _ = tracing_subscriber::registry().with(output).try_init();
}

/// Where actix logs a connection that ended in error.
const ACTIX_DISPATCHER: &str = "actix_http::h1::dispatcher";

/// Keeps actix's `ERROR stream error: request parse error: …` out of the log unless the log
/// filter enables DEBUG somewhere.
///
/// actix logs every request it cannot parse at ERROR, after answering it 400 itself. Such a
/// request is the client's doing, not a fault of the server, and on a plain-HTTP port the
/// commonest one is harmless: `docker login`, `push` and `pull` first try HTTPS and send a TLS
/// handshake, which actix fails to parse as HTTP, before falling back to plain HTTP. That
/// printed one ERROR line per docker command.
struct UnparsableRequests;

impl<S> Filter<S> for UnparsableRequests {
    fn enabled(&self, _: &Metadata<'_>, _: &Context<'_, S>) -> bool {
        true
    }

    /// Enables nothing the log filter does not, so the log filter's level stays the limit
    /// (`LevelFilter::current()` below is that level).
    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::TRACE)
    }

    fn event_enabled(&self, event: &Event<'_>, _: &Context<'_, S>) -> bool {
        let meta = event.metadata();
        if meta.target() != ACTIX_DISPATCHER
            || *meta.level() != Level::ERROR
            || LevelFilter::current() >= LevelFilter::DEBUG
        {
            return true;
        }
        let mut message = ParseErrorMessage(false);
        event.record(&mut message);
        !message.0
    }
}

/// Whether an event's message is actix's report of a request it could not parse.
struct ParseErrorMessage(bool);

impl Visit for ParseErrorMessage {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}").starts_with("stream error: request parse error");
        }
    }
}
