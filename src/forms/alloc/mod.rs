//! The allocation labs (§6 and §7 of the chapter): the GetMem/FreeMem
//! benchmark with its sweep (`bench`) and the memory managers' live panel
//! (`memory_managers`), with their colours (`colors`).

pub mod bench;
pub mod colors;
pub mod memory_managers;
