//! The homelab's Terraform read as configuration: each stack's root module (its `*.tf`, the
//! `tiers` locals Terragrunt generates into it, the `inputs` of its `terragrunt.hcl`), and every
//! local module it calls, evaluated per instance (`count`, `for_each`) with the caller's inputs.
//! The result is the list of resources of the kinds the test compares, each with its body
//! evaluated as far as the repository determines it.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use hcl::{Block, Body, Expression};

use super::eval::{Resolver, Scope, entries, eval};
use super::value::V;

/// One `module` directory: its declarations, merged over its `*.tf` files.
#[derive(Default)]
pub struct ModuleDef {
    pub dir: PathBuf,
    variables: BTreeMap<String, Option<Expression>>,
    locals: BTreeMap<String, Expression>,
    outputs: BTreeMap<String, Expression>,
    resources: Vec<Res>,
    calls: Vec<Call>,
}

pub struct Res {
    pub rtype: String,
    pub name: String,
    body: Body,
}

struct Call {
    name: String,
    source: Option<String>,
    body: Body,
}

/// Reads and caches module directories; collects what does not parse.
#[derive(Default)]
pub struct Loader {
    defs: RefCell<HashMap<PathBuf, Rc<ModuleDef>>>,
    pub problems: RefCell<Vec<String>>,
    /// Files Terragrunt generates into every stack (the `tiers` locals).
    pub generated: Vec<PathBuf>,
}

fn tf_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "tf"))
        .collect();
    files.sort();
    files
}

pub fn parse_file(path: &Path, problems: &RefCell<Vec<String>>) -> Option<Body> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            problems.borrow_mut().push(format!("{}: cannot be read: {e}", path.display()));
            return None;
        }
    };
    match hcl::parse(&text) {
        Ok(b) => Some(b),
        Err(e) => {
            problems.borrow_mut().push(format!("{}: does not parse as HCL: {e}", path.display()));
            None
        }
    }
}

fn label(b: &Block, i: usize) -> String {
    b.labels.get(i).map(|l| l.as_str().to_string()).unwrap_or_default()
}

fn attr<'b>(body: &'b Body, name: &str) -> Option<&'b Expression> {
    body.attributes().find(|a| a.key.as_str() == name).map(|a| &a.expr)
}

impl Loader {
    pub fn module(&self, dir: &Path, root: bool) -> Rc<ModuleDef> {
        let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        if let Some(d) = self.defs.borrow().get(&dir) {
            return d.clone();
        }
        let mut def = ModuleDef { dir: dir.clone(), ..ModuleDef::default() };
        let mut files = tf_files(&dir);
        if root {
            for g in &self.generated {
                if !files.iter().any(|f| f.file_name() == g.file_name()) {
                    files.push(g.clone());
                }
            }
        }
        for f in files {
            let Some(body) = parse_file(&f, &self.problems) else { continue };
            for b in body.blocks() {
                match b.identifier.as_str() {
                    "variable" => {
                        def.variables.insert(label(b, 0), attr(&b.body, "default").cloned());
                    }
                    "locals" => {
                        for a in b.body.attributes() {
                            def.locals.insert(a.key.as_str().to_string(), a.expr.clone());
                        }
                    }
                    "output" => {
                        if let Some(v) = attr(&b.body, "value") {
                            def.outputs.insert(label(b, 0), v.clone());
                        }
                    }
                    "resource" => {
                        def.resources.push(Res { rtype: label(b, 0), name: label(b, 1), body: b.body.clone() })
                    }
                    "module" => {
                        let source = match attr(&b.body, "source") {
                            Some(Expression::String(s)) => Some(s.clone()),
                            _ => None,
                        };
                        def.calls.push(Call { name: label(b, 0), source, body: b.body.clone() });
                    }
                    _ => {}
                }
            }
        }
        let def = Rc::new(def);
        self.defs.borrow_mut().insert(dir, def.clone());
        def
    }
}

