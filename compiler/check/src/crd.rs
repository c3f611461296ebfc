//! Custom resources against their CRD's schema, at compile time.
//!
//! A `manifest` is a custom resource written as its CRD spells it: hl cannot type its `spec`
//! with a schema of its own. When the caller gives the CRDs' schemas ([`CrdSchemas`], the
//! `openAPIV3Schema` of each CRD version, laid out as kubeconform reads them), every manifest
//! of the model is held to its kind's schema here, and each mismatch is an error (E0215) at
//! the hl value that causes it: a field the schema does not have (which the API server would
//! silently prune), a value of the wrong type, outside its enum, range, length or pattern, a
//! missing required field. The CEL rules of `x-kubernetes-validations` are the API server's.
//!
//! Invariant: pure over the model and the schemas (no IO); a kind without a schema is not
//! checked here (E0405 already says whether the cluster defines it).

use std::collections::{BTreeMap, HashMap};

use hl_diagnostics::{Code, Diagnostic, did_you_mean};
use hl_model::{KubeObject, Model, Stack};
use serde_json::Value as Json;

/// The schemas of the cluster's custom resources, by `<group>/<version>` and lowercase kind.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CrdSchemas {
    by_kind: BTreeMap<(String, String), Json>,
}

impl CrdSchemas {
    /// No schemas: nothing is checked.
    pub fn new() -> Self {
        CrdSchemas::default()
    }

    /// Add the schema of `api_version` (`cert-manager.io/v1`) and `kind` (any case).
    pub fn insert(&mut self, api_version: &str, kind: &str, schema: Json) {
        self.by_kind.insert((api_version.to_string(), kind.to_ascii_lowercase()), schema);
    }

    /// Add a schema file by its path in kubeconform's layout, `<group>/<kind>_<version>.json`
    /// (`traefik.io/middleware_v1alpha1.json`), from its text. Files of any other name are
    /// not schemas and are skipped (`Ok(false)`); a schema that is not JSON is an error.
    ///
    /// ```
    /// use hl_check::crd::CrdSchemas;
    ///
    /// let mut s = CrdSchemas::new();
    /// assert_eq!(s.add_file("example.org/widget_v1.json", r#"{"type": "object"}"#), Ok(true));
    /// assert_eq!(s.add_file("README.md", "# schemas"), Ok(false));
    /// assert!(s.add_file("example.org/gadget_v1.json", "{").is_err());
    /// assert_eq!(s.len(), 1);
    /// ```
    pub fn add_file(&mut self, path: &str, text: &str) -> Result<bool, String> {
        let Some((group, file)) = path.rsplit_once('/') else { return Ok(false) };
        let group = group.rsplit('/').next().unwrap_or(group);
        let Some(stem) = file.strip_suffix(".json") else { return Ok(false) };
        let Some((kind, version)) = stem.rsplit_once('_') else { return Ok(false) };
        let schema: Json = serde_json::from_str(text).map_err(|e| format!("{path}: not a JSON schema: {e}"))?;
        self.insert(&format!("{group}/{version}"), kind, schema);
        Ok(true)
    }

    /// Read a directory in kubeconform's layout (`<dir>/<group>/<kind>_<version>.json`); other
    /// files are skipped. An unreadable directory, a schema that is not JSON, or a directory
    /// without any schema is an error: a check asked for must not quietly not happen.
    pub fn read_dir(dir: &std::path::Path) -> Result<Self, String> {
        let mut schemas = CrdSchemas::new();
        let entries = |d: &std::path::Path| -> Result<Vec<std::path::PathBuf>, String> {
            let mut v: Vec<_> = std::fs::read_dir(d)
                .map_err(|e| format!("{}: {e}", d.display()))?
                .flatten()
                .map(|e| e.path())
                .collect();
            v.sort();
            Ok(v)
        };
        for group in entries(dir)?.into_iter().filter(|g| g.is_dir()) {
            let name = group.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            for f in entries(&group)?.into_iter().filter(|f| f.extension().is_some_and(|x| x == "json")) {
                let file = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
                schemas.add_file(&format!("{name}/{file}"), &text)?;
            }
        }
        if schemas.is_empty() {
            return Err(format!("{}: no schema files (`<group>/<kind>_<version>.json`)", dir.display()));
        }
        Ok(schemas)
    }

    /// How many kinds have a schema.
    pub fn len(&self) -> usize {
        self.by_kind.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_kind.is_empty()
    }

