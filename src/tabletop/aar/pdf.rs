//! The report printed to PDF by headless Chromium: the HTML goes to a temporary directory,
//! Chromium prints it offline (no network: every request but the file itself goes to a
//! closed proxy, and the page's own Content-Security-Policy forbids loading anything) with
//! the page's print CSS, and the PDF is read back. Chromium is `chromium` (or
//! `chromium-browser`, `google-chrome`) on `PATH`, or the program named by the environment
//! variable `ZTSIM_CHROMIUM`.

use crate::error::{Error, Result};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The environment variable naming the Chromium program.
pub const CHROMIUM_ENV: &str = "ZTSIM_CHROMIUM";

/// How long Chromium may take to print before it is killed.
pub const TIME_LIMIT: Duration = Duration::from_secs(60);

/// The message when no Chromium is found.
const MISSING: &str = "the PDF needs Chromium: install the chromium package or set ZTSIM_CHROMIUM";

/// Prints `html` (a self-contained page, such as [`super::report_html`]'s) to PDF with
/// headless Chromium. Fails with [`Error::NoChromium`] when there is no Chromium, and with
/// [`Error::Chromium`] when it fails, takes over [`TIME_LIMIT`] or writes no PDF.
pub fn pdf(html: &str) -> Result<Vec<u8>> {
    let browser = find_chromium(std::env::var_os(CHROMIUM_ENV), std::env::var_os("PATH"))?;
    print_with(&browser, html, TIME_LIMIT)
}

/// The Chromium to run: the program `env` names (when set and not empty), else the first of
/// `chromium`, `chromium-browser`, `google-chrome` in the directories of `path`.
pub fn find_chromium(env: Option<OsString>, path: Option<OsString>) -> Result<PathBuf> {
    if let Some(p) = env.filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        // A bare name is looked up on PATH, as a shell would.
        let found = if p.components().count() == 1 {
            on_path(p.as_os_str(), path.as_deref())
        } else {
            is_program(&p).then_some(p.clone())
        };
        return found.ok_or_else(|| {
            Error::NoChromium(format!(
                "{CHROMIUM_ENV} names {}, which is not a program; {MISSING}",
                p.display()
            ))
        });
    }
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| on_path(name.as_ref(), path.as_deref()))
        .ok_or_else(|| Error::NoChromium(MISSING.into()))
}

fn on_path(name: &std::ffi::OsStr, path: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    std::env::split_paths(path?)
        .map(|d| d.join(name))
        .find(|p| is_program(p))
}

fn is_program(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

/// Prints `html` with the Chromium at `browser`, killing it after `limit`.
pub fn print_with(browser: &Path, html: &str, limit: Duration) -> Result<Vec<u8>> {
    let failed = |m: String| Error::Chromium(m);
    let dir = tempfile::tempdir().map_err(|e| failed(format!("no temporary directory: {e}")))?;
    let page = dir.path().join("report.html");
    let out = dir.path().join("report.pdf");
    let log = dir.path().join("chromium.log");
    std::fs::write(&page, html).map_err(|e| Error::Write {
        path: page.clone(),
        cause: e,
    })?;
    let stderr = std::fs::File::create(&log).map_err(|e| Error::Write {
        path: log.clone(),
        cause: e,
    })?;
    let mut cmd = Command::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-pdf-header-footer",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--no-first-run",
        "--no-default-browser-check",
        "--proxy-server=127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>",
    ])
    .arg(flag("--user-data-dir=", &dir.path().join("profile")))
    .arg(flag("--print-to-pdf=", &out))
    .arg(file_url(&page))
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(stderr);
    // Its own process group, so that a time-out kills its helper processes too.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child =
        spawn(&mut cmd).map_err(|e| failed(format!("cannot run {}: {e}", browser.display())))?;
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break st,
            Ok(None) if start.elapsed() < limit => std::thread::sleep(Duration::from_millis(50)),
            Ok(None) => {
                kill(&mut child);
                return Err(failed(format!(
                    "Chromium took over {} s and was stopped",
                    limit.as_secs()
                )));
            }
            Err(e) => {
                kill(&mut child);
                return Err(failed(format!("waiting for Chromium: {e}")));
            }
        }
    };
    let bytes = std::fs::read(&out).unwrap_or_default();
    if !status.success() || !bytes.starts_with(b"%PDF") {
        let said = std::fs::read_to_string(&log).unwrap_or_default();
        let tail: Vec<&str> = said.lines().rev().take(5).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(failed(format!(
            "Chromium {} and wrote {}{}",
            if status.success() {
                "finished".to_string()
            } else {
                format!("exited with {status}")
            },
            if bytes.is_empty() {
                "no PDF"
            } else {
                "something that is not a PDF"
            },
            if tail.is_empty() {
                String::new()
            } else {
                format!(": {}", crate::report::terminal_safe(&tail.join(" | ")))
            }
        )));
    }
    Ok(bytes)
}

