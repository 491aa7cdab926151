//! The Stowage server: listeners, routing, authentication, the Nexus-compatible REST API and
//! the wiring of format crates into the core.

pub mod auth;
pub mod body_timeout;
pub mod connectors;
pub mod content;
pub mod error;
pub mod formats;
pub mod headers;
pub mod request_span;
pub mod rest;
pub mod routes;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod ui;

pub use startup::Application;
