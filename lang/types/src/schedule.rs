//! Schedules: five-field cron expressions (Kubernetes CronJobs) and systemd calendar events
//! (timers), parsed into one form and rendered as either.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::ValueError;

/// A schedule: the minutes, hours, days of month, months and weekdays it fires on. A field
/// that is `*` is kept as such (`None`), because cron treats day-of-month and weekday
/// restrictions as alternatives when both are given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    pub minutes: BTreeSet<u8>,
    pub hours: BTreeSet<u8>,
    pub days: Option<BTreeSet<u8>>,
    pub months: Option<BTreeSet<u8>>,
    /// 0 = Sunday .. 6 = Saturday.
    pub weekdays: Option<BTreeSet<u8>>,
}

const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const DAYS_SYSTEMD: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

fn invalid(reason: impl Into<String>) -> ValueError {
    ValueError::Invalid { reason: reason.into() }
}

/// Parse either form: a cron expression (`0 */6 * * *`, `@daily`) or a systemd calendar event
/// (`*-*-* 03:00:00`, `Sun *-*-* 01:00`, `daily`).
pub fn parse(s: &str) -> Result<Schedule, ValueError> {
    let t = s.trim();
    if t.starts_with('@') || t.split_whitespace().count() == 5 && !t.contains(':') {
        parse_cron(t)
    } else {
        parse_calendar(t)
    }
}

/// Parse a five-field cron expression or one of the `@` macros.
pub fn parse_cron(s: &str) -> Result<Schedule, ValueError> {
    let expanded = match s.trim() {
        "@yearly" | "@annually" => "0 0 1 1 *",
        "@monthly" => "0 0 1 * *",
        "@weekly" => "0 0 * * 0",
        "@daily" | "@midnight" => "0 0 * * *",
        "@hourly" => "0 * * * *",
        m if m.starts_with('@') => {
            return Err(invalid(format!(
                "`{m}` is not a cron macro (use @yearly, @monthly, @weekly, @daily or @hourly)"
            )));
        }
        other => other,
    };
    let fields: Vec<&str> = expanded.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(invalid(format!(
            "a cron expression has 5 fields (minute hour day-of-month month weekday), this one has {}",
            fields.len()
        )));
    }
    let minutes = cron_field(fields[0], "minute", 0, 59, None)?.unwrap_or_else(|| (0..=59).collect());
    let hours = cron_field(fields[1], "hour", 0, 23, None)?.unwrap_or_else(|| (0..=23).collect());
    let days = cron_field(fields[2], "day of month", 1, 31, None)?;
    let months = cron_field(fields[3], "month", 1, 12, Some(&MONTHS))?;
    let weekdays =
        cron_field(fields[4], "weekday", 0, 7, Some(&DAYS))?.map(|set| set.into_iter().map(|d| d % 7).collect());
    Ok(Schedule { minutes, hours, days, months, weekdays })
}

/// One cron field; `None` for `*`.
fn cron_field(
    f: &str,
    what: &str,
    min: u8,
    max: u8,
    names: Option<&[&str]>,
) -> Result<Option<BTreeSet<u8>>, ValueError> {
    if f == "*" {
        return Ok(None);
    }
    let value = |v: &str| -> Result<u8, ValueError> {
        if let Some(names) = names
            && let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(v))
        {
            // Months are 1-based, weekdays 0-based.
            return Ok(i as u8 + min.min(1) * u8::from(what == "month"));
        }
        let n: u8 = v.parse().map_err(|_| invalid(format!("`{v}` is not a valid {what}")))?;
        if n < min || n > max {
            return Err(ValueError::OutOfRange { value: n.to_string(), min: min.to_string(), max: max.to_string() });
        }
        Ok(n)
    };
    let mut out = BTreeSet::new();
    for part in f.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => {
                let step: u8 = s.parse().map_err(|_| invalid(format!("`{s}` is not a step")))?;
                if step == 0 {
                    return Err(invalid("a step of 0 never fires"));
                }
                (r, step)
            }
            None => (part, 1),
        };
        let (lo, hi) = if range == "*" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            let (a, b) = (value(a)?, value(b)?);
            if a > b {
                return Err(invalid(format!("the range `{range}` runs backwards")));
            }
            (a, b)
        } else {
            let a = value(range)?;
            (a, if step > 1 { max } else { a })
        };
        let mut v = lo;
        while v <= hi {
            out.insert(v);
            match v.checked_add(step) {
                Some(n) => v = n,
                None => break,
            }
        }
    }
    Ok(Some(out))
}

