//! Bodies of the fuzz targets (`fuzz/`), kept here so a stable-Rust test runs them too.
//! Each must return normally on every input; the asserts state the format's invariants.

use crate::codec::Reader;
use crate::frame::{encode_frame, split_frame, Header, Kind, Limits, ServiceId};
use crate::handshake::Handshake;
use crate::status;

/// `data` as a byte stream, under the default limit and a tiny one: frames are split off
/// until the stream is incomplete or invalid; each one re-encodes to its own bytes (one
/// encoding per frame), is tried as a handshake (which must re-encode the same way), and
/// its payload is read field by field.
pub fn decode_frames(data: &[u8]) {
    for limits in [Limits::default(), Limits::new(64)] {
        let mut rest = data;
        while let Ok(Some((h, payload))) = split_frame(rest, &limits) {
            let bytes = &rest[..h.frame_len()];
            assert_eq!(encode_frame(&h, payload), bytes, "frame re-encoding differs");
            if let Ok(m) = Handshake::decode(&h, payload) {
                assert_eq!(m.encode(), bytes, "handshake re-encoding differs");
            }
            read_fields(payload);
            rest = &rest[h.frame_len()..];
        }
    }
}

/// `data` as the payload of every handshake kind (its first byte picks the service and a
/// status); whatever decodes must re-encode to the same frame.
pub fn decode_handshake(data: &[u8]) {
    let (sel, payload) = data.split_first().unwrap_or((&0, &[]));
    let service = ServiceId(u16::from(*sel) << 4 | 1);
    for k in 1..=8u8 {
        let Some(kind) = Kind::from_u8(k) else { continue };
        let status = match (kind, sel & 3) {
            (Kind::Refused, 0) => status::OK,
            (Kind::Refused, _) => status::ACCESS,
            (_, 3) => status::LIBRARY,
            _ => 0,
        };
        let h = Header {
            status,
            len: payload.len() as u32,
            ..Header::new(kind, service)
        };
        if let Ok(m) = Handshake::decode(&h, payload) {
            assert_eq!(m.encode(), encode_frame(&h, payload), "handshake re-encoding differs");
        }
    }
}

/// `data` as the payload of every service message the client libraries decode (what the
/// executive sends them), and of the EVS requests the executive decodes: what decodes
/// re-encodes to the same bytes, and nothing panics.
pub fn decode_service_payloads(data: &[u8]) {
    use crate::{cfg, clm, cpg, evs};
    if let Ok(c) = cpg::ConfChg::decode(data) {
        assert_eq!(c.encode(), data, "CPG confchg re-encoding differs");
    }
    if let Ok(m) = cpg::decode_members(data) {
        assert_eq!(cpg::encode_members(&m), data, "CPG member list re-encoding differs");
    }
    if let Ok(i) = cpg::decode_iteration(data) {
        assert_eq!(cpg::encode_iteration(&i), data, "CPG iteration re-encoding differs");
    }
    if let Ok(t) = cpg::TotemConf::decode(data) {
        assert_eq!(t.encode(), data, "CPG totem configuration re-encoding differs");
    }
    let mut r = Reader::new(data);
    if let (Ok(_), Ok(_), Ok(_), Ok(_)) = (cpg::group(&mut r), r.u32(), r.u32(), r.blob()) {
        // A delivery: group, node, pid, data; what follows is ignored by the library.
    }
    if let Ok(s) = cfg::RingStatus::decode(data) {
        let _ = s.encode();
    }
    if let Ok(s) = cfg::QuorumStatus::decode(data) {
        assert_eq!(s.encode(), data, "CFG quorum status re-encoding differs");
    }
    let _ = clm::ClusterNode::decode(&mut Reader::new(data));
    let _ = clm::NotificationList::decode(&mut Reader::new(data));
    if let Ok(c) = evs::ConfChg::decode(data) {
        assert_eq!(c.encode(), data, "EVS confchg re-encoding differs");
    }
    if let Ok(d) = evs::Deliver::decode(data) {
        assert_eq!(d.encode(), data, "EVS delivery re-encoding differs");
    }
    if let Ok(m) = evs::Membership::decode(data) {
        assert_eq!(m.encode(), data, "EVS membership re-encoding differs");
    }
    if let Ok(g) = evs::decode_groups(data) {
        assert_eq!(evs::encode_groups(&g), data, "EVS group list re-encoding differs");
    }
    for msg in [evs::MCAST_JOINED, evs::MCAST_GROUPS] {
        if let Ok(m) = evs::Mcast::decode(msg, data) {
            assert_eq!(m.encode(), data, "EVS multicast request re-encoding differs");
        }
    }
    decode_ckpt_payloads(data);
    decode_tmr_payloads(data);
    decode_evt_payloads(data);
    decode_lck_payloads(data);
}

