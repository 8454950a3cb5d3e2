//! The C ABI of the AIS libraries.
