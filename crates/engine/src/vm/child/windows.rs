//! The child's touch on Windows: memlab.exe started again
//! (`CreateProcessW`, hidden command [`CHILD_COMMAND`]) with this
//! process's id and the page's address.
//!
//! A Windows process cannot load or store into another's memory, so the
//! child does what a debugger does: it opens the parent (`OpenProcess`),
//! asks `VirtualQueryEx` what the page is, and if a plain access would
//! work there it makes it with `ReadProcessMemory` or `WriteProcessMemory`
//! (the write lands in the parent's page) and exits 0. If a plain access
//! would fault, it does exactly that: it makes a page of its own in the same
//! state and protection (`VirtualAlloc`) and touches it with a plain load
//! or store, and Windows ends it with `STATUS_ACCESS_VIOLATION`
//! (0xC0000005) as its exit status. The query decides, not
//! `ReadProcessMemory`'s failure: `WriteProcessMemory` writes read-only
//! pages (it changes the protection for the write, as a debugger needs), and
//! under wine `ReadProcessMemory` reads `PAGE_NOACCESS` pages.

use std::ffi::c_void;
use std::os::windows::io::{FromRawHandle, OwnedHandle, RawHandle};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use windows_sys::Win32::Foundation::GetLastError;
use windows_sys::Win32::System::Diagnostics::Debug::{
    EXCEPTION_POINTERS, ReadProcessMemory, SEM_FAILCRITICALERRORS, SEM_NOGPFAULTERRORBOX,
    SetErrorMode, SetUnhandledExceptionFilter, WriteProcessMemory,
};
use windows_sys::Win32::System::Memory::{
    MEM_COMMIT, MEM_RESERVE, MEMORY_BASIC_INFORMATION, PAGE_EXECUTE_READWRITE,
    PAGE_EXECUTE_WRITECOPY, PAGE_NOACCESS, PAGE_WRITECOPY, VirtualAlloc, VirtualQueryEx,
};
use windows_sys::Win32::System::Threading::{
    GetCurrentProcess, OpenProcess, PROCESS_QUERY_INFORMATION, PROCESS_VM_OPERATION,
    PROCESS_VM_READ, PROCESS_VM_WRITE, TerminateProcess,
};

use super::ChildEnd;

/// The hidden command that runs [`child_main`]:
/// `memlab.exe vm-child PARENT_PID ADDRESS read|write`.
pub const CHILD_COMMAND: &str = "vm-child";

/// How long the child may take: starting a process takes a while under
/// wine on a loaded machine; a hung child is killed, never waited for
/// forever.
const CHILD_TIMEOUT: Duration = Duration::from_secs(30);

/// Exit codes from here up are NTSTATUS error codes (an exception ended
/// the process), not a Win32 error the child returned.
const STATUS_ERROR: u32 = 0xC000_0000;

/// No signals on Windows (for the shared `Display`).
pub(super) fn signal_name(_signal: i32) -> &'static str {
    "signal"
}

/// memlab.exe: this program if it is memlab, else (a test binary in
/// `target\<profile>\deps\`) the memlab.exe one folder up, as cargo
/// builds it.
fn memlab_exe() -> std::io::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let memlab = "memlab.exe";
    if exe.file_name().is_some_and(|n| n == memlab) {
        return Ok(exe);
    }
    match exe.parent().and_then(|deps| deps.parent()) {
        Some(dir) if dir.join(memlab).is_file() => Ok(dir.join(memlab)),
        _ => Ok(exe),
    }
}

