//! The pieces of the rootless lab: a user namespace of our own (in which we are root, with the
//! capabilities a network namespace needs, and nowhere else), a process that holds the peer's
//! network namespace, a pid file so a second terminal can find the lab, and setns(2) to enter it.
//!
//! Written on `libc` because it is a handful of system calls that must happen in this process,
//! in this order, while it is single-threaded (unshare(CLONE_NEWUSER) and setns into a user
//! namespace refuse a multi-threaded caller): see user_namespaces(7) and setns(2).
use anyhow::{bail, Context};
use std::fs;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};

/// True when this process is root of the machine's initial user namespace (real root, as with
/// sudo), not merely uid 0 inside some user namespace (e.g. inside a rootless lab).
pub fn real_root() -> bool {
    if crate::sys::euid() != 0 {
        return false;
    }
    // The initial user namespace maps every id to itself: "0 0 4294967295".
    fs::read_to_string("/proc/self/uid_map")
        .map(|m| m.split_whitespace().collect::<Vec<_>>() == ["0", "0", "4294967295"])
        .unwrap_or(true)
}

/// The kernel setting that switches unprivileged user namespaces off here, if one does, as
/// `name=value`. `read` returns a sysctl's value by its /proc/sys path.
pub fn blocker_with(read: impl Fn(&str) -> Option<String>) -> Option<String> {
    // (file under /proc/sys, sysctl name, the value that forbids)
    const SWITCHES: [(&str, &str, &str); 3] = [
        // Debian and Ubuntu's patch; absent on mainline kernels.
        (
            "kernel/unprivileged_userns_clone",
            "kernel.unprivileged_userns_clone",
            "0",
        ),
        ("user/max_user_namespaces", "user.max_user_namespaces", "0"),
        // Ubuntu 24.04: the namespace is made but has no capabilities in it.
        (
            "kernel/apparmor_restrict_unprivileged_userns",
            "kernel.apparmor_restrict_unprivileged_userns",
            "1",
        ),
    ];
    SWITCHES.iter().find_map(|(file, name, off)| {
        let v = read(file)?;
        (v.trim() == *off).then(|| format!("{name}={off}"))
    })
}

/// [`blocker_with`] on this machine.
pub fn blocker() -> Option<String> {
    blocker_with(|f| fs::read_to_string(Path::new("/proc/sys").join(f)).ok())
}

/// The one line said when user namespaces are off: the setting, and what to do instead.
pub fn blocked_message(why: &str) -> String {
    format!(
        "cannot build the lab without root: unprivileged user namespaces are switched off here \
         ({why}); use `sudo ringside lab up`, or have an administrator run that once and \
         `sudo setcap cap_net_raw,cap_net_admin+ep $(command -v ringside)` so `ringside live` \
         needs no sudo"
    )
}

/// Move this process into a new user namespace and a new network namespace, as root of the
/// user namespace (uid and gid 0 inside are ours outside, and nothing else is mapped).
pub fn enter_new(uid: u32, gid: u32) -> anyhow::Result<()> {
    if let Some(why) = blocker() {
        bail!(blocked_message(&why));
    }
    // Fails (EINVAL) if we had threads.
    if let Err(e) = crate::sys::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNET) {
        return match e.raw_os_error() {
            Some(libc::EPERM) | Some(libc::ENOSPC) | Some(libc::EUSERS) => Err(anyhow::anyhow!(
                blocked_message(&format!("unshare(CLONE_NEWUSER): {e}"))
            )),
            _ => Err(e).context("creating the lab's user and network namespaces"),
        };
    }
    // An unprivileged map needs setgroups denied first (user_namespaces(7), "Interaction with
    // system calls that change process UIDs or GIDs").
    let write = |file: &str, text: String| {
        fs::write(format!("/proc/self/{file}"), text)
            .with_context(|| format!("writing /proc/self/{file} of the lab's user namespace"))
    };
    write("setgroups", "deny".into())?;
    write("uid_map", format!("0 {uid} 1"))?;
    write("gid_map", format!("0 {gid} 1"))?;
    Ok(())
}

/// Fork a child that moves into a network namespace of its own and sleeps there: the peer
/// namespace lives as long as it does. It dies with us (PR_SET_PDEATHSIG), so killing the lab
/// by any means removes the peer namespace and, with it, the veth cable.
pub fn spawn_holder() -> anyhow::Result<i32> {
    let (rd, wr) = std::io::pipe().context("pipe")?;
    let (rd, wr): (OwnedFd, OwnedFd) = (rd.into(), wr.into());
    // We are single-threaded: we just unshared a user namespace, which requires it.
    let parent = std::process::id() as i32;
    let pid = crate::sys::fork_netns_holder(parent, &wr, &rd).context("fork")?;
    // The write end is the child's now; ours closes, so a dead child reads as end of file.
    drop(wr);
    let mut ok = [0u8];
    let n = fs::File::from(rd).read(&mut ok).unwrap_or(0);
    if n != 1 || ok[0] != b'1' {
        // Reaping our own child.
        let _ = crate::sys::kill(pid, libc::SIGKILL);
        crate::sys::reap(pid);
        bail!("could not create the peer's network namespace");
    }
    Ok(pid)
}

/// Open /proc/PID/ns/KIND (`net` or `user`).
pub fn ns_fd(pid: i32, kind: &str) -> anyhow::Result<OwnedFd> {
    let path = format!("/proc/{pid}/ns/{kind}");
    Ok(fs::File::open(&path)
        .with_context(|| format!("opening {path}"))?
        .into())
}

