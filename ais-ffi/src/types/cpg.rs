//! `<corosync/cpg.h>` types: corosync 3's closed process group API, laid out as corosync
//! declares it so that programs built against corosync's header run against this library.
//! cbindgen renders this file, with the functions in `crate::cpg`, into
//! `include/corosync/cpg.h`.

use core::ffi::{c_char, c_uint, c_void};

pub type cpg_handle_t = u64;
pub type cpg_iteration_handle_t = u64;

sa_enums! {
    pub enum cpg_guarantee_t {
        /// Delivered as agreed.
        CPG_TYPE_UNORDERED = 0,
        /// Delivered as agreed.
        CPG_TYPE_FIFO = 1,
        CPG_TYPE_AGREED = 2,
        /// Delivered as agreed.
        CPG_TYPE_SAFE = 3,
    }

    pub enum cpg_flow_control_state_t {
        /// New messages may be sent.
        CPG_FLOW_CONTROL_DISABLED = 0,
        /// The executive is holding senders back: new messages meet `CS_ERR_TRY_AGAIN`.
        CPG_FLOW_CONTROL_ENABLED = 1,
    }

    pub enum cpg_reason_t {
        CPG_REASON_UNDEFINED = 0,
        CPG_REASON_JOIN = 1,
        CPG_REASON_LEAVE = 2,
        CPG_REASON_NODEDOWN = 3,
        CPG_REASON_NODEUP = 4,
        CPG_REASON_PROCDOWN = 5,
    }

    pub enum cpg_iteration_type_t {
        CPG_ITERATION_NAME_ONLY = 1,
        CPG_ITERATION_ONE_GROUP = 2,
        CPG_ITERATION_ALL = 3,
    }

    pub enum cpg_model_t {
        CPG_MODEL_V1 = 1,
    }
}

/// A group member: a process on a node, with why it joined or left.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct cpg_address {
    pub nodeid: u32,
    pub pid: u32,
    /// A `cpg_reason_t`.
    pub reason: u32,
}

pub const CPG_MAX_NAME_LENGTH: usize = 128;

/// A group name: `length` bytes of `value`, not NUL-terminated.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct cpg_name {
    pub length: u32,
    pub value: [c_char; CPG_MAX_NAME_LENGTH],
}

/// Most members a membership list or callback reports.
pub const CPG_MEMBERS_MAX: usize = 128;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct cpg_iteration_description_t {
    pub group: cpg_name,
    pub nodeid: u32,
    pub pid: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct cpg_ring_id {
    pub nodeid: u32,
    pub seq: u64,
}

/// A message for the group; `msg` may be modified in place (e.g. byte-swapped).
pub type cpg_deliver_fn_t = Option<
    unsafe extern "C" fn(
        handle: cpg_handle_t,
        group_name: *const cpg_name,
        nodeid: u32,
        pid: u32,
        msg: *mut c_void,
        msg_len: usize,
    ),
>;

pub type cpg_confchg_fn_t = Option<
    unsafe extern "C" fn(
        handle: cpg_handle_t,
        group_name: *const cpg_name,
        member_list: *const cpg_address,
        member_list_entries: usize,
        left_list: *const cpg_address,
        left_list_entries: usize,
        joined_list: *const cpg_address,
        joined_list_entries: usize,
    ),
>;

pub type cpg_totem_confchg_fn_t = Option<
    unsafe extern "C" fn(handle: cpg_handle_t, ring_id: cpg_ring_id, member_list_entries: u32, member_list: *const u32),
>;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct cpg_callbacks_t {
    pub cpg_deliver_fn: cpg_deliver_fn_t,
    pub cpg_confchg_fn: cpg_confchg_fn_t,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct cpg_model_data_t {
    pub model: cpg_model_t,
}

/// Report the current ring to the totem callback once the handle has joined.
pub const CPG_MODEL_V1_DELIVER_INITIAL_TOTEM_CONF: c_uint = 0x01;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct cpg_model_v1_data_t {
    pub model: cpg_model_t,
    pub cpg_deliver_fn: cpg_deliver_fn_t,
    pub cpg_confchg_fn: cpg_confchg_fn_t,
    pub cpg_totem_confchg_fn: cpg_totem_confchg_fn_t,
    pub flags: c_uint,
}