/// A resource instance of a compared kind.
pub struct Instance {
    /// `module.a.module.b.kubernetes_deployment.x["key"]`
    pub address: String,
    pub rtype: String,
    pub body: V,
}

/// The instances of a resource (key suffix, body), or why their number is not known.
type Instances = Rc<Result<Vec<(String, V)>, String>>;
/// The instances of a module call (key suffix, instance), or why their number is not known.
type Children<'l> = Rc<Result<Vec<(String, Rc<Inst<'l>>)>, String>>;
/// The key suffixes of a `count` / `for_each` and the names each instance binds.
type Expansion = Result<Vec<(String, Vec<(String, V)>)>, String>;

/// One module instance: a definition with its inputs.
pub struct Inst<'l> {
    loader: &'l Loader,
    def: Rc<ModuleDef>,
    address: String,
    inputs: BTreeMap<String, V>,
    root_dir: PathBuf,
    /// Evaluated locals and resources; `None` while being evaluated (a cycle reads unknown).
    cache: RefCell<HashMap<String, Option<V>>>,
    instances: RefCell<HashMap<String, Instances>>,
    children: RefCell<HashMap<String, Children<'l>>>,
}

/// The meta-arguments of a module block: not inputs of the module.
const META: &[&str] = &["count", "for_each", "depends_on", "provider", "providers", "source", "version"];

/// The meta-arguments of a resource block: not part of what it creates (a `helm_release`'s
/// `version` is the chart's, so it stays).
const RESOURCE_META: &[&str] = &["count", "for_each", "depends_on", "provider"];

