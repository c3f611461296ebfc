#!/usr/bin/env bash
# Prints the path of k8s-yaml (tests/tools/k8s-yaml: sigs.k8s.io/yaml, the YAML reader of
# kubectl and the API machinery), built by go-tool.sh. Used by tests/tests/yaml_readers.rs and
# .ci/run.
exec bash "$(dirname "$0")/go-tool.sh" k8s-yaml
