//! The virtual-memory labs (§1 and §3 of the chapter): system information
//! (`system_info`), the page lab (`page_lab`) and the address-space map
//! (`address_map`), with their shared texts (`messages`) and colours
//! (`colors`).

pub mod address_map;
pub mod colors;
pub mod messages;
pub mod page_lab;
pub mod system_info;