impl<'l> Inst<'l> {
    pub fn root(loader: &'l Loader, dir: &Path, inputs: BTreeMap<String, V>) -> Inst<'l> {
        let def = loader.module(dir, true);
        Inst {
            loader,
            root_dir: def.dir.clone(),
            def,
            address: String::new(),
            inputs,
            cache: RefCell::default(),
            instances: RefCell::default(),
            children: RefCell::default(),
        }
    }

    fn memo(&self, key: &str, f: impl FnOnce() -> V) -> V {
        if let Some(v) = self.cache.borrow().get(key) {
            return v.clone().unwrap_or_else(|| V::unknown(format!("{key} (a reference cycle)")));
        }
        self.cache.borrow_mut().insert(key.to_string(), None);
        let v = f();
        self.cache.borrow_mut().insert(key.to_string(), Some(v.clone()));
        v
    }

    fn var(&self, name: &str) -> V {
        if let Some(v) = self.inputs.get(name) {
            return v.clone();
        }
        match self.def.variables.get(name) {
            Some(Some(default)) => eval(default, &Scope::new(self)),
            Some(None) if self.address.is_empty() => {
                V::unknown(format!("var.{name} (set in the tfvars outside the repository)"))
            }
            Some(None) => V::unknown(format!("var.{name} of {} (not passed)", self.address)),
            None => V::unknown(format!("var.{name} (not declared)")),
        }
    }

    /// The instances of a resource: its key suffix and evaluated body each.
    fn res_instances(&self, r: &Res) -> Instances {
        let key = format!("{}.{}", r.rtype, r.name);
        if let Some(v) = self.instances.borrow().get(&key) {
            return v.clone();
        }
        self.instances.borrow_mut().insert(key.clone(), Rc::new(Err(format!("{key} refers to itself"))));
        let out = Rc::new(self.expand(&r.body, &key).map(|scopes| {
            scopes
                .into_iter()
                .map(|(suffix, bind)| (suffix, body_value(&r.body, &Scope::new(self).with(bind))))
                .collect()
        }));
        self.instances.borrow_mut().insert(key, out.clone());
        out
    }

    /// `count` / `for_each` of a block: the instance suffixes and the names each binds.
    fn expand(&self, body: &Body, what: &str) -> Expansion {
        let s = Scope::new(self);
        if let Some(c) = attr(body, "count") {
            let n = eval(c, &s);
            return match n.num() {
                Some(n) => Ok((0..n as usize)
                    .map(|i| {
                        let idx = V::Map([("index".to_string(), V::Num(i as f64))].into());
                        (format!("[{i}]"), vec![("count".to_string(), idx)])
                    })
                    .collect()),
                None => Err(format!("{what}: count comes from {}", n.unknown_part().unwrap_or("a non-number"))),
            };
        }
        if let Some(fe) = attr(body, "for_each") {
            let coll = eval(fe, &s);
            let items = match &coll {
                V::List(l) => l.iter().map(|v| (v.clone(), v.clone())).collect::<Vec<_>>(),
                V::Map(_) => entries(&coll).unwrap_or_default(),
                _ => {
                    return Err(format!(
                        "{what}: for_each comes from {}",
                        coll.unknown_part().unwrap_or("a non-collection")
                    ));
                }
            };
            let mut out = Vec::new();
            for (k, v) in items {
                let Some(kt) = k.text() else {
                    return Err(format!("{what}: a for_each key comes from {}", k.unknown_part().unwrap_or("?")));
                };
                let each = V::Map([("key".to_string(), k), ("value".to_string(), v)].into());
                out.push((format!("[\"{kt}\"]"), vec![("each".to_string(), each)]));
            }
            return Ok(out);
        }
        Ok(vec![(String::new(), Vec::new())])
    }

    fn resource_value(&self, r: &Res) -> V {
        let expanded = attr(&r.body, "count").is_some() || attr(&r.body, "for_each").is_some();
        match self.res_instances(r).as_ref() {
            Err(e) => V::unknown(e.clone()),
            Ok(list) if !expanded => list.first().map(|(_, v)| v.clone()).unwrap_or(V::Null),
            Ok(list) if attr(&r.body, "count").is_some() => V::List(list.iter().map(|(_, v)| v.clone()).collect()),
            Ok(list) => V::Map(
                list.iter()
                    .map(|(k, v)| (k.trim_start_matches("[\"").trim_end_matches("\"]").to_string(), v.clone()))
                    .collect(),
            ),
        }
    }

    fn children(&self, c: &Call) -> Children<'l> {
        if let Some(v) = self.children.borrow().get(&c.name) {
            return v.clone();
        }
        self.children.borrow_mut().insert(c.name.clone(), Rc::new(Err(format!("module.{} refers to itself", c.name))));
        let out = Rc::new(self.make_children(c));
        self.children.borrow_mut().insert(c.name.clone(), out.clone());
        out
    }

    fn make_children(&self, c: &Call) -> Result<Vec<(String, Rc<Inst<'l>>)>, String> {
        let what = format!("{}module.{}", self.prefix(), c.name);
        let Some(source) = &c.source else { return Err(format!("{what}: its source is not a string")) };
        if !(source.starts_with("./") || source.starts_with("../")) {
            return Err(format!("{what}: a registry module ({source}), not in the repository"));
        }
        let dir = self.def.dir.join(source);
        if !dir.is_dir() {
            return Err(format!("{what}: {} is not a directory", dir.display()));
        }
        let def = self.loader.module(&dir, false);
        let mut out = Vec::new();
        for (suffix, bind) in self.expand(&c.body, &what)? {
            let s = Scope::new(self).with(bind);
            let inputs = c
                .body
                .attributes()
                .filter(|a| !META.contains(&a.key.as_str()))
                .map(|a| (a.key.as_str().to_string(), eval(&a.expr, &s)))
                .collect();
            out.push((
                suffix.clone(),
                Rc::new(Inst {
                    loader: self.loader,
                    def: def.clone(),
                    address: format!("{what}{suffix}"),
                    inputs,
                    root_dir: self.root_dir.clone(),
                    cache: RefCell::default(),
                    instances: RefCell::default(),
                    children: RefCell::default(),
                }),
            ));
        }
        Ok(out)
    }

