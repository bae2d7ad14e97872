//! The building blocks any Unix has: copies that report a bad address
//! instead of faulting (`probe`; its cross-process part is Linux's
//! `process_vm_readv`), and the file size limit and its signal
//! (`file_size_limit`), and the CPU time used (`clock`).

pub mod clock;
pub mod commit;
pub mod file_size_limit;
pub mod probe;
