//! The virtual-memory labs (§1 and §3 of the chapter): system information
//! (`system_info`), the page lab (`page_lab`) and the address-space map
//! (`address_map`), with their shared texts (`messages`) and colours
//! (`colors`).

// The page lab and the map are not on Windows yet (docs/windows.md).
#[cfg(target_os = "linux")]
pub mod address_map;
#[cfg(target_os = "linux")]
pub mod colors;
pub mod messages;
#[cfg(target_os = "linux")]
pub mod page_lab;
pub mod system_info;
