# Builds the medicineman executable and runs it on a slim Debian 12 with the C libraries it links.
FROM swift:6.2-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libhiredis-dev libpq-dev libssh2-1-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product medicineman --static-swift-stdlib

FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends libhiredis0.14 libpq5 libssh2-1 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /var/lib/medicineman --create-home medicineman
COPY --from=build /src/.build/release/medicineman /usr/local/bin/medicineman
# The OpenAPI document travels as a resource bundle beside the executable.
COPY --from=build /src/.build/release/MedicineMan_HTTPAPI.resources /usr/local/bin/MedicineMan_HTTPAPI.resources
# So do the dashboard's templates, stylesheet and script.
COPY --from=build /src/.build/release/MedicineMan_Dashboard.resources /usr/local/bin/MedicineMan_Dashboard.resources
COPY migrations /opt/medicineman/migrations
USER medicineman
ENV HOST=0.0.0.0 PORT=3000 MIGRATIONS_DIR=/opt/medicineman/migrations BACKUP_DIR=/var/lib/medicineman/backups
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=5s CMD curl -fsS http://127.0.0.1:3000/ready || exit 1
ENTRYPOINT ["medicineman"]
CMD ["serve"]
