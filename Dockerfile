# Stowage container image.
# Not tested: Docker cannot run on the machine this file was written on. Build with
#   docker build -t stowage .
# or through docker-compose.yml.

# --- build -----------------------------------------------------------------------------------
# The workspace needs Rust >= 1.95 (rust-version in Cargo.toml); rust:1 follows the latest
# stable release. gcc, which sqlx's bundled SQLite and aws-lc need, is in this image.
FROM rust:1-bookworm AS builder
WORKDIR /src
# Everything is needed at compile time: crates/, the migrations/ embedded by sqlx::migrate!
# and the web-ui/templates/ compiled by askama (.dockerignore keeps target/ and data out).
COPY . .
RUN cargo build --release --bin stowage

# --- runtime ---------------------------------------------------------------------------------
FROM debian:bookworm-slim
# ca-certificates: TLS to S3 endpoints verifies against the system's certificate store.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home-dir /var/lib/stowage --shell /usr/sbin/nologin stowage \
    && mkdir -p /var/lib/stowage \
    && chown stowage:stowage /var/lib/stowage
COPY --from=builder /src/target/release/stowage /usr/local/bin/stowage

# Catalogue (SQLite, unless STOWAGE_DATABASE_URL is set), the "default" file blob store and
# admin.password live here.
ENV STOWAGE_DATA_DIR=/var/lib/stowage \
    STOWAGE_LISTEN=0.0.0.0:8081
VOLUME /var/lib/stowage
EXPOSE 8081
USER stowage
WORKDIR /var/lib/stowage

# The image has no curl: ask /service/rest/v1/status/writable (checks the catalogue) with bash.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8081 && printf 'GET /service/rest/v1/status/writable HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]

ENTRYPOINT ["/usr/local/bin/stowage"]