    fn prefix(&self) -> String {
        if self.address.is_empty() { String::new() } else { format!("{}.", self.address) }
    }

    fn output(&self, name: &str) -> V {
        match self.def.outputs.get(name) {
            Some(e) => self.memo(&format!("output.{name}"), || eval(e, &Scope::new(self))),
            None => V::unknown(format!("output {name} of {} (not declared)", self.address)),
        }
    }

    fn outputs(&self) -> V {
        V::Map(self.def.outputs.keys().map(|k| (k.clone(), self.output(k))).collect())
    }

    /// Every resource of the wanted types in this instance and its descendants, in address
    /// order; `skipped` gets the resources and modules whose multiplicity is not known.
    pub fn collect(&self, want: &dyn Fn(&str) -> bool, out: &mut Vec<Instance>, skipped: &mut Vec<String>) {
        for r in self.def.resources.iter().filter(|r| want(&r.rtype)) {
            match self.res_instances(r).as_ref() {
                Ok(list) => {
                    for (suffix, body) in list {
                        out.push(Instance {
                            address: format!("{}{}.{}{suffix}", self.prefix(), r.rtype, r.name),
                            rtype: r.rtype.clone(),
                            body: body.clone(),
                        });
                    }
                }
                Err(e) => skipped.push(e.clone()),
            }
        }
        for c in &self.def.calls {
            match self.children(c).as_ref() {
                Ok(children) => children.iter().for_each(|(_, child)| child.collect(want, out, skipped)),
                Err(e) if e.contains("registry module") => {}
                Err(e) => skipped.push(e.clone()),
            }
        }
    }
}

impl Resolver for Inst<'_> {
    fn root(&self, name: &str, attrs: &[String]) -> (V, usize) {
        let first = attrs.first().map(String::as_str);
        match (name, first) {
            ("var", Some(v)) => (self.var(v), 1),
            ("local", Some(l)) => match self.def.locals.get(l) {
                Some(e) => (self.memo(&format!("local.{l}"), || eval(e, &Scope::new(self))), 1),
                None => (V::unknown(format!("local.{l} (not declared)")), 1),
            },
            ("path", Some("module")) => (V::Str(self.def.dir.to_string_lossy().into_owned()), 1),
            ("path", Some(_)) => (V::Str(self.root_dir.to_string_lossy().into_owned()), 1),
            ("terraform", Some("workspace")) => (V::Str("default".into()), 1),
            ("data", _) => (
                V::unknown(format!("data.{}", attrs.iter().take(2).cloned().collect::<Vec<_>>().join("."))),
                attrs.len().min(2),
            ),
            ("module", Some(m)) => {
                let Some(call) = self.def.calls.iter().find(|c| c.name == m) else {
                    return (V::unknown(format!("module.{m} (not declared)")), 1);
                };
                match self.children(call).as_ref() {
                    Err(e) => (V::unknown(format!("module.{m}: {e}")), attrs.len()),
                    Ok(list) => {
                        let expanded = attr(&call.body, "count").is_some() || attr(&call.body, "for_each").is_some();
                        match (expanded, attrs.get(1), list.first()) {
                            (false, Some(out), Some((_, child))) => (child.output(out), 2),
                            (false, _, Some((_, child))) => (child.outputs(), 1),
                            (true, _, _) if attr(&call.body, "count").is_some() => {
                                (V::List(list.iter().map(|(_, c)| c.outputs()).collect()), 1)
                            }
                            (true, _, _) => (
                                V::Map(
                                    list.iter()
                                        .map(|(k, c)| {
                                            (
                                                k.trim_start_matches("[\"").trim_end_matches("\"]").to_string(),
                                                c.outputs(),
                                            )
                                        })
                                        .collect(),
                                ),
                                1,
                            ),
                            (false, _, None) => (V::Null, 1),
                        }
                    }
                }
            }
            (t, Some(n)) if t.contains('_') => match self.def.resources.iter().find(|r| r.rtype == t && r.name == n) {
                Some(r) => (self.memo(&format!("{t}.{n}"), || self.resource_value(r)), 1),
                None => (V::unknown(format!("{t}.{n} (not declared here)")), 1),
            },
            _ => (
                V::unknown(format!("{name}{}", attrs.iter().map(|a| format!(".{a}")).collect::<String>())),
                attrs.len(),
            ),
        }
    }

    fn cwd(&self) -> &Path {
        &self.root_dir
    }
}