/// Parse a systemd calendar event: `[Weekdays] [Year-Month-Day] [Hour:Minute[:Second]]` or a
/// shorthand (`hourly`, `daily`, `weekly`, `monthly`, `yearly`).
pub fn parse_calendar(s: &str) -> Result<Schedule, ValueError> {
    let t = s.trim();
    let full = match t {
        "minutely" => "*-*-* *:*:00",
        "hourly" => "*-*-* *:00:00",
        "daily" => "*-*-* 00:00:00",
        "weekly" => "Mon *-*-* 00:00:00",
        "monthly" => "*-*-01 00:00:00",
        "yearly" | "annually" => "*-01-01 00:00:00",
        other => other,
    };
    let mut parts: Vec<&str> = full.split_whitespace().collect();
    if parts.is_empty() {
        return Err(invalid("an empty schedule never fires"));
    }
    let weekdays = if parts[0].chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
        Some(calendar_weekdays(parts.remove(0))?)
    } else {
        None
    };
    let (date, time) = match parts.as_slice() {
        [d, t] => (Some(*d), Some(*t)),
        [x] if x.contains(':') => (None, Some(*x)),
        [x] => (Some(*x), None),
        [] => (None, None),
        _ => return Err(invalid(format!("`{t}` is not a calendar event (`[weekday] year-month-day hour:minute`)"))),
    };
    let (mut days, mut months) = (None, None);
    if let Some(d) = date {
        let fields: Vec<&str> = d.split('-').collect();
        let (year, month, day) = match fields.as_slice() {
            [y, m, d] => (*y, *m, *d),
            [m, d] => ("*", *m, *d),
            _ => return Err(invalid(format!("`{d}` is not a date (`year-month-day`, with `*` for any)"))),
        };
        if year != "*" {
            return Err(invalid("a schedule for a given year cannot repeat; use `*` for the year"));
        }
        months = calendar_field(month, "month", 1, 12)?;
        days = calendar_field(day, "day", 1, 31)?;
    }
    let (hours, minutes) = match time {
        None => ((0..=0).collect(), (0..=0).collect()),
        Some(tm) => {
            let fields: Vec<&str> = tm.split(':').collect();
            let (h, m, sec) = match fields.as_slice() {
                [h, m] => (*h, *m, "00"),
                [h, m, s] => (*h, *m, *s),
                _ => return Err(invalid(format!("`{tm}` is not a time (`hour:minute[:second]`)"))),
            };
            if sec != "00" && sec != "0" {
                return Err(invalid("schedules fire on whole minutes; use `:00` seconds"));
            }
            (
                calendar_field(h, "hour", 0, 23)?.unwrap_or_else(|| (0..=23).collect()),
                calendar_field(m, "minute", 0, 59)?.unwrap_or_else(|| (0..=59).collect()),
            )
        }
    };
    Ok(Schedule { minutes, hours, days, months, weekdays })
}

fn calendar_weekdays(s: &str) -> Result<BTreeSet<u8>, ValueError> {
    let day = |d: &str| -> Result<u8, ValueError> {
        let lower = d.to_ascii_lowercase();
        DAYS.iter()
            .position(|n| lower.starts_with(n))
            .map(|i| i as u8)
            .ok_or_else(|| invalid(format!("`{d}` is not a weekday (Mon, Tue, ...)")))
    };
    let mut out = BTreeSet::new();
    for part in s.split(',') {
        match part.split_once("..") {
            Some((a, b)) => {
                let (a, b) = (day(a)?, day(b)?);
                let mut d = a;
                loop {
                    out.insert(d);
                    if d == b {
                        break;
                    }
                    d = (d + 1) % 7;
                }
            }
            None => {
                out.insert(day(part)?);
            }
        }
    }
    Ok(out)
}

