use super::*;

fn key(b: u8) -> Vec<u8> {
    (0..128u32).map(|i| (i as u8).wrapping_mul(31) ^ b).collect()
}

fn pair() -> (Sealed, Sealed) {
    (Sealed::new(&key(1)).unwrap(), Sealed::new(&key(1)).unwrap())
}

/// A small deterministic generator, so failures repeat.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn round_trip_and_overhead() {
    let (mut a, mut b) = pair();
    for len in [0usize, 1, 15, 16, 17, 100, 1400, 9000] {
        let d: Bytes = (0..len).map(|i| i as u8).collect::<Vec<_>>().into();
        let w = a.seal(d.clone());
        assert_eq!(w.len(), d.len() + OVERHEAD);
        assert_eq!(w[0], VERSION);
        if len >= 16 {
            assert_ne!(&w[HEADER_LEN..HEADER_LEN + len], &d[..], "body is encrypted");
        }
        assert_eq!(b.open(&w), Some(d));
    }
    assert!(OVERHEAD <= 48, "the core leaves 48 bytes for the envelope");
    assert_eq!(OVERHEAD, 29);
    assert_eq!(b.dropped(), Dropped::default());
}

#[test]
fn any_flipped_byte_is_rejected() {
    let (mut a, mut b) = pair();
    let w = a.seal(Bytes::from_static(b"a totem datagram of some length"));
    for i in 0..w.len() {
        for bit in [0x01u8, 0x80] {
            let mut t = w.to_vec();
            t[i] ^= bit;
            assert_eq!(b.open(&t), None, "byte {i} bit {bit:#x}");
        }
    }
    // Truncated or extended.
    assert_eq!(b.open(&w[..w.len() - 1]), None);
    let mut longer = w.to_vec();
    longer.push(0);
    assert_eq!(b.open(&longer), None);
    assert!(b.dropped().bad >= 2 * w.len() as u64);
    assert_eq!(b.dropped().replayed, 0);
    // The original still opens: nothing forged moved the window.
    assert!(b.open(&w).is_some());
}

#[test]
fn wrong_key_is_rejected() {
    let mut a = Sealed::new(&key(1)).unwrap();
    let mut other = Sealed::new(&key(2)).unwrap();
    let w = a.seal(Bytes::from_static(b"hello"));
    assert_eq!(other.open(&w), None);
    assert_eq!(other.dropped().bad, 1);
    // A key differing in its last byte only.
    let mut k = key(1);
    *k.last_mut().unwrap() ^= 1;
    assert_eq!(Sealed::new(&k).unwrap().open(&w), None);
}

#[test]
fn replay_is_rejected() {
    let (mut a, mut b) = pair();
    let w = a.seal(Bytes::from_static(b"once"));
    assert!(b.open(&w).is_some());
    assert_eq!(b.open(&w), None);
    assert_eq!(b.open(&w), None);
    assert_eq!(b.dropped(), Dropped { bad: 0, replayed: 2 });
}

#[test]
fn window_accepts_reordering_and_slides() {
    let (mut a, mut b) = pair();
    let ws: Vec<Bytes> = (0..3000u32)
        .map(|i| a.seal(Bytes::from(i.to_be_bytes().to_vec())))
        .collect();
    // Out of order within the window: all accepted once.
    for i in (0..1024).rev() {
        assert!(b.open(&ws[i]).is_some(), "{i}");
    }
    for i in 0..1024 {
        assert_eq!(b.open(&ws[i]), None, "{i} again");
    }
    // Jump ahead by less than the window: the gap stays open, the oldest
    // fall out.
    assert!(b.open(&ws[1500]).is_some());
    assert_eq!(b.open(&ws[476]), None, "older than the window");
    assert_eq!(b.open(&ws[477]), None, "seen, still inside");
    for i in 1024..1500 {
        assert!(b.open(&ws[i]).is_some(), "{i} in the gap");
    }
    // Jump ahead by more than the window.
    assert!(b.open(&ws[2999]).is_some());
    assert_eq!(b.open(&ws[1975]), None, "older than the window");
    assert!(b.open(&ws[1976]).is_some(), "the oldest inside the window");
    assert_eq!(b.open(&ws[1500]), None);
}

#[test]
fn window_unit() {
    let mut w = ReplayWindow::new(5000);
    assert!(!w.fresh(5000));
    assert!(w.fresh(4999) && w.fresh(5000 - WINDOW + 1));
    assert!(!w.fresh(5000 - WINDOW));
    w.accept(5000 + WINDOW - 1);
    assert!(w.fresh(5000 + 1) && !w.fresh(5000));
    w.accept(5000 + 10 * WINDOW);
    assert!(w.fresh(5000 + 9 * WINDOW + 1));
    assert!(!w.fresh(5000 + 9 * WINDOW));
}