/// A block body as a value: its attributes, and its nested blocks as block lists (`dynamic`
/// blocks expanded; one over an unknown collection leaves an unknown element).
pub fn body_value(body: &Body, s: &Scope) -> V {
    let mut m: BTreeMap<String, V> = BTreeMap::new();
    for a in body.attributes() {
        if !RESOURCE_META.contains(&a.key.as_str()) {
            m.insert(a.key.as_str().to_string(), eval(&a.expr, s));
        }
    }
    for b in body.blocks() {
        let id = b.identifier.as_str();
        if matches!(id, "lifecycle" | "provisioner" | "connection" | "timeouts") {
            continue;
        }
        if id == "dynamic" {
            let kind = label(b, 0);
            let iterator = match attr(&b.body, "iterator") {
                Some(Expression::Variable(v)) => v.as_str().to_string(),
                _ => kind.clone(),
            };
            let coll = attr(&b.body, "for_each").map(|e| eval(e, s)).unwrap_or(V::Null);
            let content = b.body.blocks().find(|c| c.identifier.as_str() == "content");
            let list = match (&coll, entries(&coll)) {
                (V::Null, _) => Vec::new(),
                (_, Some(items)) => items
                    .into_iter()
                    .map(|(k, v)| {
                        let k = if matches!(coll, V::List(_)) { v.clone() } else { k };
                        let it = V::Map([("key".to_string(), k), ("value".to_string(), v)].into());
                        content.map_or(V::Null, |c| body_value(&c.body, &s.with([(iterator.clone(), it)])))
                    })
                    .collect(),
                _ => vec![V::unknown(format!(
                    "dynamic {kind} over {}",
                    coll.unknown_part().unwrap_or("a non-collection")
                ))],
            };
            push_blocks(&mut m, &kind, list);
            continue;
        }
        push_blocks(&mut m, id, vec![body_value(&b.body, s)]);
    }
    V::Map(m)
}

fn push_blocks(m: &mut BTreeMap<String, V>, id: &str, items: Vec<V>) {
    match m.entry(id.to_string()).or_insert_with(|| V::Blocks(Vec::new())) {
        V::Blocks(l) => l.extend(items),
        other => *other = V::Blocks(items),
    }
}

/// The `inputs` of a stack's `terragrunt.hcl` (functions of Terragrunt's read unknown).
pub fn terragrunt_inputs(stack_dir: &Path, problems: &RefCell<Vec<String>>) -> BTreeMap<String, V> {
    let path = stack_dir.join("terragrunt.hcl");
    if !path.is_file() {
        return BTreeMap::new();
    }
    let Some(body) = parse_file(&path, problems) else { return BTreeMap::new() };
    let loader = Loader::default();
    let empty = tempty(stack_dir, &loader);
    match attr(&body, "inputs").map(|e| eval(e, &Scope::new(&empty))) {
        Some(V::Map(m)) => m,
        _ => BTreeMap::new(),
    }
}

fn tempty<'l>(dir: &Path, loader: &'l Loader) -> Inst<'l> {
    Inst {
        loader,
        def: Rc::new(ModuleDef { dir: dir.to_path_buf(), ..ModuleDef::default() }),
        address: "terragrunt".into(),
        inputs: BTreeMap::new(),
        root_dir: dir.to_path_buf(),
        cache: RefCell::default(),
        instances: RefCell::default(),
        children: RefCell::default(),
    }
}
