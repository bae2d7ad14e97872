//! Facts about the machine for benchmark reports (CPU, OS, allocator
//! versions) and the page-fault counters the benchmarks read.

use serde::Serialize;

use super::{LIBMIMALLOC_SYS_VERSION, TALC_VERSION};

/// Minor and major page faults so far, of the calling thread on Linux
/// (`RUSAGE_THREAD`), of the process on other Unixes (`RUSAGE_SELF`);
/// `None` where not available (Windows).
pub fn page_faults() -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        #[cfg(target_os = "linux")]
        let who = libc::RUSAGE_THREAD;
        #[cfg(not(target_os = "linux"))]
        let who = libc::RUSAGE_SELF;
        // SAFETY: getrusage only writes the struct we pass; all-zero is a
        // valid `rusage` value.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: valid pointer to a properly sized, writable struct.
        if unsafe { libc::getrusage(who, &mut ru) } == 0 {
            return Some((ru.ru_minflt as u64, ru.ru_majflt as u64));
        }
        None
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Does [`page_faults`] count only the calling thread?
pub const PAGE_FAULTS_PER_THREAD: bool = cfg!(target_os = "linux");

/// The OS page size (what `touch` writes one byte per).
pub fn page_size() -> usize {
    region::page::size()
}

/// CPU model name ("model name" of /proc/cpuinfo on Linux), else arch.
pub fn cpu_model() -> String {
    #[cfg(target_os = "linux")]
    {
        use procfs::Current;
        if let Some(m) = procfs::CpuInfo::current()
            .ok()
            .and_then(|info| info.model_name(0).map(str::to_owned))
        {
            return m;
        }
    }
    format!("unknown {} CPU", std::env::consts::ARCH)
}

/// Logical CPUs available to this process.
pub fn cpu_count() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// OS name, distribution and kernel where known, e.g.
/// "linux x86_64, Debian GNU/Linux 12 (bookworm), kernel 6.1.0".
pub fn os_description() -> String {
    let s = format!("{} {}", std::env::consts::OS, std::env::consts::ARCH);
    #[cfg(target_os = "linux")]
    let s = with_linux_release(s);
    s
}

/// `s` with the distribution and the kernel release.
#[cfg(target_os = "linux")]
fn with_linux_release(mut s: String) -> String {
    if let Ok(text) = std::fs::read_to_string("/etc/os-release")
        && let Some(v) = text.lines().find_map(|l| l.strip_prefix("PRETTY_NAME="))
    {
        s.push_str(", ");
        s.push_str(v.trim_matches('"'));
    }
    if let Ok(v) = procfs::sys::kernel::Version::current() {
        s.push_str(&format!(", kernel {}.{}.{}", v.major, v.minor, v.patch));
    }
    s
}

/// C library version: glibc's `gnu_get_libc_version()` on linux-gnu.
pub fn libc_version() -> Option<String> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: returns a pointer to a static NUL-terminated string.
        let v = unsafe { std::ffi::CStr::from_ptr(libc::gnu_get_libc_version()) };
        Some(format!("glibc {}", v.to_string_lossy()))
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        None
    }
}

/// Version of the mimalloc C library linked in, e.g. "3.3.2".
pub fn mimalloc_c_version() -> String {
    // SAFETY: plain getter without preconditions.
    let v = unsafe { libmimalloc_sys::mi_version() };
    // Encoded as major, 2 digits minor, 2 digits patch (mimalloc.h).
    format!("{}.{}.{}", v / 10000, (v / 100) % 100, v % 100)
}

/// Everything a benchmark report names.
#[derive(Clone, Debug, Serialize)]
pub struct SystemInfo {
    /// CPU model.
    pub cpu: String,
    /// Logical CPUs.
    pub cpus: usize,
    /// OS, distribution, kernel.
    pub os: String,
    /// C library (default manager) version, if known.
    pub libc: Option<String>,
    /// Version of libmimalloc-sys, the crate that builds mimalloc.
    pub libmimalloc_sys: &'static str,
    /// mimalloc C library version.
    pub mimalloc_c: String,
    /// talc crate version (private heap).
    pub talc: &'static str,
    /// Page size in bytes.
    pub page_size: usize,
}

impl SystemInfo {
    /// Gather the facts (reads a few files on Linux).
    pub fn collect() -> Self {
        Self {
            cpu: cpu_model(),
            cpus: cpu_count(),
            os: os_description(),
            libc: libc_version(),
            libmimalloc_sys: LIBMIMALLOC_SYS_VERSION,
            mimalloc_c: mimalloc_c_version(),
            talc: TALC_VERSION,
            page_size: page_size(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_are_present() {
        let i = SystemInfo::collect();
        assert!(!i.cpu.is_empty() && !i.os.is_empty());
        assert!(i.page_size >= 4096);
        assert!(
            ["2.", "3."].iter().any(|p| i.mimalloc_c.starts_with(p)) && i.mimalloc_c.len() <= 8,
            "{}",
            i.mimalloc_c
        );
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        assert!(i.libc.unwrap().starts_with("glibc 2."));
        #[cfg(unix)]
        {
            let (a, _) = page_faults().unwrap();
            let v = vec![1u8; 8 << 20];
            std::hint::black_box(&v);
            let (b, _) = page_faults().unwrap();
            assert!(b > a, "touching 8 MiB causes minor faults");
        }
    }
}