/// Starts `memlab.exe vm-child` on `addr` and says how it ended.
pub(super) fn touch(addr: usize, write: bool) -> Result<ChildEnd, i32> {
    let os = |e: std::io::Error| e.raw_os_error().unwrap_or(0);
    let mut child = Command::new(memlab_exe().map_err(os)?)
        .arg(CHILD_COMMAND)
        .arg(std::process::id().to_string())
        .arg(format!("{addr:#x}"))
        .arg(if write { "write" } else { "read" })
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(os)?;
    let deadline = Instant::now() + CHILD_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(os)? {
            break status;
        }
        if Instant::now() >= deadline {
            // Our own child, not waited for yet: the handle is still its.
            let _ = child.kill();
            break child.wait().map_err(os)?;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    // Windows' exit codes are u32; std hands them over as i32.
    let code = status.code().unwrap_or(0) as u32;
    match code {
        0 => Ok(ChildEnd::Exited { code: 0 }),
        c if c >= STATUS_ERROR || c == 0x8000_0001 => Ok(ChildEnd::Exception { status: c }),
        // A Win32 error the child met before the access (OpenProcess...).
        c => Err(c as i32),
    }
}

/// The last-chance filter of the child's unhandled exception: the process
/// ends at once with the exception's code as its exit status, which is
/// what Windows does without its error box. (wine's own
/// `UnhandledExceptionFilter` ignores `SEM_NOGPFAULTERRORBOX` and starts
/// `winedbg --auto`, which waits on a crash dialog when there is a screen.)
unsafe extern "system" fn end_with_the_exception(info: *const EXCEPTION_POINTERS) -> i32 {
    // SAFETY: Windows passes the exception's pointers, valid during the call.
    let code = unsafe { info.as_ref() }
        .and_then(|i| {
            // SAFETY: as above: the record of the exception being filtered.
            unsafe { i.ExceptionRecord.as_ref() }
        })
        .map_or(0xC000_0005, |r| r.ExceptionCode as u32);
    // SAFETY: this process's pseudo-handle; ending it is the point.
    unsafe { TerminateProcess(GetCurrentProcess(), code) };
    // EXCEPTION_EXECUTE_HANDLER, if TerminateProcess came back.
    1
}

/// Could a plain load (or store, if `write`) reach a page in this state?
fn allows(mbi: &MEMORY_BASIC_INFORMATION, write: bool) -> bool {
    let protect = mbi.Protect & 0xff;
    mbi.State == MEM_COMMIT
        && if write {
            matches!(
                protect,
                windows_sys::Win32::System::Memory::PAGE_READWRITE
                    | PAGE_EXECUTE_READWRITE
                    | PAGE_WRITECOPY
                    | PAGE_EXECUTE_WRITECOPY
            )
        } else {
            !matches!(protect, PAGE_NOACCESS | 0)
        }
}

/// The child's side: reaches the byte at `addr` of process `parent`, and
/// returns its exit code: 0 if the access worked, a Win32 error code if it
/// could not look (the process is then not a lesson, just a failure). When
/// the access would fault it faults, and never returns.
pub fn child_main(parent: u32, addr: usize, write: bool) -> u32 {
    // SAFETY: no preconditions. No error box and no debugger for the
    // exception below: the process ends at once with the exception's code.
    unsafe {
        SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
        SetUnhandledExceptionFilter(Some(end_with_the_exception));
    }
    let last_error = || {
        // SAFETY: no preconditions; this thread's last error.
        unsafe { GetLastError() }
    };
    let access =
        PROCESS_QUERY_INFORMATION | PROCESS_VM_READ | PROCESS_VM_WRITE | PROCESS_VM_OPERATION;
    // SAFETY: plain call; a null handle is the failure.
    let raw = unsafe { OpenProcess(access, 0, parent) };
    if raw.is_null() {
        return last_error();
    }
    // SAFETY: a handle OpenProcess just gave us, owned here alone.
    let process = unsafe { OwnedHandle::from_raw_handle(raw as RawHandle) };
    let handle = raw;
    let mut mbi = MEMORY_BASIC_INFORMATION::default();
    let size = size_of::<MEMORY_BASIC_INFORMATION>();
    // SAFETY: a live process handle with query rights; a live struct of the
    // size given.
    if unsafe { VirtualQueryEx(handle, addr as *const c_void, &mut mbi, size) } != size {
        return last_error();
    }
    if allows(&mbi, write) {
        let (mut byte, mut done) = (1u8, 0usize);
        // SAFETY: the parent's handle with VM rights; one live byte and a
        // live count on our side; the parent's page is committed and
        // accessible (asked above).
        let ok = unsafe {
            if write {
                WriteProcessMemory(
                    handle,
                    addr as *const c_void,
                    (&raw const byte).cast(),
                    1,
                    &mut done,
                )
            } else {
                ReadProcessMemory(
                    handle,
                    addr as *const c_void,
                    (&raw mut byte).cast(),
                    1,
                    &mut done,
                )
            }
        };
        drop(process);
        return if ok != 0 && done == 1 {
            0
        } else {
            last_error()
        };
    }
    drop(process);
    // The access would fault in the parent: make it here, on a page of our
    // own in the same state and protection.
    // SAFETY: a new reservation where Windows chooses.
    let own = unsafe { VirtualAlloc(std::ptr::null(), 4096, MEM_RESERVE, PAGE_NOACCESS) };
    if own.is_null() {
        return last_error();
    }
    if mbi.State == MEM_COMMIT {
        // SAFETY: our own fresh reservation; the parent page's protection.
        if unsafe { VirtualAlloc(own, 4096, MEM_COMMIT, mbi.Protect) }.is_null() {
            return last_error();
        }
    }
    let p = own.cast::<u8>();
    // SAFETY: the fault is the point: the page does not allow this access,
    // so the CPU raises STATUS_ACCESS_VIOLATION, nothing handles it, and
    // Windows ends this process with it. No Rust code runs after it.
    unsafe {
        if write {
            p.write_volatile(1);
        } else {
            p.read_volatile();
        }
    }
    // Reached only if the page allowed it after all.
    0
}
