//! Integration tests of the real server, each run against the embedded SQLite catalogue and a
//! fresh PostgreSQL database (one integration-test binary, modules by area).

mod helpers;

mod blobstores;
mod crash;
mod docker;
mod docker_cli;
mod docker_oci;
mod downloads;
mod group;
mod nexus_client;
mod peers;
mod proxy;
mod proxy_token;
mod raw;
mod raw_proxy;
mod repositories;
mod restart;
mod security;
mod ui;
mod users;