/// setns(2) into `fd`, whose kind is `nstype` (CLONE_NEWUSER, CLONE_NEWNET).
pub fn set_ns(fd: &OwnedFd, nstype: libc::c_int) -> std::io::Result<()> {
    crate::sys::setns(fd.as_raw_fd(), nstype)
}

/// The directory for our pid files: $XDG_RUNTIME_DIR/ringside, else /tmp/ringside-UID, made
/// private (0700) and refused unless it is ours (another user could plant a pid file in /tmp).
pub fn runtime_dir(uid: u32) -> anyhow::Result<PathBuf> {
    let dir = match std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        Some(d) => PathBuf::from(d).join("ringside"),
        None => PathBuf::from(format!("/tmp/ringside-{uid}")),
    };
    match fs::DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e).with_context(|| format!("creating {}", dir.display())),
    }
    let meta = fs::symlink_metadata(&dir).with_context(|| format!("{}", dir.display()))?;
    if !meta.is_dir() || meta.uid() != uid || meta.mode() & 0o022 != 0 {
        bail!(
            "{} is not a private directory of yours: remove it, or set XDG_RUNTIME_DIR",
            dir.display()
        );
    }
    Ok(dir)
}

/// A running rootless lab, as its pid file names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LabProcs {
    /// The `ringside lab up` process: its user namespace, and ringside's side of the cable.
    pub lab: i32,
    /// The process holding the peer's network namespace.
    pub peer: i32,
}

/// Field 22 of /proc/PID/stat: when the process started (ticks since boot). With the pid it
/// names one process for good: a recycled pid has another start time.
fn start_time(pid: i32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: count after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// True while `pid` runs (exists and is not a zombie waiting for its parent to reap it).
pub fn running(pid: i32) -> bool {
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    stat.rfind(')')
        .and_then(|i| stat[i + 1..].split_whitespace().next())
        .is_some_and(|state| state != "Z" && state != "X")
}

pub fn pid_file(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("lab-{name}.pid"))
}

/// Write `lab start peer start` (atomically, through a rename).
pub fn write_pid_file(path: &Path, procs: LabProcs) -> anyhow::Result<()> {
    let line = format!(
        "{} {} {} {}\n",
        procs.lab,
        start_time(procs.lab).unwrap_or(0),
        procs.peer,
        start_time(procs.peer).unwrap_or(0)
    );
    let tmp = path.with_extension("tmp");
    let mut f = fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    f.write_all(line.as_bytes())?;
    fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// The lab a pid file names, if both its processes still run and are ours; None when there is
/// no such file or it is stale (a lab killed with SIGKILL leaves its file behind).
pub fn read_pid_file(path: &Path, uid: u32) -> Option<LabProcs> {
    let text = fs::read_to_string(path).ok()?;
    let v: Vec<i64> = text
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    let [lab, lab_start, peer, peer_start] = v[..] else {
        return None;
    };
    let alive = |pid: i64, start: i64| {
        let pid = i32::try_from(pid).ok().filter(|p| *p > 0)?;
        let ours = fs::metadata(format!("/proc/{pid}")).ok()?.uid() == uid;
        (ours && running(pid) && start_time(pid)? == start as u64).then_some(pid)
    };
    Some(LabProcs {
        lab: alive(lab, lab_start)?,
        peer: alive(peer, peer_start)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_switch_that_forbids_user_namespaces_is_named() {
        let with = |file: &'static str, v: &'static str| {
            blocker_with(move |f| (f == file).then(|| format!("{v}\n")))
        };
        assert_eq!(
            with("kernel/unprivileged_userns_clone", "0").as_deref(),
            Some("kernel.unprivileged_userns_clone=0")
        );
        assert_eq!(with("kernel/unprivileged_userns_clone", "1"), None);
        assert_eq!(
            with("user/max_user_namespaces", "0").as_deref(),
            Some("user.max_user_namespaces=0")
        );
        assert_eq!(with("user/max_user_namespaces", "63331"), None);
        assert_eq!(
            with("kernel/apparmor_restrict_unprivileged_userns", "1").as_deref(),
            Some("kernel.apparmor_restrict_unprivileged_userns=1")
        );
        assert_eq!(blocker_with(|_| None), None);
        let m = blocked_message("user.max_user_namespaces=0");
        assert!(!m.contains('\n'));
        assert!(
            m.contains("sudo ringside lab up") && m.contains("setcap cap_net_raw,cap_net_admin+ep")
        );
    }

    #[test]
    fn a_pid_file_names_only_a_live_process_of_ours() {
        let dir = tempfile::tempdir().unwrap();
        let path = pid_file(dir.path(), "t");
        let me = std::process::id() as i32;
        let uid = crate::sys::uid();
        let procs = LabProcs { lab: me, peer: me };
        write_pid_file(&path, procs).unwrap();
        assert_eq!(read_pid_file(&path, uid), Some(procs));
        // Another user's process, or a recycled pid (other start time), is not the lab.
        assert_eq!(read_pid_file(&path, uid + 1), None);
        let text = fs::read_to_string(&path).unwrap();
        let f: Vec<&str> = text.split_whitespace().collect();
        fs::write(&path, format!("{} 1 {} {}", f[0], f[2], f[3])).unwrap();
        assert_eq!(read_pid_file(&path, uid), None);
        fs::write(&path, "garbage").unwrap();
        assert_eq!(read_pid_file(&path, uid), None);
        assert_eq!(read_pid_file(&dir.path().join("none"), uid), None);
    }
}