/// Every LCK payload, requests and responses alike, re-encodes to its bytes.
fn decode_lck_payloads(data: &[u8]) {
    use crate::lck as l;
    use crate::message::Message;
    fn same<M: Message>(data: &[u8], what: &str) {
        if let Ok(m) = M::decode(data) {
            assert_eq!(m.encode().ok().as_deref(), Some(data), "LCK {what} re-encoding differs");
        }
    }
    same::<l::Open>(data, "open");
    same::<l::Opened>(data, "opened");
    same::<l::ResourceId>(data, "resource id");
    same::<l::Lock>(data, "lock");
    same::<l::Locked>(data, "locked");
    same::<l::LockId>(data, "lock id");
    same::<l::Unlock>(data, "unlock");
    same::<l::LimitId>(data, "limit id");
    same::<l::LimitValue>(data, "limit value");
    same::<l::OpenCallback>(data, "open callback");
    same::<l::GrantCallback>(data, "grant callback");
    same::<l::Waiter>(data, "waiter");
    same::<l::UnlockCallback>(data, "unlock callback");
    crate::msg::fuzz_decode(data);
}

/// Every TMR payload, requests and responses alike, re-encodes to its bytes.
fn decode_tmr_payloads(data: &[u8]) {
    use crate::message::Message;
    use crate::tmr as t;
    fn same<M: Message>(data: &[u8], what: &str) {
        if let Ok(m) = M::decode(data) {
            assert_eq!(m.encode().ok().as_deref(), Some(data), "TMR {what} re-encoding differs");
        }
    }
    same::<t::Attributes>(data, "attributes");
    same::<t::Start>(data, "start");
    same::<t::Started>(data, "started");
    same::<t::Reschedule>(data, "reschedule");
    same::<t::TimerId>(data, "timer id");
    same::<t::Time>(data, "time");
    same::<t::Data>(data, "data");
    same::<t::Expired>(data, "expired");
}

/// Every EVT payload, requests and responses alike, re-encodes to its bytes.
fn decode_evt_payloads(data: &[u8]) {
    use crate::evt as e;
    use crate::message::Message;
    fn same<M: Message>(data: &[u8], what: &str) {
        if let Ok(m) = M::decode(data) {
            assert_eq!(m.encode().ok().as_deref(), Some(data), "EVT {what} re-encoding differs");
        }
    }
    same::<e::Open>(data, "open");
    same::<e::OpenAsync>(data, "open async");
    same::<e::Opened>(data, "opened");
    same::<e::OpenId>(data, "open id");
    same::<e::ChannelName>(data, "channel name");
    same::<e::Publish>(data, "publish");
    same::<e::EventId>(data, "event id");
    same::<e::Subscribe>(data, "subscribe");
    same::<e::SubscriptionRef>(data, "subscription");
    same::<e::Clear>(data, "clear");
    same::<e::Delivery>(data, "delivery");
    same::<e::Next>(data, "next");
    same::<e::Deliveries>(data, "deliveries");
}

