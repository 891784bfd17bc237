#!/bin/sh
# Starts one Azora process: `router [--supergraph <file>] [--policy <file>]`, `subgraph <name>`, or the one-shot
# `migrate <name>...`.
set -eu
case "${1:-router}" in
  router)
    [ "$#" -gt 0 ] && shift
    exec node --import tsx router/src/main.ts "$@" ;;
  subgraph)
    [ -n "${2:-}" ] && [ -f "subgraphs/$2/src/index.ts" ] || { echo "usage: subgraph <name>" >&2; exit 64; }
    exec node --import tsx "subgraphs/$2/src/index.ts" ;;
  migrate)
    shift
    [ "$#" -gt 0 ] || { echo "usage: migrate <name>..." >&2; exit 64; }
    for name in "$@"; do
      [ -f "subgraphs/$name/src/index.ts" ] || { echo "migrate: no subgraph \"$name\"" >&2; exit 64; }
    done
    exec node --import tsx subgraphs/kit/src/cli/migrate.ts "$@" ;;
  *) echo "usage: router [--supergraph <file>] [--policy <file>] | subgraph <name> | migrate <name>..." >&2; exit 64 ;;
esac
