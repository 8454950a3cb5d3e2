//! Large changes sent as PIECEs are atomic (SA Forum CKPT B.02.03 §3.6.3
//! `saCkptCheckpointWrite`: the data of a write is written all or none; and
//! openais wrote each one in one message): on every node a reader sees the
//! whole change or none of it, never a prefix, whatever happens to the
//! origin before its last piece.

use super::*;
use crate::services::contract::RingId;
use crate::services::testkit::Cluster;
use std::collections::BTreeMap;

type Svc = CkptService<u8>;
type Net = Cluster<Svc, u8>;

const MIB: usize = 1 << 20;
/// The section size of the tests: three cluster messages' worth.
const BIG: usize = 3 * MIB;

fn net_with(limits: CkptLimits) -> Net {
    let mut n = Net::new(&[1, 2, 3], |id| {
        let mut s = Svc::with_limits(id, limits);
        s.set_wall_clock(|| 1_000);
        s
    });
    n.configure_ring(RingId { rep: 1, seq: 4 }, &[1, 2, 3]);
    n
}

fn attrs() -> p::CreationAttributes {
    p::CreationAttributes {
        creation_flags: p::WR_ALL_REPLICAS,
        checkpoint_size: 32 << 20,
        retention_duration: 0,
        max_sections: 4,
        max_section_size: 8 << 20,
        max_section_id_size: 8,
    }
}

/// Connection `10 + node` on each node with the checkpoint "big" open; its ids.
fn open_everywhere(n: &mut Net) -> BTreeMap<NodeId, u64> {
    let mut ids = BTreeMap::new();
    for node in [1, 2, 3] {
        let conn = 10 + node as u8;
        n.connect(node, conn, 0);
        let o = p::Open {
            name: b"big".to_vec(),
            attrs: Some(attrs()),
            open_flags: p::OPEN_READ | p::OPEN_WRITE | p::OPEN_CREATE,
        };
        let r = n.call(node, conn, p::OPEN, &o.encode().unwrap());
        assert_eq!(r.status, status::OK);
        ids.insert(node, p::Opened::decode(&r.payload).unwrap().ckpt_id);
    }
    ids
}

/// The PIECEs of request `kind` with `payload`, operation `op`.
fn pieces(kind: u16, ckpt_id: u64, op: u64, payload: &[u8]) -> Vec<Vec<u8>> {
    let chunks: Vec<&[u8]> = payload.chunks(p::MAX_PIECE_DATA).collect();
    let last = chunks.len() - 1;
    chunks
        .iter()
        .enumerate()
        .map(|(i, c)| {
            p::Piece {
                kind,
                ckpt_id,
                operation: op,
                index: i as u32,
                last: i == last,
                data: c.to_vec(),
            }
            .encode()
            .unwrap()
        })
        .collect()
}

fn write_payload(ckpt_id: u64, byte: u8, len: usize) -> Vec<u8> {
    p::Write {
        ckpt_id,
        elements: vec![p::WriteElement {
            section: b"s".to_vec(),
            offset: 0,
            data: vec![byte; len],
        }],
    }
    .encode()
    .unwrap()
}

/// What a client on `node` reads of section "s": its first and last 16 bytes
/// (the section is never shorter than 32).
fn ends(n: &mut Net, node: NodeId, id: u64) -> Vec<u8> {
    let r = p::Read {
        ckpt_id: id,
        elements: vec![
            p::ReadElement {
                section: b"s".to_vec(),
                offset: 0,
                size: 16,
            },
            p::ReadElement {
                section: b"s".to_vec(),
                offset: (BIG - 16) as u64,
                size: 16,
            },
        ],
    };
    let reply = n.call(node, 10 + node as u8, p::READ, &r.encode().unwrap());
    assert_eq!(reply.status, status::OK);
    let rr = p::ReadReply::decode(&reply.payload).unwrap();
    rr.elements.into_iter().flat_map(|e| e.data).collect()
}

/// Every node's replica of section "s".
fn replicas(n: &Net) -> Vec<Vec<u8>> {
    n.nodes
        .values()
        .map(|s| {
            let uid = s.state().by_name(b"big").unwrap();
            s.state().checkpoint(uid).unwrap().sections[&b"s"[..]].data.clone()
        })
        .collect()
}

fn uniform(d: &[u8], byte: u8) -> bool {
    d.len() == BIG && d.iter().all(|&b| b == byte)
}