/// Starts `cmd`, trying again for a moment while the program is busy being written (a
/// program written just before, while another thread forked: ETXTBSY).
fn spawn(cmd: &mut Command) -> std::io::Result<std::process::Child> {
    let mut tries = 0;
    loop {
        match cmd.spawn() {
            #[cfg(unix)]
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) && tries < 20 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(25));
            }
            other => return other,
        }
    }
}

/// `--name=PATH`.
fn flag(name: &str, p: &Path) -> OsString {
    let mut f = OsString::from(name);
    f.push(p.as_os_str());
    f
}

/// `file://` and the absolute path, with the characters a URL cannot hold escaped.
fn file_url(p: &Path) -> String {
    let mut u = String::from("file://");
    for b in p.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            u.push(b as char);
        } else {
            u.push_str(&format!("%{b:02X}"));
        }
    }
    u
}

/// Kills Chromium and its helpers (its process group) and reaps it.
fn kill(child: &mut std::process::Child) {
    #[cfg(unix)]
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: kill(2) on the process group this function's caller created; no memory
        // is involved.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_chromium_is_a_clear_typed_error() {
        let e = find_chromium(None, Some("/nonexistent-dir".into())).unwrap_err();
        assert!(matches!(e, Error::NoChromium(_)));
        assert_eq!(
            e.to_string(),
            "the PDF needs Chromium: install the chromium package or set ZTSIM_CHROMIUM"
        );
        let e = find_chromium(Some("/nowhere/chromium".into()), None).unwrap_err();
        assert!(
            e.to_string().starts_with(
                "ZTSIM_CHROMIUM names /nowhere/chromium, which is not a program; the PDF needs Chromium"
            ),
            "{e}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_failing_or_slow_browser_is_reported_and_stopped() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let fake = |name: &str, body: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
            p
        };
        // Found on PATH by name, and through the variable by name or path.
        let ok = fake("chromium", "exit 0");
        let path = Some(dir.path().as_os_str().to_owned());
        assert_eq!(find_chromium(None, path.clone()).unwrap(), ok);
        assert_eq!(find_chromium(Some("chromium".into()), path).unwrap(), ok);
        let e = print_with(&ok, "<p>x</p>", TIME_LIMIT).unwrap_err();
        assert!(matches!(e, Error::Chromium(_)));
        assert!(e.to_string().contains("wrote no PDF"), "{e}");
        let bad = fake("crash", "echo 'boom: no display' >&2; exit 3");
        let e = print_with(&bad, "<p>x</p>", TIME_LIMIT).unwrap_err();
        assert!(
            e.to_string().contains("exited with") && e.to_string().contains("boom"),
            "{e}"
        );
        let slow = fake("slow", "sleep 30");
        let t = Instant::now();
        let e = print_with(&slow, "<p>x</p>", Duration::from_millis(300)).unwrap_err();
        assert!(e.to_string().contains("was stopped"), "{e}");
        assert!(t.elapsed() < Duration::from_secs(10));
    }

    /// Prints a real page when Chromium is installed; otherwise says it skipped, and fails
    /// when `ZTSIM_REQUIRE_CHROMIUM=1`.
    #[test]
    fn chromium_prints_the_report_to_pdf() {
        if find_chromium(std::env::var_os(CHROMIUM_ENV), std::env::var_os("PATH")).is_err() {
            assert!(
                std::env::var("ZTSIM_REQUIRE_CHROMIUM").as_deref() != Ok("1"),
                "ZTSIM_REQUIRE_CHROMIUM=1 but no Chromium was found"
            );
            eprintln!("skipped: no Chromium (install chromium or set ZTSIM_CHROMIUM)");
            return;
        }
        let s = crate::tabletop::aar::testkit::chain(&["run until time 50"]);
        let a = crate::tabletop::aar::AfterAction {
            title: "Chain night".into(),
            ..Default::default()
        };
        let html = crate::tabletop::aar::report_html(&s, &a, &[]).expect("renders");
        let bytes = pdf(&html).expect("prints");
        assert!(bytes.starts_with(b"%PDF") && bytes.len() > 10_000);
    }
}