    fn get(&self, api_version: &str, kind: &str) -> Option<&Json> {
        self.by_kind.get(&(api_version.to_string(), kind.to_ascii_lowercase()))
    }
}

/// Every `manifest` of the model against its kind's schema (those without one are skipped).
pub fn check_manifests(model: &Model, schemas: &CrdSchemas) -> Vec<Diagnostic> {
    model.stacks.iter().flat_map(|s| check_stack(s, schemas)).collect()
}

/// The manifests of one stack against their kinds' schemas.
pub fn check_stack(stack: &Stack, schemas: &CrdSchemas) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if schemas.is_empty() {
        return out;
    }
    let mut v = Validator::default();
    for o in stack.objects.iter().filter(|o| o.manifest) {
        let Some(schema) = schemas.get(&o.api_version, &o.kind) else { continue };
        v.problems.clear();
        v.object(schema, o);
        for p in v.problems.drain(..) {
            out.push(diagnostic(o, p));
        }
    }
    out
}

/// One mismatch: where (a JSON pointer into the object, `/spec/retry/attempts`), whether it is
/// about the key at that place rather than its value, and what is wrong.
struct Problem {
    pointer: String,
    on_key: bool,
    message: String,
    label: String,
    help: Option<String>,
}

fn diagnostic(o: &KubeObject, p: Problem) -> Diagnostic {
    // The value written at the pointer, or the nearest enclosing one that was written.
    let mut at = p.pointer.as_str();
    let span = loop {
        if let Some((key, value)) = o.body_spans.get(at) {
            break if p.on_key && at == p.pointer { *key } else { *value };
        }
        match at.rsplit_once('/') {
            Some((parent, _)) if !parent.is_empty() => at = parent,
            _ => break o.span,
        }
    };
    let path = if p.pointer.is_empty() { String::from("the object") } else { format!("`{}`", dotted(&p.pointer)) };
    let mut d =
        Diagnostic::new(Code::SchemaViolation, format!("{} `{}`: {path} {}", o.kind, o.name, p.message), span, p.label);
    if span != o.span {
        d = d.with_label(o.span, format!("this manifest of `{} {}`", o.api_version, o.kind));
    }
    if let Some(h) = p.help {
        d = d.with_help(h);
    }
    d
}

/// `/spec/routes/0/match` as `spec.routes[0].match`.
fn dotted(pointer: &str) -> String {
    let mut s = String::new();
    for part in pointer.split('/').skip(1) {
        let part = part.replace("~1", "/").replace("~0", "~");
        if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
            s.push_str(&format!("[{part}]"));
        } else {
            if !s.is_empty() {
                s.push('.');
            }
            s.push_str(&part);
        }
    }
    s
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[derive(Default)]
struct Validator {
    problems: Vec<Problem>,
    /// Compiled `pattern`s; `None` for one the regex engine does not accept (not checked).
    patterns: HashMap<String, Option<regex::Regex>>,
}

impl Validator {
    /// The object's body (everything but `apiVersion`, `kind` and `metadata`) against the
    /// root schema's properties.
    fn object(&mut self, root: &Json, o: &KubeObject) {
        let props = root.get("properties").and_then(Json::as_object);
        // Fields a misspelt one was probably meant to be: not reported missing as well.
        let mut meant = Vec::new();
        for (k, v) in &o.body {
            let ptr = format!("/{}", escape(k));
            match props.and_then(|p| p.get(k)) {
                Some(s) => self.value(s, v, &ptr),
                None if props.is_some() && !preserves_unknown(root) => {
                    meant.extend(self.unknown_field(props.into_iter().flat_map(|p| p.keys()), k, ptr));
                }
                None => {}
            }
        }
        if let Some(required) = root.get("required").and_then(Json::as_array) {
            for r in required.iter().filter_map(Json::as_str) {
                if !matches!(r, "apiVersion" | "kind" | "metadata")
                    && !o.body.contains_key(r)
                    && !meant.iter().any(|m| m == r)
                {
                    self.problems.push(Problem {
                        pointer: String::new(),
                        on_key: false,
                        message: format!("lacks the required field `{r}`"),
                        label: format!("no `{r}`"),
                        help: None,
                    });
                }
            }
        }
    }

