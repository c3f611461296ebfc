//! Mutations of the real stacks: each breaks one convention and must give exactly the
//! expected diagnostic codes (the unmutated stacks give none).

use hl_tests::{read_dir, repo_root};
use hlc_core::InputText;

fn stacks() -> Vec<InputText> {
    read_dir(&repo_root().join("stacks"))
}

/// Apply `(file, from, to)` replacements and return the sorted codes of the diagnostics.
fn codes_after(edits: &[(&str, &str, &str)]) -> Vec<&'static str> {
    let mut files = stacks();
    for (file, from, to) in edits {
        let f = files.iter_mut().find(|f| f.path == *file).unwrap_or_else(|| panic!("no stacks/{file}"));
        let text = String::from_utf8(f.bytes.clone()).expect("utf-8");
        assert!(text.contains(from), "stacks/{file} no longer contains {from:?}; update this test");
        f.bytes = text.replacen(from, to, 1).into_bytes();
    }
    let mut codes: Vec<&'static str> =
        hlc_core::compile(files).diagnostics.iter().map(|d| d.code.info().code).collect();
    codes.sort();
    codes
}

#[test]
fn unmutated_stacks_are_clean() {
    assert_eq!(codes_after(&[]), Vec::<&str>::new());
}

#[test]
fn dropping_an_auth_reason() {
    let reason = r#"app("FreshRSS has its own user login, and mobile readers use its Fever and GReader APIs")"#;
    let codes = codes_after(&[("freshrss.hl", reason, r#"app("  ")"#)]);
    assert_eq!(codes, ["E0501"]);
}

#[test]
fn duplicating_a_host() {
    let codes = codes_after(&[(
        "echo.hl",
        "    ingress echo {\n      auth = public",
        "    ingress echo {\n      full_host = \"rss.viktorbarzin.me\"\n      auth = public",
    )]);
    assert_eq!(codes, ["E0541"]);
}

#[test]
fn adding_a_cycle() {
    let codes = codes_after(&[
        ("freshrss.hl", "depends_on = [platform]", "depends_on = [platform, echo]"),
        ("echo.hl", "depends_on = [platform]", "depends_on = [platform, freshrss]"),
    ]);
    assert_eq!(codes, ["E0581"]);
}

#[test]
fn making_platform_wait_for_vault() {
    let codes = codes_after(&[("platform.hl", "depends_on = [infra]", "depends_on = [infra, vault]")]);
    // A cycle (vault already depends on platform) and the forbidden edge itself.
    assert_eq!(codes, ["E0581", "E0583"]);
}

#[test]
fn removing_the_backup_of_an_encrypted_claim() {
    // The whole `service vaultwarden-backup { ... }` block, up to its closing brace.
    let text = stacks()
        .into_iter()
        .find(|f| f.path == "vaultwarden.hl")
        .map(|f| String::from_utf8(f.bytes).expect("utf-8"))
        .expect("stacks/vaultwarden.hl");
    let start = text.find("  service vaultwarden-backup {").expect("the backup job; update this test");
    let end = start + text[start..].find("\n  }\n").expect("its closing brace") + "\n  }\n".len();
    let block = &text[start..end];
    let codes = codes_after(&[("vaultwarden.hl", block, "")]);
    // The claim has no backup job left, and the stack's waiver for that job's schedule
    // clash now waives nothing.
    assert_eq!(codes, ["E0513", "E0592"]);
}

/// Tier 0 stacks come first in the apply waves.
#[test]
fn waves_put_tier0_first() {
    let c = hlc_core::compile(stacks());
    let g = &c.graph;
    let last_tier0 = g.stacks.iter().filter(|s| g.tiers[*s] == 0).filter_map(|s| g.wave_of(s)).max();
    let first_tier1 = g.stacks.iter().filter(|s| g.tiers[*s] == 1).filter_map(|s| g.wave_of(s)).min();
    match (last_tier0, first_tier1) {
        (Some(a), Some(b)) => assert!(a < b, "tier 0 ends in wave {a}, tier 1 starts in wave {b}"),
        _ => panic!("expected both tiers in stacks/"),
    }
    assert_eq!(g.waves.first().map(|w| w.as_slice()), Some(&["infra".to_string()][..]));
}

/// The workspace's policy covers what it names and nothing else: removing a backup job still
/// warns (E0513 is each stack's own decision), while a pinned image in a Keel-enrolled
/// namespace is the policy's (E0553 off for the whole homelab, with its reason).
#[test]
fn the_workspace_policy_turns_off_only_what_it_names() {
    let c = hlc_core::compile(stacks());
    assert!(c.waived.iter().any(|w| w.code == "E0553" && w.reason.starts_with("workspace policy: ")));
    assert!(c.waived.iter().filter(|w| w.code == "E0513").all(|w| !w.reason.starts_with("workspace policy: ")));
}
