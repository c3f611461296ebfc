//! The PVE host's side of 3-2-1: a systemd service and timer per backup step.

use hl_model::HostBackup;

/// The unit name stem: `hlc-backup-<name>`.
pub fn unit_name(b: &HostBackup) -> String {
    format!("hlc-backup-{}", b.name)
}

/// `<unit>.service`: a oneshot running the step's command, described with the 3-2-1 copy it
/// produces.
pub fn service_unit(b: &HostBackup) -> String {
    let mut out = String::new();
    out.push_str("[Unit]\n");
    let copy = match b.produces.as_str() {
        "live" => "3-2-1 copy 1, live",
        "offsite" => "3-2-1 copy 3, offsite",
        _ => "3-2-1 copy 2, local",
    };
    out.push_str(&format!("Description={} ({copy})\n", b.description));
    out.push_str("\n[Service]\nType=oneshot\n");
    out.push_str(&format!("ExecStart={}\n", exec_line(&b.command)));
    out
}

/// `<unit>.timer`: when the step runs. `Persistent=true` catches up a run missed while the host
/// was off. `None` when the schedule cannot be written as a calendar event (already reported
/// while reading the model).
pub fn timer_unit(b: &HostBackup) -> Option<String> {
    let calendar = hl_types::schedule::parse(&b.schedule).ok()?.to_calendar().ok()?;
    let mut out = String::new();
    out.push_str("[Unit]\n");
    out.push_str(&format!("Description=Schedule of {}\n", b.description));
    out.push_str("\n[Timer]\n");
    out.push_str(&format!("OnCalendar={calendar}\n"));
    out.push_str("Persistent=true\n");
    if let Some(d) = b.randomized_delay {
        out.push_str(&format!("RandomizedDelaySec={d}\n"));
    }
    out.push_str("AccuracySec=1min\n");
    out.push_str("\n[Install]\nWantedBy=timers.target\n");
    Some(out)
}

/// Arguments joined for `ExecStart=`: arguments with spaces or quotes are double-quoted with
/// `\` escapes, and `%` (a unit specifier) is doubled.
fn exec_line(cmd: &[String]) -> String {
    cmd.iter()
        .map(|a| {
            let a = a.replace('%', "%%");
            if a.is_empty() || a.contains(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == '\\') {
                format!("\"{}\"", a.replace('\\', "\\\\").replace('"', "\\\""))
            } else {
                a
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
