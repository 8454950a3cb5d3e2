//! `<corosync/evs.h>` types: corosync 1.x's extended virtual synchrony API, laid out as
//! corosync 1.x declares it so that programs built against its header run against this
//! library. cbindgen renders this file, with the functions in `crate::evs`, into
//! `include/corosync/evs.h`.

use core::ffi::{c_char, c_uint, c_ulonglong, c_void};

pub type evs_handle_t = u64;

/// The handle type of corosync 1.x's handle database, which the callbacks are given
/// (the same value as the `evs_handle_t` the handle was opened with).
pub type hdb_handle_t = u64;

sa_enums! {
    /// Asked-for ordering. Every message is delivered in agreed order, whatever is asked,
    /// as in corosync.
    pub enum evs_guarantee_t {
        /// Delivered as agreed.
        EVS_TYPE_UNORDERED = 0,
        /// Delivered as agreed.
        EVS_TYPE_FIFO = 1,
        EVS_TYPE_AGREED = 2,
        /// Delivered as agreed.
        EVS_TYPE_SAFE = 3,
    }
}

/// A group: 32 bytes compared as bytes (pad a short name with zeros).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct evs_group {
    pub key: [c_char; 32],
}

/// The ring a configuration change installs: its representative and sequence number.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct evs_ring_id {
    pub nodeid: c_uint,
    pub seq: c_ulonglong,
}

/// A message for a group the handle joined, from node `nodeid`.
pub type evs_deliver_fn_t =
    Option<unsafe extern "C" fn(handle: hdb_handle_t, nodeid: c_uint, msg: *const c_void, msg_len: usize)>;

/// A new regular configuration: its members, and who left and joined since the previous
/// one.
pub type evs_confchg_fn_t = Option<
    unsafe extern "C" fn(
        handle: hdb_handle_t,
        member_list: *const c_uint,
        member_list_entries: usize,
        left_list: *const c_uint,
        left_list_entries: usize,
        joined_list: *const c_uint,
        joined_list_entries: usize,
        ring_id: *const evs_ring_id,
    ),
>;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct evs_callbacks_t {
    pub evs_deliver_fn: evs_deliver_fn_t,
    pub evs_confchg_fn: evs_confchg_fn_t,
}
