#!/usr/bin/env bash
# Healthy when TF Serving's REST status endpoint (/v1/models/<name>) reports every named model
# AVAILABLE. The tensorflow/serving image has no curl or wget, so this speaks HTTP/1.0 over bash's
# /dev/tcp. Usage: healthcheck.sh MODEL... (port from TFSERVING_REST_PORT, default 8501).
set -u
port="${TFSERVING_REST_PORT:-8501}"
host="${TFSERVING_HOST:-127.0.0.1}"
if [ "$#" -eq 0 ]; then
  echo "usage: healthcheck.sh MODEL..." >&2
  exit 2
fi
for model in "$@"; do
  if ! exec 3<>"/dev/tcp/$host/$port"; then
    echo "no REST server on $host:$port" >&2
    exit 1
  fi
  printf 'GET /v1/models/%s HTTP/1.0\r\nHost: %s\r\n\r\n' "$model" "$host" >&3
  reply="$(cat <&3)"
  exec 3<&-
  case "$reply" in
    *'"AVAILABLE"'*) ;;
    *) echo "model $model is not AVAILABLE" >&2; exit 1 ;;
  esac
done
exit 0
