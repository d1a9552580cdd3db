#!/usr/bin/env bash
# mypy needs the import names (provgraph.service, ...) while the folders are service/, cli/...:
# check a tree of symlinks laid out as the installed package.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf .lint && mkdir -p .lint/provgraph
for part in service cli cypher examples sdk; do ln -s "../../$part" ".lint/provgraph/$part"; done
touch .lint/provgraph/__init__.py
cd .lint && ../.venv/bin/mypy --config-file ../pyproject.toml -p provgraph.service -p provgraph.cli -p provgraph.cypher -p provgraph.examples -p provgraph.sdk
# bench/ is a top-level package run from the repository root (python -m bench).
../.venv/bin/mypy --config-file ../pyproject.toml ../bench
