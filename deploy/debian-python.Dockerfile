# Offline builds only: the debootstrap base (sandboxes/build_images.py) plus what `python3 -m venv` needs.
# On a cluster the service image starts FROM python:3.11-slim-bookworm instead and this file is not used.
ARG BASE=reward-sandbox/base:bookworm
FROM ${BASE}
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-venv ca-certificates \
    && rm -rf /var/lib/apt/lists/*