/// Sends every piece of a request from connection `10 + node`; the last one's answer.
fn send_all(n: &mut Net, node: NodeId, kind: u16, ckpt_id: u64, op: u64, payload: &[u8]) -> Reply {
    let mut last = None;
    for piece in pieces(kind, ckpt_id, op, payload) {
        last = Some(n.call(node, 10 + node as u8, p::PIECE, &piece));
    }
    last.expect("at least one piece")
}

/// Creates section "s" of BIG bytes of `byte`, in pieces (as the library does).
fn create_big(n: &mut Net, ids: &BTreeMap<NodeId, u64>, byte: u8) {
    let sc = p::SectionCreate {
        ckpt_id: ids[&1],
        section: Some(b"s".to_vec()),
        expiration_time: p::TIME_END,
        data: vec![byte; BIG],
    };
    let payload = sc.encode().unwrap();
    assert_eq!(pieces(p::SECTION_CREATE, ids[&1], 1, &payload).len(), 4);
    let r = send_all(n, 1, p::SECTION_CREATE, ids[&1], 1, &payload);
    assert_eq!(r.status, status::OK);
    assert_eq!(p::SectionIdReply::decode(&r.payload).unwrap().section, b"s");
    assert!(replicas(n).iter().all(|d| uniform(d, byte)));
}

/// Three nodes with "big" open everywhere and section "s" all `A`.
fn big_a() -> (Net, BTreeMap<NodeId, u64>) {
    let mut n = net_with(CkptLimits::default());
    let ids = open_everywhere(&mut n);
    create_big(&mut n, &ids, b'A');
    (n, ids)
}

#[test]
fn readers_on_every_node_see_a_pieced_write_whole_or_not_at_all() {
    let (mut n, ids) = big_a();
    // Alternating patterns, 3 MiB each; after every piece every node reads.
    for (op, byte) in [(2, b'B'), (3, b'A'), (4, b'C')] {
        let before = replicas(&n)[0][0];
        let ps = pieces(p::WRITE, ids[&1], op, &write_payload(ids[&1], byte, BIG));
        assert!(ps.len() > 1);
        let count = ps.len();
        for (i, piece) in ps.into_iter().enumerate() {
            let r = n.call(1, 11, p::PIECE, &piece);
            assert_eq!(r.status, status::OK);
            let expect = if i + 1 == count {
                assert_eq!(p::ErrorIndex::decode(&r.payload), Ok(p::ErrorIndex(0)));
                byte
            } else {
                before
            };
            for node in [2, 3] {
                assert_eq!(
                    ends(&mut n, node, ids[&node]),
                    vec![expect; 32],
                    "node {node} after piece {i}"
                );
            }
            assert!(replicas(&n).iter().all(|d| uniform(d, expect)), "a mix after piece {i}");
        }
        assert!(n.nodes.values().all(|s| s.state().staged_changes() == 0));
    }
    // An overwrite in pieces, the same.
    let ow = p::Overwrite {
        ckpt_id: ids[&2],
        section: b"s".to_vec(),
        data: vec![b'D'; BIG],
    };
    let ps = pieces(p::OVERWRITE, ids[&2], 7, &ow.encode().unwrap());
    let count = ps.len();
    for (i, piece) in ps.into_iter().enumerate() {
        assert_eq!(n.call(2, 12, p::PIECE, &piece).status, status::OK);
        let expect = if i + 1 == count { b'D' } else { b'C' };
        assert!(replicas(&n).iter().all(|d| uniform(d, expect)), "a mix after piece {i}");
    }
}

#[test]
fn an_origin_that_leaves_mid_write_leaves_no_prefix_anywhere() {
    let (mut n, ids) = big_a();
    let ps = pieces(p::WRITE, ids[&1], 2, &write_payload(ids[&1], b'B', BIG));
    for piece in &ps[..ps.len() - 1] {
        assert_eq!(n.call(1, 11, p::PIECE, piece).status, status::OK);
    }
    assert!(n.nodes.values().all(|s| s.state().staged_changes() == 1));
    // Node 1 dies before its last piece: the others drop what it staged.
    n.nodes.remove(&1);
    n.configure_ring(RingId { rep: 2, seq: 8 }, &[2, 3]);
    for node in [2, 3] {
        assert_eq!(n.nodes[&node].state().staged_changes(), 0);
        assert_eq!(n.nodes[&node].state().staged_bytes(), 0);
        assert_eq!(ends(&mut n, node, ids[&node]), vec![b'A'; 32]);
    }
    assert!(replicas(&n).iter().all(|d| uniform(d, b'A')));
    // The survivors still write in pieces.
    for piece in pieces(p::WRITE, ids[&3], 1, &write_payload(ids[&3], b'E', BIG)) {
        assert_eq!(n.call(3, 13, p::PIECE, &piece).status, status::OK);
    }
    assert!(replicas(&n).iter().all(|d| uniform(d, b'E')));
}

