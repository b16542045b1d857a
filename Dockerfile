# sharewatch, built from source in a Go image and run from a distroless
# image (no shell, non-root). docker-compose.yml builds it; by hand:
#   docker build -t sharewatch .
#   docker run --rm sharewatch version

FROM golang:1.26 AS build
WORKDIR /src
# Dependencies first, so that a code change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
        -o /out/sharewatch ./cmd/sharewatch \
    && mkdir -p /out/state

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/sharewatch /usr/local/bin/sharewatch
# Ticket outbox, hold state: owned by the non-root user, so that a named
# volume mounted here starts writable.
COPY --from=build --chown=65532:65532 /out/state /var/lib/sharewatch
USER 65532:65532
EXPOSE 9464
ENTRYPOINT ["/usr/local/bin/sharewatch"]
CMD ["run", "--config", "/etc/sharewatch/sharewatch.yml"]
