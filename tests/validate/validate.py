#!/usr/bin/env python3
"""Validate Kubernetes manifests emitted by hlc, offline.

Usage:
    validate.py --crds DIR [--k8s-version 1.33.0] PATH...

PATH is a file or a directory (searched recursively for ``*.yaml``, in sorted order). Each file may
hold several YAML documents; every non-empty document is checked:

* ``kustomize.config.k8s.io/v1beta1`` ``Kustomization``: not a cluster object. Checked minimally
  (``resources`` is a list of strings naming paths that exist next to the file) and counted as
  skipped when fine, failed otherwise.
* Core Kubernetes groups (no group, a group without a dot, or one ending in ``.k8s.io``): the
  strict schemas of kubernetes-validate for the requested Kubernetes version (unknown fields are
  errors). If kubernetes-validate has no schema for the kind but ``DIR`` has one (CRDs in
  ``*.k8s.io`` groups, e.g. ``autoscaling.k8s.io`` VerticalPodAutoscaler), that one is used.
* Any other group (a CRD): ``DIR/<group>/<kind lowercased>_<version>.json`` (kubeconform layout),
  validated with jsonschema (draft from ``$schema``, Draft 7 by default).

A missing schema is a failure. One line per failing object:
    FAIL <file>#<doc index, 0-based> <apiVersion> <kind> <metadata.name>: <errors>
then ``validated N objects: N passed, N failed[, N skipped]``.
Exit status: 0 all passed, 1 a failure or nothing validated, 2 bad usage (missing CRD directory,
unknown path, unsupported Kubernetes version).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from typing import Any, Iterable

import jsonschema
import yaml
from packaging.version import InvalidVersion, Version
from referencing import Registry, Resource

from kubernetes_validate import utils as kv

KUSTOMIZE_API_VERSION = "kustomize.config.k8s.io/v1beta1"
MAX_MESSAGE = 300  # characters per error message (jsonschema can quote whole objects)
MAX_ERRORS = 20  # errors reported per object
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]*$")


# --------------------------------------------------------------------------------------- YAML ---

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """SafeLoader that keeps timestamps as strings (as the Kubernetes API server does) and
    accepts '=' value nodes (as kubernetes-validate does)."""


def _scalar_as_str(loader: yaml.BaseLoader, node: yaml.Node) -> str:
    return str(loader.construct_scalar(node))  # type: ignore[arg-type]


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _scalar_as_str)
_Loader.add_constructor("tag:yaml.org,2002:value", _scalar_as_str)


# ------------------------------------------------------------------------------- core schemas ---


class UsageError(Exception):
    pass


def _minor(version: str) -> Version:
    return Version(kv.major_minor(version))


class CoreValidators:
    """Strict kubernetes-validate schemas, one jsonschema validator per (apiVersion, kind).

    Mirrors kubernetes_validate.utils.validate(), which re-reads the 1.4 MB _definitions.json and
    rebuilds the validator on every call, and raises SchemaNotFoundError (which its CLI only turns
    into a WARN with exit status 0) when there is no schema for a kind.
    """

    def __init__(self, desired: str) -> None:
        desired = desired[1:] if desired.startswith("v") else desired
        try:
            want = _minor(desired)
            versions = kv.all_versions()
            latest = _minor(versions[-1])
        except InvalidVersion:
            raise UsageError(f"invalid Kubernetes version {desired!r}") from None
        if want > latest:
            raise UsageError(
                f"kubernetes-validate {kv.__version__} supports Kubernetes up to {latest}, "
                f"not {desired}")
        usable = [v for v in versions if _minor(v) <= want]
        if not usable:
            raise UsageError(f"kubernetes-validate {kv.__version__} has no schemas for "
                             f"Kubernetes {desired} (oldest: {versions[0]})")
        self.schema_version = usable[-1]
        self.schema_dir = f"kubernetes-json-schema/v{self.schema_version}-local-strict"
        self._registry: Registry | None = None
        self._cache: dict[tuple[str, str], Any] = {}

    def _definitions(self) -> Registry:
        if self._registry is None:
            defs = kv.schema_contents(f"{self.schema_dir}/_definitions.json", self.schema_version)
            self._registry = Resource.from_contents(defs) @ Registry()
        return self._registry

    def get(self, api_version: str, kind: str) -> Any:
        """The validator for this apiVersion/kind, or None if kubernetes-validate has no schema."""
        key = (api_version, kind)
        if key not in self._cache:
            # Same file naming as kubernetes_validate.utils.validate():
            # rbac.authorization.k8s.io/v1 -> rbac-v1, v1 -> v1.
            mapped = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
            name = f"{self.schema_dir}/{kind.lower()}-{mapped}.json"
            try:
                schema = kv.schema_contents(name, self.schema_version)
            except FileNotFoundError:
                self._cache[key] = None
            else:
                registry = Resource.from_contents(schema) @ self._definitions()
                self._cache[key] = jsonschema.Draft202012Validator(schema, registry=registry)
        return self._cache[key]


# -------------------------------------------------------------------------------- CRD schemas ---


class CrdValidators:
    """kubeconform-layout JSON schemas: DIR/<group>/<kind>_<version>.json."""

    def __init__(self, root: str) -> None:
        self.root = root
        self._cache: dict[str, Any] = {}

    def path(self, group: str, version: str, kind: str) -> str:
        return os.path.join(self.root, group, f"{kind.lower()}_{version}.json")

    def get(self, group: str, version: str, kind: str) -> Any:
        """The validator, None if the schema file is missing; raises ValueError if it is broken."""
        path = self.path(group, version, kind)
        if path not in self._cache:
            if not os.path.isfile(path):
                self._cache[path] = None
            else:
                try:
                    with open(path, encoding="utf-8") as f:
                        schema = json.load(f)
                    cls = jsonschema.validators.validator_for(
                        schema, default=jsonschema.Draft7Validator)
                    cls.check_schema(schema)
                    self._cache[path] = cls(schema)
                except (OSError, ValueError, jsonschema.SchemaError) as e:
                    self._cache[path] = ValueError(f"unusable schema {path}: {_short(str(e))}")
        found = self._cache[path]
        if isinstance(found, ValueError):
            raise found
        return found


# ---------------------------------------------------------------------------------- checking ---


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


def _errors(validator: Any, doc: dict) -> list[str]:
    errors = sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    out = []
    for e in errors[:MAX_ERRORS]:
        where = ".".join(str(p) for p in e.absolute_path) or "<root>"
        out.append(f"{where}: {_short(e.message)}")
    if len(errors) > MAX_ERRORS:
        out.append(f"... and {len(errors) - MAX_ERRORS} more errors")
    return out


def is_core_group(group: str) -> bool:
    return group == "" or "." not in group or group.endswith(".k8s.io")


class Checker:
    def __init__(self, crds: str, k8s_version: str) -> None:
        self.core = CoreValidators(k8s_version)
        self.crds = CrdValidators(crds)
        self.passed = self.failed = self.skipped = 0

    def fail(self, where: str, api_version: Any, kind: Any, name: Any, errors: list[str]) -> None:
        self.failed += 1
        print(f"FAIL {where} {api_version or '-'} {kind or '-'} {name or '-'}: "
              + "; ".join(errors), flush=False)

    def check_kustomization(self, file: str, doc: dict) -> list[str]:
        resources = doc.get("resources")
        if not isinstance(resources, list) or not all(isinstance(r, str) for r in resources):
            return ["resources must be a list of strings"]
        base = os.path.dirname(file)
        return [f"resources: {r!r} does not exist next to the file"
                for r in resources if not os.path.exists(os.path.join(base, r))]

    def check_object(self, doc: dict) -> list[str]:
        api_version, kind = doc.get("apiVersion"), doc.get("kind")
        if not isinstance(api_version, str) or not isinstance(kind, str) or not api_version \
                or not kind:
            return ["apiVersion and kind must be non-empty strings"]
        group, _, version = api_version.rpartition("/")
        if not SAFE_NAME.match(kind) or not SAFE_NAME.match(version) \
                or (group and not SAFE_NAME.match(group)):
            return [f"malformed apiVersion {api_version!r} or kind {kind!r}"]
        validator = None
        if is_core_group(group):
            validator = self.core.get(api_version, kind)
        if validator is None:
            try:
                validator = self.crds.get(group, version, kind)
            except ValueError as e:
                return [str(e)]
        if validator is None:
            crd_path = self.crds.path(group, version, kind)
            if is_core_group(group):
                return [f"no schema: kubernetes-validate {kv.__version__} has none for "
                        f"{kind} {api_version} (Kubernetes {self.core.schema_version}) and "
                        f"{crd_path} does not exist"]
            return [f"no schema: {crd_path} does not exist"]
        return _errors(validator, doc)

    def check_file(self, file: str) -> None:
        try:
            stream = open(file, encoding="utf-8")
        except OSError as e:
            self.fail(f"{file}#0", None, None, None, [f"cannot read file: {_short(str(e))}"])
            return
        with stream:
            self._check_stream(file, stream)

    def _check_stream(self, file: str, stream: Any) -> None:
        index = 0
        docs = yaml.load_all(stream, Loader=_Loader)
        while True:
            try:
                doc = next(docs)
            except StopIteration:
                break
            except (yaml.YAMLError, UnicodeDecodeError) as e:
                self.fail(f"{file}#{index}", None, None, None,
                          [f"cannot parse YAML: {_short(str(e))}"])
                break
            where = f"{file}#{index}"
            index += 1
            if doc is None:
                continue
            if not isinstance(doc, dict):
                self.fail(where, None, None, None,
                          [f"document is a {type(doc).__name__}, not a mapping"])
                continue
            api_version, kind = doc.get("apiVersion"), doc.get("kind")
            metadata = doc.get("metadata")
            name = metadata.get("name") if isinstance(metadata, dict) else None
            if api_version == KUSTOMIZE_API_VERSION and kind == "Kustomization":
                errors = self.check_kustomization(file, doc)
                if errors:
                    self.fail(where, api_version, kind, name, errors)
                else:
                    self.skipped += 1
                continue
            errors = self.check_object(doc)
            if errors:
                self.fail(where, api_version, kind, name, errors)
            else:
                self.passed += 1


def yaml_files(paths: Iterable[str]) -> list[str]:
    files: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            found = []
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames.sort()
                found.extend(os.path.join(dirpath, n) for n in filenames if n.endswith(".yaml"))
            files.extend(sorted(found))
        elif os.path.exists(path):
            files.append(path)
        else:
            raise UsageError(f"no such file or directory: {path}")
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Validate Kubernetes manifests: core kinds with kubernetes-validate "
                    "(strict), CRDs with kubeconform-layout JSON schemas.")
    parser.add_argument("--crds", required=True, metavar="DIR",
                        help="CRD schemas directory, laid out as <group>/<kind>_<version>.json")
    parser.add_argument("--k8s-version", default="1.33.0",
                        help="Kubernetes version to validate against (default: %(default)s)")
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="manifest files, or directories searched for *.yaml")
    args = parser.parse_args(argv)

    if not os.path.isdir(args.crds):
        print(f"validate.py: CRD schemas directory is missing: {args.crds} "
              "(point HLC_SHARED_DIR at the shared folder that holds schemas/crds, "
              "or pass --crds DIR)", file=sys.stderr)
        return 2
    try:
        checker = Checker(args.crds, args.k8s_version)
        files = yaml_files(args.paths)
    except UsageError as e:
        print(f"validate.py: {e}", file=sys.stderr)
        return 2

    for file in files:
        checker.check_file(file)

    total = checker.passed + checker.failed
    summary = f"validated {total} objects: {checker.passed} passed, {checker.failed} failed"
    if checker.skipped:
        summary += f", {checker.skipped} skipped"
    print(summary)
    if total == 0:
        print("validate.py: no objects were validated", file=sys.stderr)
    return 1 if checker.failed or total == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
