//! Body of the `cluster_decode` fuzz target (`ais-exec/fuzz`), kept here so a
//! stable-Rust test runs it too: any byte string as a cluster message of every
//! service. What decodes re-encodes to the same bytes (one encoding per
//! message), and no decoder or service panics on it.

use super::ckpt::wire::CkptMsg;
use super::clm::node::{NodeInfo, NodeJoin};
use super::contract::{Peer, RingId};
use super::cpg::wire::CpgMsg;
use super::evs::wire::EvsMcast;
use super::evt::wire::EvtMsg;
use super::lck::wire::LckMsg;
use super::msg::merge::Piece;
use super::msg::wire::MsgWire;
use super::registry;
use crate::ipc::ConnId;

pub fn decode_cluster_messages(data: &[u8]) {
    if let Ok(m) = NodeJoin::decode(data) {
        assert_eq!(m.encode(), data, "CLM node join re-encoding differs");
    }
    if let Ok(m) = CpgMsg::decode(data) {
        assert_eq!(m.encode(), data, "CPG message re-encoding differs");
    }
    if let Ok(m) = EvsMcast::decode(data) {
        assert_eq!(m.encode(), data, "EVS message re-encoding differs");
    }
    if let Ok(m) = CkptMsg::decode(data) {
        assert_eq!(m.encode().as_deref(), Ok(data), "CKPT message re-encoding differs");
    }
    if let Ok(m) = EvtMsg::decode(data) {
        assert_eq!(m.encode(), data, "EVT message re-encoding differs");
    }
    if let Ok(m) = LckMsg::decode(data) {
        assert_eq!(m.encode().as_deref(), Ok(data), "LCK message re-encoding differs");
    }
    if let Ok(p) = super::ckpt::sync::Piece::decode(data) {
        assert_eq!(p.encode().as_deref(), Ok(data), "CKPT sync piece re-encoding differs");
    }
    if let Ok(m) = MsgWire::decode(data) {
        assert_eq!(m.encode().as_deref(), Ok(data), "MSG message re-encoding differs");
    }
    if let Ok(p) = Piece::decode(data) {
        assert_eq!(p.encode().as_deref(), Ok(data), "MSG sync piece re-encoding differs");
    }
    super::sync::fuzz_decode(data);
    // Every registered service, configured and with a handle open, hears it
    // from another node.
    let me = NodeInfo::new(1, [127, 0, 0, 1].into(), "fuzz", 0, 0);
    for mut s in registry::services(&registry::Setup::new(me)) {
        s.configuration(RingId { rep: 1, seq: 4 }, &[1, 2], 0);
        s.connected(ConnId(1), Peer { pid: 1, uid: None });
        s.delivered(2, data, 0);
        s.sync_receive(2, data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::clm::node::NodeInfo;
    use crate::services::{ckpt, cpg};
    use ais_proto::fuzzing::{mutate_seeds, noise};

    /// One message of every kind of every service.
    fn seeds() -> Vec<Vec<u8>> {
        let mut seeds = vec![
            NodeJoin {
                node: NodeInfo::new(7, [10, 0, 0, 7].into(), "node-seven", 1_700_000_000, 3),
                old_ring: None,
            }
            .encode(),
            NodeJoin {
                node: NodeInfo::new(8, [10, 0, 0, 8].into(), "node-eight", 1_700_000_000, 2),
                old_ring: Some(RingId { rep: 7, seq: 12 }),
            }
            .encode(),
            EvsMcast {
                groups: vec![[b'g'; ais_proto::evs::GROUP_LEN]],
                data: b"msg".to_vec(),
            }
            .encode(),
        ];
        seeds.extend(cpg::wire::samples().iter().map(CpgMsg::encode));
        seeds.extend(crate::services::sync::samples());
        seeds.extend(ckpt::wire::samples().iter().map(|m| m.encode().unwrap()));
        seeds.extend(crate::services::evt::wire::samples().iter().map(EvtMsg::encode));
        seeds.extend(crate::services::lck::wire::seeds());
        seeds.extend(ckpt::sync::samples());
        seeds.extend(
            crate::services::msg::wire::samples()
                .iter()
                .map(|m| m.encode().unwrap()),
        );
        seeds
    }

    /// The seeds, each with one byte changed, every truncation, and noise
    /// behind a valid version byte.
    #[test]
    fn cluster_decoders_survive_mutated_and_random_inputs() {
        let seeds = seeds();
        assert!(seeds.len() > 20, "every kind of every service");
        let mut runs = mutate_seeds(&seeds, decode_cluster_messages);
        for n in 0..3_000u64 {
            let mut m = vec![crate::services::codec::VERSION];
            m.extend(noise(n, (n as usize * 13) % 200));
            decode_cluster_messages(&m);
            runs += 1;
        }
        assert!(runs > 5_000);
    }
}