/// Every CKPT payload: the responses and callbacks `libSaCkpt` decodes and the requests
/// the executive decodes re-encode to their bytes.
fn decode_ckpt_payloads(data: &[u8]) {
    use crate::ckpt::{self as c, Message};
    fn same<M: Message>(data: &[u8], what: &str) {
        if let Ok(m) = M::decode(data) {
            assert_eq!(
                m.encode().ok().as_deref(),
                Some(data),
                "CKPT {what} re-encoding differs"
            );
        }
    }
    same::<c::Open>(data, "open");
    same::<c::OpenAsync>(data, "open async");
    same::<c::Opened>(data, "opened");
    same::<c::CkptId>(data, "checkpoint id");
    same::<c::Unlink>(data, "unlink");
    same::<c::RetentionSet>(data, "retention");
    same::<c::Descriptor>(data, "descriptor");
    same::<c::SectionCreate>(data, "section create");
    same::<c::SectionIdReply>(data, "section id");
    same::<c::SectionRef>(data, "section delete");
    same::<c::ExpirationSet>(data, "expiration set");
    same::<c::Iterate>(data, "iterate");
    same::<c::IterationPage>(data, "iteration page");
    same::<c::Write>(data, "write");
    same::<c::ErrorIndex>(data, "erroneous index");
    same::<c::Overwrite>(data, "overwrite");
    same::<c::Piece>(data, "piece");
    same::<c::Read>(data, "read");
    same::<c::ReadReply>(data, "read reply");
    same::<c::SynchronizeAsync>(data, "synchronize async");
    same::<c::SyncCallback>(data, "synchronize callback");
    same::<c::TrackCallback>(data, "track callback");
    for st in [status::OK, status::NOT_EXIST] {
        if let Ok(cb) = c::OpenCallback::decode_with(st, data) {
            assert_eq!(cb.encode(), data, "CKPT open callback re-encoding differs");
        }
    }
}

/// Reads `data` with a sequence of field reads chosen by its own bytes.
fn read_fields(data: &[u8]) {
    let mut ops = Reader::new(data);
    let mut r = Reader::new(data);
    for _ in 0..64 {
        let Ok(op) = ops.u8() else { break };
        let ok = match op % 11 {
            0 => r.u8().is_ok(),
            1 => r.u16().is_ok(),
            2 => r.u32().is_ok(),
            3 => r.u64().is_ok(),
            4 => r.i64().is_ok(),
            5 => r.bool().is_ok(),
            6 => r.blob().is_ok(),
            7 => r.name().is_ok_and(|n| n.len() <= crate::MAX_NAME_LEN),
            8 => r.count(usize::from(op >> 4)).is_ok_and(|n| n <= data.len()),
            9 => r.bytes(usize::from(op)).is_ok(),
            _ => r.clone().finish().is_ok(),
        };
        if !ok && op & 0x80 != 0 {
            break;
        }
    }
    let _ = r.rest();
}

