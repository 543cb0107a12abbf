# retroscim: a static binary on a distroless base.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/retroscim ./cmd/retroscim

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/retroscim /usr/local/bin/retroscim
COPY examples/sample/config.yaml /etc/retroscim/config.yaml
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/retroscim"]
CMD ["serve", "--config", "/etc/retroscim/config.yaml"]
