#!/bin/sh
# Starts one Azora process: `router` or `subgraph <name>`.
set -eu
case "${1:-router}" in
  router) exec node --import tsx router/src/main.ts ;;
  subgraph)
    [ -n "${2:-}" ] && [ -f "subgraphs/$2/src/index.ts" ] || { echo "usage: subgraph <name>" >&2; exit 64; }
    exec node --import tsx "subgraphs/$2/src/index.ts" ;;
  *) echo "usage: router | subgraph <name>" >&2; exit 64 ;;
esac
