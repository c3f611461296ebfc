//! The host-side backup units of `stacks/` pass `systemd-analyze verify`.
//!
//! The scripts the units run live on the PVE host, not here, so each `ExecStart=` executable is
//! replaced by a stub in a scratch directory before verifying; everything else (sections,
//! directives, `OnCalendar=` expressions) is checked as emitted. Without `systemd-analyze`
//! the tests say so (`SKIPPED: ...`) and skip, unless `HLC_REQUIRE_TOOLS=1` (CI), where they fail.

use std::fs;
use std::process::Command;

use hl_tests::{read_dir, repo_root, skip};

#[test]
fn backup_units_verify() {
    if Command::new("systemd-analyze").arg("--version").output().is_err() {
        return skip("backup_units_verify", "systemd-analyze is not installed", skip::TOOLS);
    }
    let c = hlc_core::compile(read_dir(&repo_root().join("stacks")));
    assert!(!c.has_errors());
    let units: Vec<_> = c.artifacts.iter().filter(|a| a.path.starts_with("backup/host/")).collect();
    assert!(units.iter().any(|a| a.path.ends_with(".timer")), "no timers emitted");
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("systemd-verify");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("bin")).expect("scratch dir");
    let mut names = Vec::new();
    for a in &units {
        let name = a.path.rsplit('/').next().unwrap_or_default().to_string();
        let mut text = String::new();
        for line in a.contents.lines() {
            if let Some(cmd) = line.strip_prefix("ExecStart=") {
                let exe = cmd.split_whitespace().next().unwrap_or_default();
                let stub = dir.join("bin").join(exe.rsplit('/').next().unwrap_or("stub"));
                fs::write(&stub, "#!/bin/sh\nexit 0\n").expect("stub");
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    fs::set_permissions(&stub, fs::Permissions::from_mode(0o755)).expect("chmod");
                }
                text.push_str(&format!("ExecStart={}{}\n", stub.display(), &cmd[exe.len()..]));
            } else {
                text.push_str(line);
                text.push('\n');
            }
        }
        fs::write(dir.join(&name), text).expect("unit");
        names.push(name);
    }
    names.sort();
    let out = Command::new("systemd-analyze").arg("verify").args(&names).current_dir(&dir).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.trim().is_empty(), "systemd-analyze verify failed:\n{stderr}");
}

/// Each timer's calendar expression is one systemd itself normalises to the same text.
#[test]
fn timer_calendars_are_normalised() {
    if Command::new("systemd-analyze").arg("--version").output().is_err() {
        return skip("timer_calendars_are_normalised", "systemd-analyze is not installed", skip::TOOLS);
    }
    let c = hlc_core::compile(read_dir(&repo_root().join("stacks")));
    for a in c.artifacts.iter().filter(|a| a.path.ends_with(".timer")) {
        let Some(cal) = a.contents.lines().find_map(|l| l.strip_prefix("OnCalendar=")) else { continue };
        let out = Command::new("systemd-analyze").arg("calendar").arg(cal).output().expect("run");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{cal}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(text.contains(&format!("Normalized form: {cal}")), "{cal} normalises differently:\n{text}");
    }
}
