//! The labs' ids: what `--lab` and `screenshot --lab` take (clap checks
//! them, listing the ids, without building the shell), what each lab's
//! `Lab::id` is, and what the settings remember (as text: a saved id this
//! memlab does not know, e.g. from a newer one, shows the first lab). The
//! ids are the variants' names in kebab case (`alloc-bench`). No UI here:
//! the command line uses it too.

use std::fmt;

use clap::ValueEnum;

/// One lab of the shell. The shell's list of labs (`app::MemlabApp`) has
/// each exactly once, in this order (a test checks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
pub enum LabId {
    /// The shared text box (SampleMMF).
    Shared,
    /// The allocation benchmark (ExamTst2).
    AllocBench,
    /// The memory managers' live panel.
    MemoryManagers,
    /// GetSystemInfo and the memory figures.
    Sysinfo,
    /// GlobalAlloc and friends (LocalAlloc is the same heap).
    Global,
    /// VirtualAlloc and friends, page by page.
    PageLab,
    /// The address-space map (like VMMap).
    AddressMap,
    /// HeapCreate and friends: private heaps.
    Heap,
    /// The file mapping of §8.
    Filemap,
    /// The book's LockMap mutex.
    Mutex,
    /// ShareMem: a library's memory manager and the program's.
    Sharemem,
}

impl LabId {
    /// Every lab, in the shell's order.
    pub fn all() -> &'static [LabId] {
        Self::value_variants()
    }

    /// The lab with the id `id` (as `--lab` takes it), if there is one.
    pub fn from_id(id: &str) -> Option<Self> {
        <Self as ValueEnum>::from_str(id, false).ok()
    }
}

/// The id as `--lab` takes it: `shared`, `alloc-bench`, ...
impl fmt::Display for LabId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = self
            .to_possible_value()
            .expect("no lab is left out of the command line");
        f.write_str(value.get_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_back_as_themselves() {
        for &id in LabId::all() {
            assert_eq!(LabId::from_id(&id.to_string()), Some(id));
        }
        assert_eq!(LabId::AllocBench.to_string(), "alloc-bench");
        assert_eq!(LabId::from_id("nope"), None);
        assert_eq!(LabId::from_id(""), None);
    }
}
