//! The real homelab's manifests against the CRD schemas of the shared material, at compile
//! time (E0215): the stacks as they are pass, and a one-edit mistake in each kind of manifest
//! they hold is reported once, on the line of the edit. The schemas are read in place from
//! `$HLC_SHARED_DIR/schemas/crds`; without them this test says so and skips, unless
//! `HLC_REQUIRE_SHARED=1` (as in `.ci/run`), where it fails.

use std::fs;

use hl_tests::{read_dir, repo_root, shared_dir, skip};
use hlc_core::{CrdSchemas, Options};

fn schemas() -> Option<CrdSchemas> {
    let dir = shared_dir().join("schemas").join("crds");
    let mut schemas = CrdSchemas::new();
    for group in fs::read_dir(&dir).ok()?.flatten().filter(|g| g.path().is_dir()) {
        for f in fs::read_dir(group.path()).ok()?.flatten() {
            let path = format!("{}/{}", group.file_name().to_string_lossy(), f.file_name().to_string_lossy());
            let text = fs::read_to_string(f.path()).ok()?;
            schemas.add_file(&path, &text).ok()?;
        }
    }
    (schemas.len() > 20).then_some(schemas)
}

#[test]
fn the_homelabs_manifests_match_their_crds() {
    let Some(schemas) = schemas() else {
        skip(
            "the_homelabs_manifests_match_their_crds",
            &format!("CRD schemas not found under {} (set HLC_SHARED_DIR)", shared_dir().display()),
            skip::SHARED,
        );
        return;
    };
    let options = Options { crd_schemas: Some(&schemas), ..Options::default() };
    let stacks = read_dir(&repo_root().join("stacks"));
    let c = hlc_core::compile_with(stacks.clone(), &options);
    let found: Vec<String> = c.diagnostics.iter().map(|d| format!("{}: {}", d.code.info().code, d.message)).collect();
    assert!(found.is_empty(), "{found:#?}");
    let checked = c.model.stacks.iter().flat_map(|s| &s.objects).filter(|o| o.manifest).count();
    assert!(checked >= 20, "{checked} manifests");
    println!("{checked} manifests checked against {} CRD schemas", schemas.len());

    // One misspelt field in a manifest of each kind the stacks hold: (file, text, edit).
    let edits = [
        ("metallb.hl", "spec = { \"addresses\":", "spec = { \"adresses\":"),
        ("dbaas.hl", "\"enablePodAntiAffinity\": true", "\"enablePodAntiAfinity\": true"),
        ("reverse-proxy.hl", "\"dialTimeout\": \"500ms\"", "\"dialTimeout\": \"half a second\""),
        (
            "traefik.hl",
            "\"clientAuthType\": \"RequireAndVerifyClientCert\"",
            "\"clientAuthType\": \"RequireClientCert!\"",
        ),
        ("traefik.hl", "spec = { \"insecureSkipVerify\": true }", "spec = { \"insecureSkipVerify\": \"yes\" }"),
        ("calico.hl", "\"order\": 2000,", "\"ordre\": 2000,"),
        ("kyverno.hl", "\"validationFailureAction\":", "\"validationFailureActon\":"),
    ];
    for (file, from, to) in edits {
        let mut files = stacks.clone();
        let f = files.iter_mut().find(|f| f.path.ends_with(file)).expect("the stack's file");
        let text = String::from_utf8(f.bytes.clone()).expect("utf-8");
        let at = text.find(from).unwrap_or_else(|| panic!("{file} holds `{from}`"));
        let line = text[..at].matches('\n').count() + 1;
        f.bytes = text.replacen(from, to, 1).into_bytes();
        let c = hlc_core::compile_with(files, &options);
        let e: Vec<_> = c.diagnostics.iter().filter(|d| d.code.info().code == "E0215").collect();
        assert_eq!(e.len(), 1, "{file}: `{to}`: {:#?}", c.diagnostics.iter().map(|d| &d.message).collect::<Vec<_>>());
        let at = c.line_col(e[0].primary.span).expect("a location");
        assert!(
            at.path.ends_with(file) && at.line as usize == line,
            "{file}: `{to}` reported at {at:?}, not line {line}"
        );
        assert!(c.artifacts.is_empty() && c.has_errors());
    }
}
