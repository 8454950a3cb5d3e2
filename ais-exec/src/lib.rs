//! aisexec, the AIS executive, as a library: the binary and the tools are thin
//! wrappers over these modules, which keeps them testable.

pub mod cluster_xml;
pub mod config;
pub mod daemon;
pub mod ipc;
pub mod services;
pub mod tool_args;
pub mod tool_output;