    /// Report `key` as a field the schema does not have; the field it was probably meant to be.
    fn unknown_field<'k>(
        &mut self,
        known: impl Iterator<Item = &'k String> + Clone,
        key: &str,
        pointer: String,
    ) -> Option<String> {
        let close = did_you_mean(key, known.clone().map(String::as_str)).map(str::to_string);
        let names: Vec<&str> = known.map(String::as_str).collect();
        let help = match &close {
            Some(c) => Some(format!("did you mean `{c}`?")),
            None if names.len() <= 12 => Some(format!("the schema's fields here: {}", names.join(", "))),
            None => None,
        };
        self.problems.push(Problem {
            message: "is not a field of the schema: the API server would drop it".into(),
            label: "unknown field".into(),
            pointer,
            on_key: true,
            help,
        });
        close
    }

    fn fail(&mut self, ptr: &str, message: String, label: &str) {
        self.problems.push(Problem {
            pointer: ptr.to_string(),
            on_key: false,
            message,
            label: label.to_string(),
            help: None,
        });
    }

    /// Whether `v` matches `schema`, without reporting.
    fn matches(&mut self, schema: &Json, v: &Json) -> bool {
        let before = self.problems.len();
        self.value(schema, v, "");
        let ok = self.problems.len() == before;
        self.problems.truncate(before);
        ok
    }

    fn value(&mut self, schema: &Json, v: &Json, ptr: &str) {
        let Some(s) = schema.as_object() else { return };
        if v.is_null() && s.get("nullable").and_then(Json::as_bool) == Some(true) {
            return;
        }
        if s.get("x-kubernetes-int-or-string").and_then(Json::as_bool) == Some(true) {
            if !(v.is_i64() || v.is_u64() || v.is_string()) {
                self.fail(
                    ptr,
                    format!("is {}, where an integer or a string is expected", describe(v)),
                    "expected an integer or a string",
                );
                return;
            }
        } else if let Some(ty) = s.get("type") {
            let types: Vec<&str> = match ty {
                Json::String(t) => vec![t.as_str()],
                Json::Array(a) => a.iter().filter_map(Json::as_str).collect(),
                _ => Vec::new(),
            };
            if !types.is_empty() && !types.iter().any(|t| has_type(v, t)) {
                let want = types.join(" or ");
                self.fail(
                    ptr,
                    format!("is {}, where {} {want} is expected", describe(v), article(&want)),
                    &format!("expected {want}"),
                );
                return;
            }
        }
        if let Some(options) = s.get("enum").and_then(Json::as_array)
            && !options.contains(v)
        {
            let list: Vec<String> = options.iter().map(|o| o.to_string()).collect();
            let close = v.as_str().and_then(|t| {
                did_you_mean(t, options.iter().filter_map(Json::as_str)).map(|c| format!("did you mean `{c}`?"))
            });
            self.problems.push(Problem {
                pointer: ptr.to_string(),
                on_key: false,
                message: format!("is {v}, which is not one of {}", list.join(", ")),
                label: "not an allowed value".into(),
                help: close,
            });
            return;
        }
        for (key, how) in [("anyOf", Combine::Any), ("oneOf", Combine::One), ("allOf", Combine::All)] {
            if let Some(subs) = s.get(key).and_then(Json::as_array) {
                let n = subs.iter().filter(|sub| self.matches(sub, v)).count();
                let ok = match how {
                    Combine::Any => n >= 1,
                    Combine::One => n == 1,
                    Combine::All => n == subs.len(),
                };
                if !ok {
                    let msg = match how {
                        Combine::One if n > 1 => {
                            "matches more than one of the forms the schema allows (it wants exactly one)"
                        }
                        Combine::All => "does not meet every condition the schema sets",
                        _ => "matches none of the forms the schema allows",
                    };
                    self.fail(ptr, msg.into(), "not an allowed form");
                }
            }
        }
        if let Some(not) = s.get("not")
            && self.matches(not, v)
        {
            self.fail(ptr, "has a form the schema rules out".into(), "ruled out by the schema");
        }
        match v {
            Json::String(t) => self.string(s, t, ptr),
            Json::Number(n) => self.number(s, n, ptr),
            Json::Array(items) => {
                let n = items.len() as u64;
                if let Some(min) = s.get("minItems").and_then(Json::as_u64).filter(|m| n < *m) {
                    self.fail(ptr, format!("has {n} items, fewer than {min}"), "too few items");
                }
                if let Some(max) = s.get("maxItems").and_then(Json::as_u64).filter(|m| n > *m) {
                    self.fail(ptr, format!("has {n} items, more than {max}"), "too many items");
                }
                if let Some(item) = s.get("items") {
                    for (i, x) in items.iter().enumerate() {
                        self.value(item, x, &format!("{ptr}/{i}"));
                    }
                }
            }
            Json::Object(map) => self.map(schema, s, map, ptr),
            _ => {}
        }
    }

    fn map(
        &mut self,
        schema: &Json,
        s: &serde_json::Map<String, Json>,
        map: &serde_json::Map<String, Json>,
        ptr: &str,
    ) {
        let props = s.get("properties").and_then(Json::as_object);
        let additional = s.get("additionalProperties");
        let mut meant = Vec::new();
        for (k, x) in map {
            let here = format!("{ptr}/{}", escape(k));
            if let Some(p) = props.and_then(|p| p.get(k)) {
                self.value(p, x, &here);
            } else if let Some(extra) = additional.filter(|a| a.is_object()) {
                self.value(extra, x, &here);
            } else if additional == Some(&Json::Bool(false))
                || (props.is_some() && additional.is_none() && !preserves_unknown(schema))
            {
                // Closed, or structural without `x-kubernetes-preserve-unknown-fields`: the API
                // server prunes what its schema does not name.
                meant.extend(self.unknown_field(props.into_iter().flat_map(|p| p.keys()), k, here));
            }
        }
        if let Some(required) = s.get("required").and_then(Json::as_array) {
            // A misspelt field was reported as such; its correct spelling is not missing as well.
            let missing = required.iter().filter_map(Json::as_str).filter(|r| !map.contains_key(*r));
            for r in missing.filter(|r| !meant.iter().any(|m| m == r)) {
                self.fail(ptr, format!("lacks the required field `{r}`"), &format!("no `{r}`"));
            }
        }
        let n = map.len() as u64;
        if let Some(min) = s.get("minProperties").and_then(Json::as_u64).filter(|m| n < *m) {
            self.fail(ptr, format!("has {n} fields, fewer than {min}"), "too few fields");
        }
        if let Some(max) = s.get("maxProperties").and_then(Json::as_u64).filter(|m| n > *m) {
            self.fail(ptr, format!("has {n} fields, more than {max}"), "too many fields");
        }
    }

    fn string(&mut self, s: &serde_json::Map<String, Json>, t: &str, ptr: &str) {
        let n = t.chars().count() as u64;
        // One finding per value: the first constraint it breaks.
        if let Some(min) = s.get("minLength").and_then(Json::as_u64).filter(|m| n < *m) {
            return self.fail(ptr, format!("is {n} characters long, shorter than {min}"), "too short");
        }
        if let Some(max) = s.get("maxLength").and_then(Json::as_u64).filter(|m| n > *m) {
            return self.fail(ptr, format!("is {n} characters long, longer than {max}"), "too long");
        }
        if let Some(p) = s.get("pattern").and_then(Json::as_str) {
            let re = self.patterns.entry(p.to_string()).or_insert_with(|| regex::Regex::new(p).ok());
            if re.as_ref().is_some_and(|re| !re.is_match(t)) {
                self.fail(
                    ptr,
                    format!("is {t:?}, which does not match the pattern `{p}`"),
                    "does not match the pattern",
                );
            }
        }
    }

    fn number(&mut self, s: &serde_json::Map<String, Json>, n: &serde_json::Number, ptr: &str) {
        let Some(x) = n.as_f64() else { return };
        let excl = |k: &str| s.get(k).and_then(Json::as_bool) == Some(true);
        if let Some(min) = s.get("minimum").and_then(Json::as_f64)
            && (x < min || (excl("exclusiveMinimum") && x == min))
        {
            self.fail(ptr, format!("is {n}, below the minimum {min}"), "too small");
        }
        if let Some(max) = s.get("maximum").and_then(Json::as_f64)
            && (x > max || (excl("exclusiveMaximum") && x == max))
        {
            self.fail(ptr, format!("is {n}, above the maximum {max}"), "too large");
        }
    }
}

#[derive(Clone, Copy)]
enum Combine {
    Any,
    One,
    All,
}

fn preserves_unknown(schema: &Json) -> bool {
    schema.get("x-kubernetes-preserve-unknown-fields").and_then(Json::as_bool) == Some(true)
}

fn has_type(v: &Json, t: &str) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        "number" => v.is_number(),
        "null" => v.is_null(),
        _ => true,
    }
}

fn describe(v: &Json) -> String {
    match v {
        Json::Null => "null".into(),
        Json::Bool(b) => format!("the boolean {b}"),
        Json::Number(n) => format!("the number {n}"),
        Json::String(s) => format!("the string {s:?}"),
        Json::Array(_) => "a list".into(),
        Json::Object(_) => "a record".into(),
    }
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" }
}
