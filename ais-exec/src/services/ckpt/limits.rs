//! The executive's own limits on checkpoints, beyond each checkpoint's
//! creation attributes: past one a change is answered
//! `SA_AIS_ERR_NO_RESOURCES`. Every node of a cluster must use the same
//! values (they decide results that are replicated); the `checkpoint { }`
//! section of openais.conf sets them.

/// Checkpoints the cluster holds at most.
pub const MAX_CHECKPOINTS: usize = 1 << 16;
/// Sections of all checkpoints together.
pub const MAX_SECTIONS_TOTAL: u64 = 1 << 20;
/// Section data and ids of all checkpoints together, with what is staged.
pub const MAX_STORE_BYTES: u64 = 1 << 30;
/// Bytes of pieced changes staged for one sending node.
pub const MAX_STAGED_PER_NODE: u64 = 64 << 20;
/// Bytes of pieced changes staged for all nodes together.
pub const MAX_STAGED_TOTAL: u64 = 256 << 20;
/// Checkpoints one connection may have open at once.
pub const MAX_OPENS_PER_CONN: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CkptLimits {
    pub max_checkpoints: usize,
    pub max_sections_total: u64,
    pub max_store_bytes: u64,
    pub max_staged_per_node: u64,
    pub max_staged_total: u64,
    pub max_opens_per_conn: usize,
}

impl Default for CkptLimits {
    fn default() -> Self {
        CkptLimits {
            max_checkpoints: MAX_CHECKPOINTS,
            max_sections_total: MAX_SECTIONS_TOTAL,
            max_store_bytes: MAX_STORE_BYTES,
            max_staged_per_node: MAX_STAGED_PER_NODE,
            max_staged_total: MAX_STAGED_TOTAL,
            max_opens_per_conn: MAX_OPENS_PER_CONN,
        }
    }
}
