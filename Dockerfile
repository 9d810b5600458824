# syntax=docker/dockerfile:1
# Multi-stage build: cargo-chef caches the dependency layer; the runtime image is Debian slim
# with only CA certificates, runs as a non-root user and keeps the SQLite database in a volume.
# TLS is rustls everywhere (no OpenSSL in the image).

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
ENV DATABASE_URL=sqlite:///app/data/quantbot.db \
    HTTP_LISTEN=0.0.0.0:9090 \
    LOG_FORMAT=json \
    DRY_RUN=true
VOLUME ["/app/data"]
EXPOSE 9090
ENTRYPOINT ["/usr/local/bin/quantbot"]
CMD ["run"]
