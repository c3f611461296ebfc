"""CustomResourceDefinitions for the kinds no project module ships, from the shared JSON schemas.

    python3 crdgen.py SCHEMAS REAL OUT

SCHEMAS is the shared folder `<group>/<kind>_<version>.json` (each the openAPIV3Schema of one CRD
version in kubeconform's form, see its README); REAL holds the real CRD manifests already
collected. For every group and kind in SCHEMAS that no file in REAL defines, OUT gets a CRD
(JSON) whose schema is the shared one turned back into a structural schema: kubeconform's
`additionalProperties: false` beside `properties` is dropped (the API server prunes unknown
fields instead), `oneOf: [string, integer]` is `x-kubernetes-int-or-string` again, and a node
without a type keeps whatever it is given. Plural: the kind in lower case plus `s` (`y` ->
`ies`); scope: Cluster for kinds named `Cluster...` or `Global...`, else Namespaced.
Standard library only (no PyYAML): the real CRDs are read with two regular expressions.
"""

import json
import os
import re
import sys


def real_kinds(real):
    found = set()
    for name in os.listdir(real):
        with open(os.path.join(real, name), encoding="utf-8") as f:
            text = f.read()
        for doc in re.split(r"^---\s*$", text, flags=re.M):
            group = re.search(r"^  group:\s*(\S+)", doc, flags=re.M)
            kind = re.search(r"^    kind:\s*(\S+)", doc, flags=re.M)
            if group and kind:
                found.add((group.group(1), kind.group(1)))
    return found


# The keys whose values are schemas (or lists of them); `properties` maps names to schemas.
SCHEMA_KEYS = {"properties", "items", "additionalProperties", "allOf", "anyOf", "oneOf", "not"}


def structural(node, root=False):
    if isinstance(node, list):
        return [structural(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {}
    one_of = node.get("oneOf")
    if isinstance(one_of, list) and sorted(x.get("type", "") for x in one_of if isinstance(x, dict)) == [
        "integer",
        "string",
    ]:
        out["x-kubernetes-int-or-string"] = True
    for k, v in node.items():
        if k == "required" and root and isinstance(v, list):
            out[k] = [x for x in v if x not in ("apiVersion", "kind", "metadata", "status")]
            continue
        if k not in SCHEMA_KEYS:
            # Data, not schemas: enums, defaults, CEL rules (x-kubernetes-validations), ...
            if k not in ("$schema", "id"):
                out[k] = v
            continue
        if k == "oneOf" and out.get("x-kubernetes-int-or-string"):
            continue
        if k == "additionalProperties" and v is False:
            continue
        if k == "properties" and isinstance(v, dict):
            props = {pk: structural(pv) for pk, pv in v.items()}
            if root:
                # The API server owns these; a CRD may not constrain more than metadata.name.
                for meta in ("apiVersion", "kind", "metadata", "status"):
                    props.pop(meta, None)
            out[k] = props
            continue
        out[k] = structural(v)
    if "type" not in out and not out.get("x-kubernetes-int-or-string") and "properties" not in out:
        if not any(k in out for k in ("allOf", "anyOf", "oneOf", "not")):
            out["x-kubernetes-preserve-unknown-fields"] = True
    if out.get("type") == "object" and "properties" not in out and "additionalProperties" not in out:
        out["x-kubernetes-preserve-unknown-fields"] = True
    return out


# The kinds of the shared schemas, in their spelling (the file names are in lower case).
KINDS = {
    k.lower(): k
    for k in """VerticalPodAutoscaler SealedSecret Certificate ClusterIssuer Issuer GlobalNetworkPolicy
    NetworkPolicy ClusterSecretStore ExternalSecret SecretStore HelmRelease Kustomization ClusterPolicy Policy
    IPAddressPool L2Advertisement PodMonitor PrometheusRule ServiceMonitor Cluster Database Pooler
    ScheduledBackup GitRepository HelmRepository OCIRepository IngressRoute IngressRouteTCP IngressRouteUDP
    Middleware ServersTransport TLSOption""".split()
}


def plural(kind):
    k = kind.lower()
    return k[:-1] + "ies" if k.endswith("y") else k + "s"


def main():
    schemas, real, out = sys.argv[1:4]
    have = real_kinds(real)
    by_kind = {}
    for group in sorted(os.listdir(schemas)):
        gdir = os.path.join(schemas, group)
        if not os.path.isdir(gdir):
            continue
        for name in sorted(os.listdir(gdir)):
            if not name.endswith(".json"):
                continue
            with open(os.path.join(gdir, name), encoding="utf-8") as f:
                schema = json.load(f)
            stem, version = name[: -len(".json")].rsplit("_", 1)
            kind = KINDS.get(stem)
            if kind is None:
                print(f"crdgen: {group}/{name}: a kind crdgen.py does not know; skipped", file=sys.stderr)
                continue
            by_kind.setdefault((group, kind), []).append((version, schema))
    made = []
    for (group, kind), versions in sorted(by_kind.items()):
        if (group, kind) in have:
            continue
        versions.sort()
        crd = {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {
                "name": f"{plural(kind)}.{group}",
                "annotations": {
                    "hlc.viktorbarzin.me/generated-from": f"shared/schemas/crds/{group}",
                    # Groups under k8s.io and kubernetes.io need it (VerticalPodAutoscaler).
                    "api-approved.kubernetes.io": "unapproved, generated for hlc's tests",
                },
            },
            "spec": {
                "group": group,
                "names": {"kind": kind, "listKind": kind + "List", "plural": plural(kind), "singular": kind.lower()},
                "scope": "Cluster" if kind.startswith(("Cluster", "Global")) else "Namespaced",
                "versions": [
                    {
                        "name": v,
                        "served": True,
                        "storage": i == len(versions) - 1,
                        "schema": {"openAPIV3Schema": structural(s, root=True)},
                    }
                    for i, (v, s) in enumerate(versions)
                ],
            },
        }
        path = os.path.join(out, f"{group}_{plural(kind)}.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(crd, f, indent=1, sort_keys=True)
        made.append(f"{kind}.{group}")
    print(f"crdgen: {len(have)} kinds from the projects' CRDs; generated from the shared schemas: {', '.join(made)}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
