//! The C types of the SA Forum headers, `#[repr(C)]` and laid out exactly as C sees them.
//!
//! This module is self-contained (it names only `core` and its own submodules) because two
//! tools read it on their own: cbindgen renders `include/saAis.h` and `include/saClm.h` from
//! `ais.rs` and `clm.rs`, and the layout test expands this file as a crate root to compare
//! every type and constant with the committed headers.
//!
//! C enums are never Rust enums here. A C caller may pass any integer where an enum is
//! declared, and a Rust enum holding an undeclared value is undefined behaviour, so each enum
//! is its integer type plus one constant per enumerator. [`sa_enums!`] declares both from a
//! single list and also records the list, from which the header generator writes the C
//! `typedef enum { ... } SaXxxT;` declarations: one source, so the two cannot drift.

#![allow(non_camel_case_types, non_snake_case)]

/// One C `typedef enum`, as the header generator renders it.
#[derive(Debug)]
pub struct CEnum {
    pub name: &'static str,
    /// The doc comment lines of the enum (each as written after `///`).
    pub doc: &'static [&'static str],
    pub variants: &'static [CEnumVariant],
}

/// One enumerator of a [`CEnum`].
#[derive(Debug)]
pub struct CEnumVariant {
    pub name: &'static str,
    pub value: core::ffi::c_uint,
    pub doc: &'static [&'static str],
}

/// Declares C enums as `pub type Name = c_uint` plus one `pub const` per enumerator, and a
/// `c_enums()` list of them for the header generator.
///
/// The type is `c_uint` because that is the type GCC and Clang give an enum whose values
/// are all non-negative (as every SA Forum enum's are); a negative value fails to compile.
macro_rules! sa_enums {
    ($(
        $(#[doc = $edoc:literal])*
        pub enum $name:ident {
            $( $(#[doc = $vdoc:literal])* $variant:ident = $value:literal ),+ $(,)?
        }
    )+) => {
        $(
            $(#[doc = $edoc])*
            ///
            /// A C enum, held as its integer type: C may pass any value.
            pub type $name = core::ffi::c_uint;
            $(
                $(#[doc = $vdoc])*
                pub const $variant: $name = $value;
            )+
        )+

        /// The C enums declared in this module, in declaration order.
        pub fn c_enums() -> &'static [super::CEnum] {
            &[$(
                super::CEnum {
                    name: stringify!($name),
                    doc: &[$($edoc),*],
                    variants: &[$(
                        super::CEnumVariant {
                            name: stringify!($variant),
                            value: $variant,
                            doc: &[$($vdoc),*],
                        }
                    ),+],
                }
            ),+]
        }
    };
}

pub mod ais;
pub mod ckpt;
pub mod clm;
pub mod corotypes;
pub mod cpg;
pub mod evs;
pub mod evt;
pub mod lck;
pub mod msg;
pub mod tmr;
