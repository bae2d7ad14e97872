//! Whether a process runs: `OpenProcess` + `GetExitCodeProcess`.

use windows_sys::Win32::Foundation::STILL_ACTIVE;
use windows_sys::Win32::System::Threading::{
    GetExitCodeProcess, OpenProcess, PROCESS_QUERY_LIMITED_INFORMATION,
};

use super::OwnedHandle;

/// True if a process with this id is running. (A process that ended with
/// exit code 259, `STILL_ACTIVE`, would pass for running: no program of
/// memlab's uses that code.)
pub fn running(pid: u32) -> bool {
    if pid == 0 {
        return false;
    }
    // SAFETY: plain call; a null handle is the failure, checked below.
    let handle = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) };
    let Ok(handle) = OwnedHandle::new(handle) else {
        return false;
    };
    let mut code = 0u32;
    // SAFETY: a live process handle and a live u32.
    let ok = unsafe { GetExitCodeProcess(handle.raw(), &mut code) };
    ok != 0 && code == STILL_ACTIVE as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_runs_and_an_ended_child_does_not() {
        assert!(running(std::process::id()));
        assert!(!running(0));
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .arg("--list")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(!running(pid), "PID {pid} ended and still counts as running");
    }
}
