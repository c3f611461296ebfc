//! Secrets are references: no literal values in hl; Vault paths follow `secret/<service>`.

use hl_diagnostics::{Code, Diagnostic};

use super::Ctx;

pub fn check(cx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    let stack = cx.stack;
    // Each ExternalSecret's foreign path is one finding, however many of its keys read it and
    // however many services a stack-level secret is checked with (once counted per service,
    // a waived E0562 was listed five or ten times by `--show-waived`).
    let mut reported: Vec<(&str, &str)> = Vec::new();
    for svc in &stack.services {
        // Each variable with where its value is written: the service's, then its containers'.
        let envs = svc.env.iter().map(|e| (e, &svc.values)).chain(
            svc.containers.iter().chain(&svc.init_containers).flat_map(|c| c.env.iter().map(move |e| (e, &c.values))),
        );
        for ((name, value), values) in envs {
            if (names_a_secret(name) && looks_like_a_secret(value)) || has_url_password(value) {
                out.push(Diagnostic::new(
                        Code::LiteralSecret,
                        format!("`{name}` of `{}` is set to what looks like a secret value", svc.name),
                        values.at(&format!("env[{name}]"), svc.span),
                        "secret value in source",
                    )
                    .with_help(format!(
                        "store it in Vault and reference it: `secret {}-secrets = vault(\"{}\")`, or `env_secret = {{ \"{name}\": secret_key(...) }}`",
                        svc.name, stack.name
                    )),
                );
            }
        }
        // A namespace-owner keeps secrets under `secret/<user>/...`.
        let mut owners: Vec<&str> = [stack.name.as_str(), svc.name.as_str(), svc.namespace.as_str()].to_vec();
        if let Some((o, _)) = &stack.owner {
            owners.push(o.as_str());
        }
        for sec in svc.secrets.iter().chain(&stack.secrets) {
            if sec.store != "vault-kv" {
                continue;
            }
            let keys = sec.extract.iter().chain(sec.data.iter().map(|(_, k, _)| k));
            for key in keys {
                let first = key.trim_start_matches("secret/").split('/').next().unwrap_or("");
                if !owners.contains(&first)
                    && !cx.globals.facts.shared_vault_paths.iter().any(|p| p == first)
                    && !reported.contains(&(sec.name.as_str(), first))
                {
                    reported.push((sec.name.as_str(), first));
                    out.push(
                        Diagnostic::new(
                            Code::VaultPath,
                            format!("ExternalSecret `{}` reads `secret/{first}`, not the stack's own path", sec.name),
                            sec.span,
                            format!("`{key}`"),
                        )
                        .with_help(format!("keep a service's secrets under `secret/{}`", stack.name)),
                    );
                }
            }
        }
    }
}

/// A URL with a password in it: `scheme://user:password@host`.
fn has_url_password(v: &str) -> bool {
    let Some((_, rest)) = v.split_once("://") else { return false };
    let Some((creds, _)) = rest.split_once('@') else { return false };
    match creds.split_once(':') {
        Some((_, pass)) => !pass.is_empty() && !pass.starts_with("${") && !pass.starts_with('$'),
        None => false,
    }
}

/// A variable whose name says it holds a secret.
fn names_a_secret(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    ["SECRET", "PASSWORD", "PASSWD", "TOKEN", "API_KEY", "APIKEY", "PRIVATE_KEY", "ACCESS_KEY"]
        .iter()
        .any(|w| n.contains(w))
}

/// A value that looks like key material rather than a setting: long enough, no spaces, mixed
/// character classes, not a file path or a URL without credentials.
fn looks_like_a_secret(v: &str) -> bool {
    if v.len() < 12 || v.contains(char::is_whitespace) || v.starts_with('/') || v.starts_with("${") {
        return false;
    }
    if (v.starts_with("http://") || v.starts_with("https://")) && !v.contains('@') {
        return false;
    }
    let classes = [
        v.chars().any(|c| c.is_ascii_lowercase()),
        v.chars().any(|c| c.is_ascii_uppercase()),
        v.chars().any(|c| c.is_ascii_digit()),
        v.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    classes.iter().filter(|b| **b).count() >= 3 || v.chars().all(|c| c.is_ascii_hexdigit()) && v.len() >= 32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_heuristics() {
        assert!(names_a_secret("DB_PASSWORD"));
        assert!(!names_a_secret("TZ"));
        assert!(looks_like_a_secret("hunter2Hunter2!x"));
        assert!(looks_like_a_secret("0123456789abcdef0123456789abcdef"));
        assert!(!looks_like_a_secret("/run/secrets/password"));
        assert!(!looks_like_a_secret("changeme"));
        assert!(has_url_password("mysql://ghost:Xk9-pQ2vLm7zR@mysql.dbaas:3306/ghost"));
        assert!(!has_url_password("https://rss.viktorbarzin.me"));
        assert!(!has_url_password("postgres://app@postgresql.dbaas:5432/app"));
    }
}