#[test]
fn a_client_that_disconnects_mid_write_leaves_no_prefix_anywhere() {
    let (mut n, ids) = big_a();
    let ps = pieces(p::WRITE, ids[&2], 5, &write_payload(ids[&2], b'B', BIG));
    assert_eq!(n.call(2, 12, p::PIECE, &ps[0]).status, status::OK);
    assert!(n.nodes.values().all(|s| s.state().staged_changes() == 1));
    n.disconnect(2, 12);
    assert!(n.nodes.values().all(|s| s.state().staged_changes() == 0));
    assert!(replicas(&n).iter().all(|d| uniform(d, b'A')));
}

#[test]
fn a_piece_the_router_could_not_send_drops_the_staged_ones() {
    let (mut n, ids) = big_a();
    let ps = pieces(p::WRITE, ids[&1], 2, &write_payload(ids[&1], b'B', BIG));
    assert_eq!(n.call(1, 11, p::PIECE, &ps[0]).status, status::OK);
    let Handling::Ordered { token, .. } = n.handle(1, 11, p::PIECE, &ps[1]) else {
        panic!("a piece is ordered");
    };
    let out = n.node(1).refused(token);
    n.take(1, out);
    n.run();
    assert!(n.nodes.values().all(|s| s.state().staged_changes() == 0));
    // The rest of that operation is out of sequence now.
    let r = n.call(1, 11, p::PIECE, &ps[2]);
    assert_eq!(r.status, status::INVALID_PARAM);
    assert!(replicas(&n).iter().all(|d| uniform(d, b'A')));
}

#[test]
fn pieces_out_of_sequence_or_of_another_kind_are_refused() {
    let mut n = net_with(CkptLimits::default());
    let ids = open_everywhere(&mut n);
    let ps = pieces(p::WRITE, ids[&1], 2, &write_payload(ids[&1], b'B', BIG));
    // Starting at piece 1.
    assert_eq!(n.call(1, 11, p::PIECE, &ps[1]).status, status::INVALID_PARAM);
    let bad_kind = p::Piece {
        kind: p::READ,
        ckpt_id: ids[&1],
        operation: 1,
        index: 0,
        last: true,
        data: vec![],
    };
    assert_eq!(
        n.call(1, 11, p::PIECE, &bad_kind.encode().unwrap()).status,
        status::INVALID_PARAM
    );
    let unknown_id = p::Piece {
        kind: p::WRITE,
        ckpt_id: 999,
        ..bad_kind.clone()
    };
    let r = n.call(1, 11, p::PIECE, &unknown_id.encode().unwrap());
    assert_eq!(
        (r.status, p::ErrorIndex::decode(&r.payload)),
        (status::BAD_HANDLE, Ok(p::ErrorIndex(0)))
    );
    let too_big = p::Piece {
        kind: p::OVERWRITE,
        ckpt_id: ids[&1],
        data: vec![0; p::MAX_PIECE_DATA + 1],
        ..bad_kind
    };
    assert_eq!(
        n.call(1, 11, p::PIECE, &too_big.encode().unwrap()).status,
        status::TOO_BIG
    );
    assert!(n.nodes.values().all(|s| s.state().staged_changes() == 0));
}

