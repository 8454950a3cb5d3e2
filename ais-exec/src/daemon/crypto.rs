//! `secauth`: every datagram sealed with AES-256-GCM under a key derived
//! from the cluster authkey.
//!
//! The envelope (29 bytes, within the 48 the core leaves for it):
//!
//! ```text
//! offset  size  field
//!      0     1  version (1)
//!      1     4  salt: random per process, big endian
//!      5     8  counter: per process, big endian, +1 per datagram
//!     13     n  the Totem datagram, encrypted
//!   13+n    16  GCM tag
//! ```
//!
//! The nonce is salt ‖ counter (96 bits). The 13 header bytes are the
//! additional authenticated data, so version, salt and counter cannot be
//! changed either. The counter starts at a random 63-bit value, not 0, so a
//! restarted process that happens to draw an old salt still does not reuse a
//! nonce in practice.
//!
//! Replay: for every salt seen (bounded; least recently used forgotten) the
//! receiver keeps the highest counter and a bitmap of the 1024 below it. A
//! counter seen already, or older than the window, is dropped. Only
//! authenticated datagrams move a window.

use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes, BytesMut};
use openssl::cipher::Cipher;
use openssl::cipher_ctx::CipherCtx;
use openssl::md::Md;
use openssl::pkey::Id;
use openssl::pkey_ctx::PkeyCtx;

use super::codec::{Codec, Dropped};

pub const VERSION: u8 = 1;
const SALT_LEN: usize = 4;
const COUNTER_LEN: usize = 8;
pub const HEADER_LEN: usize = 1 + SALT_LEN + COUNTER_LEN;
pub const TAG_LEN: usize = 16;
/// Bytes the envelope adds to a datagram.
pub const OVERHEAD: usize = HEADER_LEN + TAG_LEN;
/// Counters tracked below the highest one seen, per salt.
pub const WINDOW: u64 = 1024;
/// Senders (process incarnations) whose windows are kept.
const MAX_SALTS: usize = 256;
/// The HKDF info: a key for this use only, and a new label for a new format.
const LABEL: &[u8] = b"openais-rs totem v1";
const BAD_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// The 32-byte datagram key for an authkey (HKDF-SHA256, no salt, LABEL).
pub fn derive_key(authkey: &[u8]) -> Result<[u8; 32], openssl::error::ErrorStack> {
    let mut ctx = PkeyCtx::new_id(Id::HKDF)?;
    ctx.derive_init()?;
    ctx.set_hkdf_md(Md::sha256())?;
    ctx.set_hkdf_key(authkey)?;
    ctx.add_hkdf_info(LABEL)?;
    let mut key = [0u8; 32];
    ctx.derive(Some(&mut key))?;
    Ok(key)
}

/// Which counters of one sender have been seen.
#[derive(Debug, Clone)]
struct ReplayWindow {
    top: u64,
    /// Bit `c % WINDOW` is set when counter c (top - WINDOW < c <= top) was seen.
    bits: [u64; (WINDOW / 64) as usize],
}

impl ReplayWindow {
    fn new(first: u64) -> ReplayWindow {
        let mut w = ReplayWindow {
            top: first,
            bits: [0; (WINDOW / 64) as usize],
        };
        w.set(first);
        w
    }

    fn bit(c: u64) -> (usize, u64) {
        let i = c % WINDOW;
        ((i / 64) as usize, 1u64 << (i % 64))
    }

    fn set(&mut self, c: u64) {
        let (w, m) = Self::bit(c);
        self.bits[w] |= m;
    }

    /// Whether `c` would be accepted (new and within the window).
    fn fresh(&self, c: u64) -> bool {
        if c > self.top {
            return true;
        }
        if self.top - c >= WINDOW {
            return false;
        }
        let (w, m) = Self::bit(c);
        self.bits[w] & m == 0
    }

    /// Records `c`, which `fresh` accepted.
    fn accept(&mut self, c: u64) {
        if c > self.top {
            let gap = c - self.top;
            if gap >= WINDOW {
                self.bits = [0; (WINDOW / 64) as usize];
            } else {
                // Clear the slots the window slides over (they now stand for
                // counters not seen yet).
                for k in self.top + 1..c {
                    let (w, m) = Self::bit(k);
                    self.bits[w] &= !m;
                }
                let (w, m) = Self::bit(c);
                self.bits[w] &= !m;
            }
            self.top = c;
        }
        self.set(c);
    }
}

/// The AES-256-GCM codec.
pub struct Sealed {
    enc: CipherCtx,
    dec: CipherCtx,
    salt: [u8; SALT_LEN],
    counter: u64,
    /// (salt, window, last use), at most MAX_SALTS.
    windows: Vec<(u32, ReplayWindow, u64)>,
    uses: u64,
    dropped: Dropped,
    bad_logged_at: Option<Instant>,
    bad_since_log: u64,
}

