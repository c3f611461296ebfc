//! Running one child process and measuring it: wall time, CPU time and peak resident memory.
//!
//! The child is reaped with `wait4`, which returns the resource usage of that one child (unlike
//! `getrusage(RUSAGE_CHILDREN)`, whose peak is the largest over every child reaped so far).
//! Unix only.

use std::fs::{self, File};
use std::io;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What one run of a child cost.
#[derive(Clone, Debug)]
pub struct Measured {
    pub wall: Duration,
    /// User plus system CPU time.
    pub cpu: Duration,
    /// Peak resident set size, in bytes.
    pub max_rss: u64,
    /// The exit code, or `None` when a signal ended the child.
    pub exit_code: Option<i32>,
    /// What the child wrote to standard error.
    pub stderr: String,
}

/// Run `cmd` to completion with standard output discarded and standard error collected through
/// `stderr_file` (a file rather than a pipe, so that a chatty child cannot block on it).
pub fn run(cmd: &mut Command, stderr_file: &Path) -> io::Result<Measured> {
    let err = File::create(stderr_file)?;
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(err);
    // Linux counts the address space a child starts from into its peak: the parent's current
    // resident set after a fork, and with `posix_spawn` (std's default, a vfork) the parent's
    // peak. Setting the uid (to the one it already has) makes std fork and exec, so that only
    // the runner's current few MiB can show, and only when they exceed the child's own peak.
    cmd.uid(current_uid());
    let start = Instant::now();
    let child = cmd.spawn()?;
    let pid = libc::pid_t::try_from(child.id())
        .map_err(|_| io::Error::other(format!("process id {} does not fit a pid_t", child.id())))?;
    let (status, usage) = wait4(pid)?;
    let wall = start.elapsed();
    // The child is reaped; `Child` does not wait on drop, so dropping it is all that is left.
    drop(child);
    let exit_code = if libc::WIFEXITED(status) { Some(libc::WEXITSTATUS(status)) } else { None };
    let stderr = String::from_utf8_lossy(&fs::read(stderr_file)?).into_owned();
    Ok(Measured {
        wall,
        cpu: timeval(usage.ru_utime) + timeval(usage.ru_stime),
        max_rss: max_rss_bytes(usage.ru_maxrss),
        exit_code,
        stderr,
    })
}

fn timeval(t: libc::timeval) -> Duration {
    let secs = u64::try_from(t.tv_sec).unwrap_or(0);
    let micros = u64::try_from(t.tv_usec).unwrap_or(0);
    Duration::from_secs(secs) + Duration::from_micros(micros)
}

/// `ru_maxrss` is in kibibytes on Linux and in bytes on macOS.
fn max_rss_bytes(raw: libc::c_long) -> u64 {
    let raw = u64::try_from(raw).unwrap_or(0);
    if cfg!(target_os = "macos") { raw } else { raw * 1024 }
}

#[allow(unsafe_code)]
fn current_uid() -> u32 {
    // SAFETY: `getuid` takes no arguments, touches no memory of ours and always succeeds.
    unsafe { libc::getuid() }
}

/// Wait for the child `pid` and return its raw status and its resource usage.
#[allow(unsafe_code)]
fn wait4(pid: libc::pid_t) -> io::Result<(libc::c_int, libc::rusage)> {
    let mut status: libc::c_int = 0;
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    loop {
        // SAFETY: `status` and `usage` are valid for writes for the whole call, and `pid` is a
        // child of this process that nothing else waits for.
        let r = unsafe { libc::wait4(pid, &mut status, 0, usage.as_mut_ptr()) };
        if r == pid {
            break;
        }
        let err = io::Error::last_os_error();
        if r == -1 && err.kind() == io::ErrorKind::Interrupted {
            continue;
        }
        return Err(err);
    }
    // SAFETY: `rusage` is plain integers, so the zeroed value is already valid, and `wait4`
    // filled it in.
    Ok((status, unsafe { usage.assume_init() }))
}
