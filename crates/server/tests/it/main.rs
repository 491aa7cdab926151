//! Integration tests of the real server, each run against the embedded SQLite catalogue and a
//! fresh PostgreSQL database (one integration-test binary, modules by area).

mod helpers;

mod blobstores;
mod browser;
mod catalogue_url;
mod crash;
mod docker_anonymous;
mod docker_cli;
mod docker_errors;
mod docker_oci;
mod docker_ports;
mod docker_push;
mod docker_referrers;
mod downloads;
mod fuzz_corpus;
mod group;
mod group_members;
mod headers;
mod listener;
mod nexus_client;
mod peers;
mod proxy;
mod proxy_token;
mod raw;
mod raw_proxy;
mod repositories;
mod repository_names;
mod rest_input;
mod rest_snapshots;
mod restart;
mod security_audit;
mod security_matrix;
mod security_roles;
mod security_tokens;
mod security_ui_matrix;
mod ui;
mod ui_browse;
mod ui_chromium;
mod users;
