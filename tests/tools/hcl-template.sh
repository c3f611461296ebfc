#!/usr/bin/env bash
# Prints the path of hcl-template (tests/tools/hcl-template: HashiCorp's HCL, the template
# engine of Terraform's templatefile()), built by go-tool.sh. Used by tests/tests/templates.rs
# and .ci/run.
exec bash "$(dirname "$0")/go-tool.sh" hcl-template