/// One calendar field: `*`, `n`, `a..b`, `a/step`, or a comma list of those.
fn calendar_field(f: &str, what: &str, min: u8, max: u8) -> Result<Option<BTreeSet<u8>>, ValueError> {
    if f == "*" {
        return Ok(None);
    }
    let num = |v: &str| -> Result<u8, ValueError> {
        let n: u8 = v.parse().map_err(|_| invalid(format!("`{v}` is not a valid {what}")))?;
        if n < min || n > max {
            return Err(ValueError::OutOfRange { value: n.to_string(), min: min.to_string(), max: max.to_string() });
        }
        Ok(n)
    };
    let mut out = BTreeSet::new();
    for part in f.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, s.parse::<u8>().map_err(|_| invalid(format!("`{s}` is not a repetition")))?),
            None => (part, 0),
        };
        let (lo, hi) = match range.split_once("..") {
            Some((a, b)) => (num(a)?, num(b)?),
            None if range == "*" => (min, max),
            None => {
                let a = num(range)?;
                (a, if step > 0 { max } else { a })
            }
        };
        if lo > hi {
            return Err(invalid(format!("the range `{range}` runs backwards")));
        }
        let step = step.max(1);
        let mut v = lo;
        while v <= hi {
            out.insert(v);
            match v.checked_add(step) {
                Some(n) => v = n,
                None => break,
            }
        }
    }
    Ok(Some(out))
}

/// `*`, `a/step`, `a..b` or a list: the shortest systemd notation for a set of values.
fn calendar_set(set: Option<&BTreeSet<u8>>, full: (u8, u8), width: usize) -> String {
    let Some(set) = set else { return "*".into() };
    if set.len() == usize::from(full.1 - full.0) + 1 {
        return "*".into();
    }
    let v: Vec<u8> = set.iter().copied().collect();
    if let Some(step) = progression(&v, full.1) {
        return format!("{:0width$}/{step}", v[0]);
    }
    v.iter().map(|n| format!("{n:0width$}")).collect::<Vec<_>>().join(",")
}

/// `a/step` in cron notation, `*/step` when it starts at the field's minimum.
fn cron_set(set: Option<&BTreeSet<u8>>, full: (u8, u8)) -> String {
    let Some(set) = set else { return "*".into() };
    if set.len() == usize::from(full.1 - full.0) + 1 {
        return "*".into();
    }
    let v: Vec<u8> = set.iter().copied().collect();
    if let Some(step) = progression(&v, full.1) {
        return if v[0] == full.0 { format!("*/{step}") } else { format!("{}/{step}", v[0]) };
    }
    v.iter().map(u8::to_string).collect::<Vec<_>>().join(",")
}

/// The step of an arithmetic progression that runs to the end of the field.
fn progression(v: &[u8], max: u8) -> Option<u8> {
    if v.len() < 2 {
        return None;
    }
    let step = v[1] - v[0];
    let regular = v.windows(2).all(|w| w[1] - w[0] == step);
    let reaches_end = v.last().is_some_and(|l| l + step > max);
    (regular && reaches_end && step > 1).then_some(step)
}

impl Schedule {
    /// The schedule as a five-field cron expression.
    pub fn to_cron(&self) -> String {
        let weekdays = self.weekdays.as_ref().map(|w| w.iter().map(u8::to_string).collect::<Vec<_>>().join(","));
        format!(
            "{} {} {} {} {}",
            cron_set(Some(&self.minutes), (0, 59)),
            cron_set(Some(&self.hours), (0, 23)),
            cron_set(self.days.as_ref(), (1, 31)),
            cron_set(self.months.as_ref(), (1, 12)),
            weekdays.unwrap_or_else(|| "*".into())
        )
    }

    /// The schedule as a systemd `OnCalendar=` expression, or why it cannot be one: cron fires
    /// when *either* the day of month or the weekday matches, systemd only when both do.
    pub fn to_calendar(&self) -> Result<String, ValueError> {
        if self.days.is_some() && self.weekdays.is_some() {
            return Err(invalid(
                "a cron schedule restricting both day of month and weekday fires on either; a systemd timer cannot say that",
            ));
        }
        let mut out = String::new();
        if let Some(w) = &self.weekdays {
            let names: Vec<&str> = w.iter().map(|d| DAYS_SYSTEMD[usize::from(*d % 7)]).collect();
            let _ = write!(out, "{} ", names.join(","));
        }
        let _ = write!(
            out,
            "*-{}-{} {}:{}:00",
            calendar_set(self.months.as_ref(), (1, 12), 2),
            calendar_set(self.days.as_ref(), (1, 31), 2),
            calendar_set(Some(&self.hours), (0, 23), 2),
            calendar_set(Some(&self.minutes), (0, 59), 2),
        );
        Ok(out)
    }