/// `len` bytes of noise from `seed` (xorshift), for the stable-Rust runs of fuzz bodies.
pub fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Runs `body` on each seed, on each seed with one byte changed (to a few telling
/// values), and on every truncation of it; returns how many runs that was.
pub fn mutate_seeds(seeds: &[Vec<u8>], mut body: impl FnMut(&[u8])) -> u32 {
    let mut runs = 0u32;
    for s in seeds {
        body(s);
        for i in 0..s.len() {
            for v in [0u8, 1, 2, 0x7F, 0x80, 0xFF] {
                let mut m = s.clone();
                m[i] = v;
                body(&m);
                runs += 1;
            }
            body(&s[..i]);
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::flags;
    use crate::handshake::{AisVersion, Attach, Hello, Refused, Welcome};

    fn seeds() -> Vec<Vec<u8>> {
        let v = AisVersion::new(b'B', 1, 1);
        let s = ServiceId::CPG;
        let mut out: Vec<Vec<u8>> = [
            Handshake::Hello(Hello {
                service: s,
                protocol_version: 1,
                pid: 7,
                version: v,
            }),
            Handshake::Welcome(Welcome {
                service: s,
                conn_id: 1,
                cookie: 2,
                protocol_version: 1,
                max_payload: 3,
                version: v,
            }),
            Handshake::Refused(Refused {
                service: s,
                error: status::VERSION,
                version: v,
            }),
            Handshake::Attach(Attach {
                service: s,
                conn_id: 1,
                cookie: 2,
            }),
        ]
        .iter()
        .map(Handshake::encode)
        .collect();
        let req = Header {
            msg: 3,
            flags: flags::NO_REPLY,
            request_id: 9,
            ..Header::new(Kind::Request, s)
        };
        out.push(encode_frame(&req, b"\x06\x00\x00\x00payload\x02\x00ab"));
        // Two frames back to back, so mutations reach the second one's header.
        let mut two = out[0].clone();
        two.extend_from_slice(&out[4]);
        out.push(two);
        out
    }

    /// Valid frames with one byte changed reach every decoder branch; noise covers the rest.
    #[test]
    fn fuzz_bodies_survive_mutated_and_random_inputs() {
        let seeds = seeds();
        let mut runs = 0u32;
        for s in &seeds {
            decode_frames(s);
            decode_handshake(&s[crate::HEADER_LEN - 1..]);
            for i in 0..s.len() {
                for v in [0u8, 1, 2, 3, 0x7F, 0x80, 0xFF] {
                    let mut m = s.clone();
                    m[i] = v;
                    decode_frames(&m);
                    decode_handshake(&m[crate::HEADER_LEN.min(i)..]);
                    runs += 2;
                }
                // Every truncation as well.
                decode_frames(&s[..i]);
            }
        }
        for n in 0..20_000u64 {
            let r = noise(n, (n as usize * 7) % 300);
            decode_frames(&r);
            decode_handshake(&r);
            // Noise behind a valid header prefix gets past the magic check.
            let mut m = seeds[(n % seeds.len() as u64) as usize][..6].to_vec();
            m.extend_from_slice(&r);
            decode_frames(&m);
            runs += 3;
        }
        assert!(runs > 60_000);
    }

    /// A valid encoding of each EVT payload with variable parts.
    fn evt_seeds() -> Vec<Vec<u8>> {
        use crate::evt as e;
        use crate::message::Message as _;
        let attributes = e::Attributes {
            priority: 2,
            retention: 1_000,
            publisher: b"p".to_vec(),
            patterns: vec![b"ab".to_vec(), Vec::new()],
        };
        let open = e::Open {
            open_id: 1,
            name: b"ch".to_vec(),
            flags: e::CHANNEL_CREATE,
        };
        vec![
            open.encode().unwrap(),
            e::OpenAsync { invocation: 5, open }.encode().unwrap(),
            e::Publish {
                open_id: 1,
                attributes: attributes.clone(),
                data: b"data".to_vec(),
            }
            .encode()
            .unwrap(),
            e::Subscribe {
                open_id: 1,
                sub_id: 2,
                filters: vec![e::Filter {
                    kind: e::EXACT_FILTER,
                    pattern: b"ab".to_vec(),
                }],
            }
            .encode()
            .unwrap(),
            e::Delivery {
                open_id: 1,
                sub_id: 2,
                event: e::Event {
                    id: 1 << 32 | 1001,
                    publish_time: 7,
                    attributes,
                    data: b"d".to_vec(),
                },
            }
            .encode()
            .unwrap(),
        ]
    }

    fn ckpt_seeds() -> Vec<Vec<u8>> {
        use crate::ckpt::*;
        let attrs = CreationAttributes {
            creation_flags: WR_ALL_REPLICAS,
            checkpoint_size: 100,
            retention_duration: 5,
            max_sections: 2,
            max_section_size: 50,
            max_section_id_size: 4,
        };
        let opened = Opened { ckpt_id: 3, attrs };
        vec![
            Open {
                name: b"c".to_vec(),
                attrs: Some(attrs),
                open_flags: OPEN_CREATE,
            }
            .encode()
            .unwrap(),
            opened.encode().unwrap(),
            Descriptor {
                attrs,
                number_of_sections: 1,
                memory_used: 2,
            }
            .encode()
            .unwrap(),
            SectionCreate {
                ckpt_id: 1,
                section: Some(b"s".to_vec()),
                expiration_time: TIME_END,
                data: b"d".to_vec(),
            }
            .encode()
            .unwrap(),
            Iterate {
                ckpt_id: 1,
                sections_chosen: SECTIONS_ANY,
                expiration_time: 0,
                after: Some(b"a".to_vec()),
            }
            .encode()
            .unwrap(),
            IterationPage {
                complete: false,
                sections: vec![SectionDescriptor {
                    section: b"s".to_vec(),
                    expiration_time: 1,
                    section_size: 2,
                    state: SECTION_VALID,
                    last_update: 3,
                }],
            }
            .encode()
            .unwrap(),
            Write {
                ckpt_id: 1,
                elements: vec![WriteElement {
                    section: b"s".to_vec(),
                    offset: 1,
                    data: b"xy".to_vec(),
                }],
            }
            .encode()
            .unwrap(),
            Read {
                ckpt_id: 1,
                elements: vec![ReadElement {
                    section: vec![],
                    offset: 0,
                    size: 9,
                }],
            }
            .encode()
            .unwrap(),
            ReadReply {
                erroneous_index: 0,
                elements: vec![ReadData {
                    data: b"ab".to_vec(),
                    more: 1,
                }],
            }
            .encode()
            .unwrap(),
            OpenCallback {
                invocation: 1,
                opened: Some(opened),
            }
            .encode(),
            TrackCallback {
                ckpt_id: 2,
                elements: vec![TrackElement {
                    section: b"s".to_vec(),
                    offset: 4,
                    size: 5,
                }],
            }
            .encode()
            .unwrap(),
        ]
    }

    /// The service decoders on valid payloads with one byte changed, every truncation,
    /// and noise.
    #[test]
    fn service_payload_decoders_survive_mutated_and_random_inputs() {
        use crate::cpg::{self, Address, ConfChg, IterEntry, TotemConf};
        let a = |node, pid, reason| Address { node, pid, reason };
        let seeds = vec![
            ConfChg {
                group: b"g".to_vec(),
                members: vec![a(1, 2, 0), a(3, 4, 0)],
                left: vec![a(5, 6, 3)],
                joined: vec![a(3, 4, 1)],
            }
            .encode(),
            cpg::encode_members(&[a(1, 2, 0)]),
            cpg::encode_iteration(&[IterEntry {
                group: b"grp".to_vec(),
                node: 1,
                pid: 2,
            }]),
            TotemConf {
                ring_rep: 1,
                ring_seq: 4,
                members: vec![1, 2],
            }
            .encode(),
            crate::evs::ConfChg {
                ring_rep: 1,
                ring_seq: 8,
                members: vec![1, 2],
                left: vec![3],
                joined: vec![2],
            }
            .encode(),
            crate::evs::Deliver { node: 1, data: b"msg" }.encode(),
            crate::evs::Membership {
                local: 1,
                members: vec![1, 2],
            }
            .encode(),
            crate::evs::Mcast {
                guarantee: 2,
                groups: Some(vec![[b'g'; crate::evs::GROUP_LEN]]),
                data: b"msg".to_vec(),
            }
            .encode(),
        ];
        let mut seeds = seeds;
        seeds.extend(ckpt_seeds());
        use crate::message::Message as _;
        seeds.push(
            crate::tmr::Start {
                attributes: crate::tmr::Attributes {
                    time_type: crate::tmr::TIME_DURATION,
                    initial: 1_000_000,
                    period: 0,
                },
                data: 1,
            }
            .encode()
            .unwrap(),
        );
        seeds.push(
            crate::tmr::Expired {
                id: 1,
                data: 2,
                count: 3,
            }
            .encode()
            .unwrap(),
        );
        seeds.extend(evt_seeds());
        seeds.extend(crate::lck::seeds());
        seeds.extend(crate::msg::samples());
        let mut runs = mutate_seeds(&seeds, decode_service_payloads);
        for n in 0..5_000u64 {
            decode_service_payloads(&noise(n, (n as usize * 13) % 200));
            runs += 1;
        }
        assert!(runs > 5_000);
    }
}