#[test]
fn nonces_are_unique() {
    let mut a = Sealed::new(&key(1)).unwrap();
    let mut b = Sealed::new(&key(1)).unwrap();
    let mut seen = std::collections::HashSet::new();
    for _ in 0..10_000 {
        for c in [&mut a, &mut b] {
            let w = c.seal(Bytes::from_static(b"x"));
            assert!(seen.insert(w[1..HEADER_LEN].to_vec()), "nonce reused");
        }
    }
    assert_ne!(a.salt, b.salt, "two processes draw the same salt (1 in 2^32)");
}

#[test]
fn many_senders_are_tracked_and_bounded() {
    let mut b = Sealed::new(&key(1)).unwrap();
    let first = Sealed::new(&key(1)).unwrap().seal(Bytes::from_static(b"first"));
    assert!(b.open(&first).is_some());
    for _ in 0..MAX_SALTS + 10 {
        let mut s = Sealed::new(&key(1)).unwrap();
        assert!(b.open(&s.seal(Bytes::from_static(b"x"))).is_some());
    }
    assert!(b.windows.len() <= MAX_SALTS);
}

#[test]
fn garbage_never_panics() {
    let (mut a, mut b) = pair();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let valid = a.seal(Bytes::from_static(b"a valid datagram to mutate"));
    for round in 0..20_000 {
        let len = (rng.next() % 200) as usize;
        let mut buf: Vec<u8> = if round % 2 == 0 {
            (0..len).map(|_| rng.next() as u8).collect()
        } else {
            let mut v = valid.to_vec();
            let n = 1 + rng.next() % 4;
            for _ in 0..n {
                let i = (rng.next() as usize) % v.len();
                v[i] ^= 1 + (rng.next() % 255) as u8;
            }
            v.truncate((rng.next() as usize) % (v.len() + 1));
            v
        };
        if round % 3 == 0 && !buf.is_empty() {
            buf[0] = VERSION;
        }
        assert_eq!(b.open(&buf), None);
    }
    assert!(b.open(&valid).is_some());
}

#[test]
fn key_derivation_is_fixed() {
    // HKDF-SHA256(ikm = key, salt = none, info = LABEL): the same on every
    // node and every build; a change here breaks the wire.
    let k = derive_key(&key(1)).unwrap();
    assert_eq!(k, derive_key(&key(1)).unwrap());
    assert_ne!(k, derive_key(&key(2)).unwrap());
    assert_ne!(&k[..], &key(1)[..32]);
}

/// `cargo test --release -p ais-exec --lib seal_open_speed -- --ignored --nocapture`
#[test]
#[ignore]
fn seal_open_speed() {
    let (mut a, mut b) = pair();
    let d = Bytes::from(vec![0x5a; 1400]);
    let n = 1_000_000u32;
    let t = Instant::now();
    for _ in 0..n {
        let w = a.seal(d.clone());
        assert!(b.open(&w).is_some());
    }
    let ns = t.elapsed().as_nanos() / u128::from(n);
    eprintln!("seal+open of 1400 bytes: {ns} ns per datagram");
}

/// aisexec(8) describes secauth as it is built: the figures it gives are
/// this module's (and the key file rules authkey's), and it no longer says
/// that traffic is unauthenticated.
#[test]
fn the_manual_page_describes_what_is_built() {
    let page = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../man/aisexec.8")).unwrap();
    // groff source: undo the escapes the figures may carry, and the line
    // breaks a phrase may straddle.
    let text = page
        .replace("\\-", "-")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for fact in [
        "AES-256-GCM".to_string(),
        "HKDF-SHA256".to_string(),
        "OpenSSL".to_string(),
        format!("{OVERHEAD}-byte envelope"),
        format!("{HEADER_LEN} header bytes"),
        format!("{TAG_LEN}-byte GCM tag"),
        format!("the {WINDOW} counters below it"),
        format!("at most {MAX_SALTS} salts"),
        format!(
            "{} to {} bytes",
            crate::daemon::authkey::MIN_LEN,
            crate::daemon::authkey::MAX_LEN
        ),
        "regular file".to_string(),
        "secauth is off".to_string(),
    ] {
        assert!(text.contains(&fact), "aisexec(8) does not say '{fact}'");
    }
    for wrong in ["not authenticated yet", "not implemented yet"] {
        assert!(!text.contains(wrong), "aisexec(8) still says '{wrong}'");
    }
}