    /// Whether two schedules can fire in the same minute.
    pub fn overlaps(&self, other: &Schedule) -> bool {
        let meet = |a: Option<&BTreeSet<u8>>, b: Option<&BTreeSet<u8>>| match (a, b) {
            (Some(a), Some(b)) => a.intersection(b).next().is_some(),
            _ => true,
        };
        meet(Some(&self.minutes), Some(&other.minutes))
            && meet(Some(&self.hours), Some(&other.hours))
            && meet(self.months.as_ref(), other.months.as_ref())
            && meet(self.days.as_ref(), other.days.as_ref())
            && meet(self.weekdays.as_ref(), other.weekdays.as_ref())
    }

    /// Fires at most this many minutes apart (an upper bound, for recovery-point estimates).
    pub fn max_interval_minutes(&self) -> u32 {
        let gap = |set: &BTreeSet<u8>, period: u32| -> u32 {
            let v: Vec<u32> = set.iter().map(|x| u32::from(*x)).collect();
            let mut worst = 0;
            for (i, x) in v.iter().enumerate() {
                let next = v.get(i + 1).copied().unwrap_or(v[0] + period);
                worst = worst.max(next - x);
            }
            worst
        };
        if self.weekdays.is_some() || self.days.is_some() || self.months.is_some() {
            let days = match (&self.weekdays, &self.days) {
                (Some(w), _) => gap(w, 7),
                (None, Some(_)) => 31,
                (None, None) => 1,
            };
            return days * 24 * 60;
        }
        if self.hours.len() == 24 { gap(&self.minutes, 60) } else { gap(&self.hours, 24) * 60 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_round_trips_to_calendar() {
        let cases = [
            ("0 3 * * *", "*-*-* 03:00:00"),
            ("47 */6 * * *", "*-*-* 00/6:47:00"),
            ("0 1 * * 0", "Sun *-*-* 01:00:00"),
            ("*/15 * * * *", "*-*-* *:00/15:00"),
            ("30 0 1 * *", "*-*-01 00:30:00"),
            ("0 12-16 * * *", "*-*-* 12,13,14,15,16:00:00"),
        ];
        for (cron, cal) in cases {
            let s = parse_cron(cron).expect(cron);
            assert_eq!(s.to_calendar().expect(cron), cal, "{cron}");
            assert_eq!(parse_calendar(cal).expect(cal), s, "{cal}");
        }
    }

    #[test]
    fn calendar_to_cron() {
        assert_eq!(parse("daily").expect("daily").to_cron(), "0 0 * * *");
        assert_eq!(parse("Sun *-*-* 01:00").expect("sun").to_cron(), "0 1 * * 0");
        assert_eq!(parse("*-*-* 00/6:47:00").expect("6h").to_cron(), "47 */6 * * *");
        assert_eq!(parse("@weekly").expect("weekly").to_cron(), "0 0 * * 0");
    }

    #[test]
    fn rejects_invalid_schedules() {
        for bad in [
            "61 * * * *",
            "* * *",
            "0 25 * * *",
            "*/0 * * * *",
            "@sometimes",
            "2026-*-* 00:00",
            "*-*-* 00:00:30",
            "Funday 00:00",
        ] {
            assert!(parse(bad).is_err(), "{bad} should be rejected");
        }
        assert!(parse_cron("0 0 1 * 1").expect("both").to_calendar().is_err());
    }

    #[test]
    fn overlap_and_interval() {
        let a = parse("0 0 * * *").expect("a");
        let b = parse("*-*-* 00:00:00").expect("b");
        let c = parse("15 0 * * *").expect("c");
        assert!(a.overlaps(&b));
        assert!(!a.overlaps(&c));
        assert_eq!(parse("0 */6 * * *").expect("6h").max_interval_minutes(), 360);
        assert_eq!(parse("0 3 * * 0").expect("weekly").max_interval_minutes(), 7 * 24 * 60);
    }
}
