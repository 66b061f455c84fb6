# csr-operator container image.
# Build stage: Debian bookworm with the same packages as development (scripts/install-deps.sh).
# Runtime stage: bookworm-slim with only the shared libraries the binary links, as uid 65532.
# Both stages start from bookworm-slim so that one local base image serves an offline build
# (scripts/build-image.sh imports a debootstrapped bookworm under that name).
FROM docker.io/library/debian:bookworm-slim AS build
WORKDIR /src
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN bash scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
# RelWithDebInfo (-O2) is the build type scripts/test.sh tests; the symbols are stripped below.
# Release (-O3) also trips GCC 12's false -Wrestrict warnings on std::string concatenation.
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCSR_BUILD_TESTS=OFF -DCSR_BUILD_BENCH=OFF \
 && cmake --build /build --target csr-operator -j2 \
 && install -D -m 0755 "$(find /build -type f -name csr-operator -perm -u+x | head -n 1)" /out/csr-operator \
 && strip --strip-unneeded /out/csr-operator \
 && /out/csr-operator version

FROM docker.io/library/debian:bookworm-slim
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        libcpprest2.10 libssl3 libyaml-cpp0.7 libspdlog1.10 libfmt9 ca-certificates \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
COPY --from=build /out/csr-operator /usr/local/bin/csr-operator
# Fails the build when a shared library is missing from the runtime stage.
RUN ! ldd /usr/local/bin/csr-operator | grep -q "not found" && /usr/local/bin/csr-operator version
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/csr-operator"]
CMD ["run", "--config", "/etc/csr-operator/config/config.yaml"]
