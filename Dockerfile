# syntax=docker/dockerfile:1.7
#
# One build for every Pitstop binary, one small image per binary:
#
#   docker build --target customers-service -t pitstop/customers-service .
#
# Targets: <context>-service and <context>-cdc for every context (auditlog has no
# relay), webapp, and pitstop (the all-in-one with its own PostgreSQL, NATS and mail
# files; `docker run -p 7005:7005 -p 5000-5601:5000-5601 pitstop`).
# docker-compose.yml builds each service from its target; deploy/deploytest checks that
# the two agree and that every package built here exists.

ARG GO_VERSION=1.26

# ---------------------------------------------------------------------------- build
FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-buildvcs=false
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
# One binary per line: "-o /out/<name> ./<package>" (deploytest reads these lines).
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build <<'BUILD'
set -eu
b() { go build -trimpath -ldflags='-s -w' "$@"; }
b -o /out/customers-service ./customers/cmd/service
b -o /out/customers-cdc ./customers/cmd/cdc
b -o /out/vehicles-service ./vehicles/cmd/service
b -o /out/vehicles-cdc ./vehicles/cmd/cdc
b -o /out/workshop-service ./workshop/cmd/service
b -o /out/workshop-cdc ./workshop/cmd/cdc
b -o /out/notifications-service ./notifications/cmd/service
b -o /out/notifications-cdc ./notifications/cmd/cdc
b -o /out/invoicing-service ./invoicing/cmd/service
b -o /out/invoicing-cdc ./invoicing/cmd/cdc
b -o /out/timekeeper-service ./timekeeper/cmd/service
b -o /out/timekeeper-cdc ./timekeeper/cmd/cdc
b -o /out/auditlog-service ./auditlog/cmd/service
b -o /out/webapp ./webapp/cmd/webapp
b -o /out/pitstop ./cmd/pitstop
b -o /out/healthcheck ./deploy/healthcheck
BUILD

# -------------------------------------------------------------------------- runtime
# Static binaries on distroless (CA certificates, tzdata, a nonroot user; no shell).
# /healthcheck GETs http://127.0.0.1:<port of HTTP_ADDR>/readyz; exec-form HEALTHCHECK
# needs no shell.
FROM gcr.io/distroless/static-debian12:nonroot AS runtime
COPY --from=build /out/healthcheck /healthcheck
USER nonroot:nonroot
# A writable working directory (mailers without SMTP_URL write .eml files below it).
WORKDIR /home/nonroot
ENV LOG_FORMAT=json
HEALTHCHECK --interval=10s --timeout=4s --start-period=30s --retries=3 CMD ["/healthcheck"]
ENTRYPOINT ["/app"]

FROM runtime AS customers-service
COPY --from=build /out/customers-service /app
ENV HTTP_ADDR=:5100
EXPOSE 5100

FROM runtime AS customers-cdc
COPY --from=build /out/customers-cdc /app
ENV HTTP_ADDR=:5101
EXPOSE 5101

FROM runtime AS vehicles-service
COPY --from=build /out/vehicles-service /app
ENV HTTP_ADDR=:5000
EXPOSE 5000

FROM runtime AS vehicles-cdc
COPY --from=build /out/vehicles-cdc /app
ENV HTTP_ADDR=:5001
EXPOSE 5001

FROM runtime AS workshop-service
COPY --from=build /out/workshop-service /app
ENV HTTP_ADDR=:5200
EXPOSE 5200

FROM runtime AS workshop-cdc
COPY --from=build /out/workshop-cdc /app
ENV HTTP_ADDR=:5201
EXPOSE 5201

FROM runtime AS notifications-service
COPY --from=build /out/notifications-service /app
ENV HTTP_ADDR=:5300
EXPOSE 5300

FROM runtime AS notifications-cdc
COPY --from=build /out/notifications-cdc /app
ENV HTTP_ADDR=:5301
EXPOSE 5301

FROM runtime AS invoicing-service
COPY --from=build /out/invoicing-service /app
ENV HTTP_ADDR=:5400
EXPOSE 5400

FROM runtime AS invoicing-cdc
COPY --from=build /out/invoicing-cdc /app
ENV HTTP_ADDR=:5401
EXPOSE 5401

FROM runtime AS timekeeper-service
COPY --from=build /out/timekeeper-service /app
ENV HTTP_ADDR=:5500
EXPOSE 5500

FROM runtime AS timekeeper-cdc
COPY --from=build /out/timekeeper-cdc /app
ENV HTTP_ADDR=:5501
EXPOSE 5501

FROM runtime AS auditlog-service
COPY --from=build /out/auditlog-service /app
ENV HTTP_ADDR=:5600
EXPOSE 5600

FROM runtime AS webapp
COPY --from=build /out/webapp /app
ENV HTTP_ADDR=:7005
EXPOSE 7005

# The all-in-one needs PostgreSQL binaries for its private cluster (or DATABASE_URL), so
# it is the one image on Debian. State lives in /data (mount a volume there).
FROM debian:12-slim AS pitstop
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15 ca-certificates tzdata \
 && pg_dropcluster 15 main \
 && rm -rf /var/lib/apt/lists/* \
 && install -d -o postgres -g postgres /data
COPY --from=build /out/healthcheck /healthcheck
COPY --from=build /out/pitstop /app
USER postgres
WORKDIR /data
ENV PITSTOP_DATA_DIR=/data PITSTOP_HOST=0.0.0.0 LOG_FORMAT=json
VOLUME /data
EXPOSE 7005 5000 5001 5100 5101 5200 5201 5300 5301 5400 5401 5500 5501 5600
HEALTHCHECK --interval=10s --timeout=4s --start-period=60s --retries=3 CMD ["/healthcheck", "http://127.0.0.1:5100/readyz"]
ENTRYPOINT ["/app"]
