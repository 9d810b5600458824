# syntax=docker/dockerfile:1
# Multi-stage build: cargo-chef caches the dependency layer; the runtime image is Debian slim
# with only CA certificates, runs as a non-root user (uid 10001) and keeps the SQLite database
# in a volume. TLS is rustls everywhere (no OpenSSL in the image). The release profile strips
# symbols (Cargo.toml).

FROM rust:1.95-slim-bookworm AS chef
RUN cargo install cargo-chef --locked --version 0.1.73
WORKDIR /app

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /app/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json
COPY . .
RUN cargo build --release --locked --bin quantbot

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin quantbot \
    && mkdir -p /app/data \
    && chown -R quantbot:quantbot /app
WORKDIR /app
COPY --from=builder /app/target/release/quantbot /usr/local/bin/quantbot
USER quantbot
# The image's own settings. `.env.example` leaves these keys commented, so a copied `.env`
# passed with `--env-file` does not override them (tests/cli.rs checks both files agree).
# DRY_RUN is not set here: it defaults to true in the binary.
# MALLOC_ARENA_MAX=2: glibc keeps one heap arena per thread that ever allocated; after a
# 10,000-update burst that held 70 MiB resident, with two arenas 57 MiB (benches/load.rs).
ENV DATABASE_URL=sqlite:///app/data/quantbot.db \
    HTTP_LISTEN=0.0.0.0:9090 \
    LOG_FORMAT=json \
    MALLOC_ARENA_MAX=2
VOLUME ["/app/data"]
EXPOSE 9090
# /healthz through the binary itself (no curl in the image): database, Telegram polling,
# position monitor and RPC. The first start migrates and loads the venue configs: 60 s grace.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["quantbot", "healthcheck"]
# SIGTERM starts the graceful shutdown (SHUTDOWN_DEADLINE_SECS, default 20 s): give
# `docker stop` more than that, e.g. `docker stop -t 30` (compose: stop_grace_period: 30s).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/quantbot"]
CMD ["run"]
