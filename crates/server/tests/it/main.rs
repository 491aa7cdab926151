//! Integration tests of the real server, each run against the embedded SQLite catalogue and a
//! fresh PostgreSQL database (one integration-test binary, modules by area).

mod helpers;

mod blobstores;
mod browser;
mod catalogue_url;
mod crash;
mod docker;
mod docker_anonymous;
mod docker_cli;
mod docker_oci;
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
mod restart;
mod security;
mod ui;
mod ui_browse;
mod ui_chromium;
mod users;