impl Sealed {
    /// A codec for the cluster key `authkey` (the file's bytes).
    pub fn new(authkey: &[u8]) -> Result<Sealed, openssl::error::ErrorStack> {
        let key = derive_key(authkey)?;
        let mut enc = CipherCtx::new()?;
        enc.encrypt_init(Some(Cipher::aes_256_gcm()), Some(&key), None)?;
        let mut dec = CipherCtx::new()?;
        dec.decrypt_init(Some(Cipher::aes_256_gcm()), Some(&key), None)?;
        let mut salt = [0u8; SALT_LEN];
        openssl::rand::rand_bytes(&mut salt)?;
        let mut start = [0u8; 8];
        openssl::rand::rand_bytes(&mut start)?;
        Ok(Sealed {
            enc,
            dec,
            salt,
            // 2^63 datagrams before it could wrap.
            counter: u64::from_be_bytes(start) >> 1,
            windows: Vec::new(),
            uses: 0,
            dropped: Dropped::default(),
            bad_logged_at: None,
            bad_since_log: 0,
        })
    }

    fn nonce(salt: &[u8], counter: &[u8]) -> [u8; 12] {
        let mut n = [0u8; 12];
        n[..SALT_LEN].copy_from_slice(salt);
        n[SALT_LEN..].copy_from_slice(counter);
        n
    }

    fn try_seal(&mut self, datagram: &[u8]) -> Result<Bytes, openssl::error::ErrorStack> {
        let counter = self.counter;
        self.counter = self.counter.wrapping_add(1);
        let mut out = BytesMut::with_capacity(OVERHEAD + datagram.len());
        out.put_u8(VERSION);
        out.put_slice(&self.salt);
        out.put_u64(counter);
        out.put_slice(datagram);
        out.put_bytes(0, TAG_LEN);
        let nonce = Self::nonce(&self.salt, &counter.to_be_bytes());
        self.enc.encrypt_init(None, None, Some(&nonce))?;
        let (header, rest) = out.split_at_mut(HEADER_LEN);
        self.enc.cipher_update(header, None)?;
        let (body, tag) = rest.split_at_mut(datagram.len());
        self.enc.cipher_update_inplace(body, body.len())?;
        self.enc.cipher_final(&mut [])?;
        self.enc.tag(tag)?;
        Ok(out.freeze())
    }

    fn decrypt(&mut self, wire: &[u8]) -> Option<Bytes> {
        let (header, rest) = wire.split_at(HEADER_LEN);
        let (body, tag) = rest.split_at(rest.len() - TAG_LEN);
        let nonce = Self::nonce(&header[1..1 + SALT_LEN], &header[1 + SALT_LEN..]);
        let mut out = BytesMut::from(body);
        let ok = (|| -> Result<(), openssl::error::ErrorStack> {
            self.dec.decrypt_init(None, None, Some(&nonce))?;
            self.dec.set_tag(tag)?;
            self.dec.cipher_update(header, None)?;
            self.dec.cipher_update_inplace(&mut out, body.len())?;
            self.dec.cipher_final(&mut [])?;
            Ok(())
        })();
        ok.ok().map(|()| out.freeze())
    }

    fn window(&self, salt: u32) -> Option<usize> {
        self.windows.iter().position(|(s, _, _)| *s == salt)
    }

    fn bad(&mut self) {
        self.dropped.bad += 1;
        self.bad_since_log += 1;
        let now = Instant::now();
        if self
            .bad_logged_at
            .is_none_or(|t| now.duration_since(t) >= BAD_LOG_INTERVAL)
        {
            log::warn!(
                target: "NET",
                "invalid digest: keys differ between nodes? ({} datagrams dropped since the last report, {} in all)",
                self.bad_since_log,
                self.dropped.bad
            );
            self.bad_logged_at = Some(now);
            self.bad_since_log = 0;
        }
    }
}

impl Codec for Sealed {
    fn seal(&mut self, datagram: Bytes) -> Bytes {
        // Failing here means OpenSSL itself is broken; no datagram is
        // better than one in the clear. The peers see a lost datagram.
        self.try_seal(&datagram).unwrap_or_else(|e| {
            log::error!(target: "NET", "sealing a datagram: {e}");
            Bytes::new()
        })
    }

    fn open(&mut self, wire: &[u8]) -> Option<Bytes> {
        if wire.len() < OVERHEAD || wire[0] != VERSION {
            self.bad();
            return None;
        }
        let salt = u32::from_be_bytes(wire[1..5].try_into().ok()?);
        let counter = u64::from_be_bytes(wire[5..13].try_into().ok()?);
        let slot = self.window(salt);
        // A cheap refusal first; the window only moves once the tag holds.
        if let Some(i) = slot {
            if !self.windows[i].1.fresh(counter) {
                self.dropped.replayed += 1;
                return None;
            }
        }
        let Some(datagram) = self.decrypt(wire) else {
            self.bad();
            return None;
        };
        self.uses += 1;
        match slot {
            Some(i) => {
                self.windows[i].1.accept(counter);
                self.windows[i].2 = self.uses;
            }
            None => {
                if self.windows.len() >= MAX_SALTS {
                    let oldest = (0..self.windows.len()).min_by_key(|&i| self.windows[i].2).unwrap_or(0);
                    self.windows.swap_remove(oldest);
                }
                self.windows.push((salt, ReplayWindow::new(counter), self.uses));
            }
        }
        Some(datagram)
    }

    fn name(&self) -> &'static str {
        "AES-256-GCM with the authkey (secauth on)"
    }

    fn dropped(&self) -> Dropped {
        self.dropped
    }
}

#[cfg(test)]
mod tests;