/// B.02.03 §3.6.3/§3.6.4: saCkptCheckpointWrite and saCkptSectionOverwrite list
/// SA_AIS_ERR_NO_RESOURCES for a lack of the service's resources.
#[test]
fn staging_past_the_executive_limit_answers_no_resources_for_write_and_overwrite() {
    let limits = CkptLimits {
        max_staged_per_node: 2 * MIB as u64,
        ..CkptLimits::default()
    };
    let mut n = net_with(limits);
    let ids = open_everywhere(&mut n);
    // 1.5 MiB fits the staging limit.
    let sc = p::SectionCreate {
        ckpt_id: ids[&1],
        section: Some(b"s".to_vec()),
        expiration_time: p::TIME_END,
        data: vec![b'A'; MIB + MIB / 2],
    };
    let last = send_all(&mut n, 1, p::SECTION_CREATE, ids[&1], 1, &sc.encode().unwrap());
    assert_eq!(last.status, status::OK);
    let r = send_all(&mut n, 1, p::WRITE, ids[&1], 2, &write_payload(ids[&1], b'B', BIG));
    assert_eq!(
        (r.status, p::ErrorIndex::decode(&r.payload)),
        (status::NO_RESOURCES, Ok(p::ErrorIndex(0)))
    );
    let ow = p::Overwrite {
        ckpt_id: ids[&1],
        section: b"s".to_vec(),
        data: vec![b'C'; BIG],
    };
    let last = send_all(&mut n, 1, p::OVERWRITE, ids[&1], 3, &ow.encode().unwrap());
    assert_eq!(last.status, status::NO_RESOURCES);
    for s in n.nodes.values() {
        assert_eq!((s.state().staged_changes(), s.state().staged_bytes()), (0, 0));
        let uid = s.state().by_name(b"big").unwrap();
        let d = &s.state().checkpoint(uid).unwrap().sections[&b"s"[..]].data;
        assert!(d.len() == MIB + MIB / 2 && d.iter().all(|&b| b == b'A'));
    }
}

/// The store limit (section data of all checkpoints) answers NO_RESOURCES for a
/// write and an overwrite in one message too, and is set by the limits given.
#[test]
fn the_store_limit_answers_no_resources_for_write_and_overwrite() {
    let limits = CkptLimits {
        max_store_bytes: 4096,
        ..CkptLimits::default()
    };
    let mut n = net_with(limits);
    let ids = open_everywhere(&mut n);
    let sc = p::SectionCreate {
        ckpt_id: ids[&1],
        section: Some(b"s".to_vec()),
        expiration_time: p::TIME_END,
        data: vec![1; 100],
    };
    assert_eq!(
        n.call(1, 11, p::SECTION_CREATE, &sc.encode().unwrap()).status,
        status::OK
    );
    let r = n.call(1, 11, p::WRITE, &write_payload(ids[&1], 2, 5000));
    assert_eq!(
        (r.status, p::ErrorIndex::decode(&r.payload)),
        (status::NO_RESOURCES, Ok(p::ErrorIndex(0)))
    );
    let ow = p::Overwrite {
        ckpt_id: ids[&1],
        section: b"s".to_vec(),
        data: vec![3; 5000],
    };
    assert_eq!(
        n.call(1, 11, p::OVERWRITE, &ow.encode().unwrap()).status,
        status::NO_RESOURCES
    );
    // A pieced write counts what it stages against the store.
    let last = send_all(&mut n, 1, p::WRITE, ids[&1], 9, &write_payload(ids[&1], 4, 2 * MIB));
    assert_eq!(last.status, status::NO_RESOURCES);
}

#[test]
fn a_piece_refused_while_resynchronising_drops_the_staged_ones() {
    let (mut n, ids) = big_a();
    let ps = pieces(p::WRITE, ids[&1], 2, &write_payload(ids[&1], b'B', BIG));
    assert_eq!(n.call(1, 11, p::PIECE, &ps[0]).status, status::OK);
    // A configuration change starts; the next piece is answered TRY_AGAIN.
    n.start_ring(RingId { rep: 1, seq: 8 }, &[1, 2, 3]);
    let r = match n.handle(1, 11, p::PIECE, &ps[1]) {
        Handling::Now(r, out) => {
            n.take(1, out);
            r
        }
        Handling::Ordered { .. } => panic!("answered at once while resynchronising"),
    };
    assert_eq!(r.status, status::TRY_AGAIN);
    n.run();
    assert!(n
        .nodes
        .values()
        .all(|s| s.state().is_synced() && s.state().staged_changes() == 0));
    assert!(replicas(&n).iter().all(|d| uniform(d, b'A')));
    // The whole write again, after the synchronisation, goes through.
    for piece in pieces(p::WRITE, ids[&1], 3, &write_payload(ids[&1], b'B', BIG)) {
        assert_eq!(n.call(1, 11, p::PIECE, &piece).status, status::OK);
    }
    assert!(replicas(&n).iter().all(|d| uniform(d, b'B')));
}
