# A small image of netfence with the live-cluster source: `docker run --rm -v "$PWD:/work:ro"
# IMAGE scan /work/deploy`, or with a kubeconfig mounted read-only for --live.
# Two stages: the first builds wheels (netfence and its dependencies), the second installs them
# offline into a slim Python, so no build tool or pip cache stays in the image.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip wheel --no-cache-dir --wheel-dir /wheels '.[live]'

FROM python:3.11-slim
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels 'netfence[live]' \
    && rm -rf /wheels \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin netfence
# netfence reads and prints; it never needs root inside the container.
USER 10001
WORKDIR /work
ENTRYPOINT ["netfence"]
CMD ["--help"]
