//! Every handle table's tag, in one place.
//!
//! A handle is `tag << 48 | sequence` (see `handles::HandleTable`): the tag names the table,
//! so a handle of one kind passed where another is expected is a bad handle, never another
//! table's state. Tags must differ; a new service takes the next free ones here.

pub const CLM: u16 = 0x0001;
pub const CKPT: u16 = 0x0002;
pub const CKPT_CHECKPOINT: u16 = 0x0202;
pub const CKPT_ITERATION: u16 = 0x0203;
pub const EVT: u16 = 0x0003;
pub const EVT_CHANNEL: u16 = 0x0303;
pub const EVT_EVENT: u16 = 0x0304;
pub const TMR: u16 = 0x0006;
pub const LCK: u16 = 0x0004;
pub const LCK_RESOURCE: u16 = 0x0404;
pub const MSG: u16 = 0x0005;
pub const MSG_QUEUE: u16 = 0x0205;
pub const CPG: u16 = 0x0C96;
pub const CPG_ITERATION: u16 = 0x0C97;
pub const EVS: u16 = 0x0E75;

/// Every tag, with the table it names.
pub const ALL: &[(&str, u16)] = &[
    ("CLM", CLM),
    ("CKPT", CKPT),
    ("CKPT_CHECKPOINT", CKPT_CHECKPOINT),
    ("CKPT_ITERATION", CKPT_ITERATION),
    ("EVT", EVT),
    ("EVT_CHANNEL", EVT_CHANNEL),
    ("EVT_EVENT", EVT_EVENT),
    ("TMR", TMR),
    ("LCK", LCK),
    ("LCK_RESOURCE", LCK_RESOURCE),
    ("MSG", MSG),
    ("MSG_QUEUE", MSG_QUEUE),
    ("CPG", CPG),
    ("CPG_ITERATION", CPG_ITERATION),
    ("EVS", EVS),
];
