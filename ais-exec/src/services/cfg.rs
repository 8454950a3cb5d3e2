//! The configuration service (`ais-cfgtool`): this executive's own, with no
//! AIS version and no cluster state; it reports what the host sees of the
//! ring.

use super::contract::{Handling, HostView, NodeId, Output, Reply, RingId, Service};
use crate::ipc::{AisVersion, ServiceId};
use ais_proto::status;

pub struct CfgService;

impl<C> Service<C> for CfgService {
    fn id(&self) -> ServiceId {
        ServiceId::CFG
    }

    fn version(&self) -> AisVersion {
        AisVersion::new(0, 0, 0)
    }

    fn disconnected(&mut self, _: C) -> Output<C> {
        Vec::new()
    }

    fn request(&mut self, _: C, msg: u16, _: &[u8], host: &dyn HostView) -> Handling<C> {
        match msg {
            ais_proto::cfg::RING_STATUS => Handling::reply(Reply {
                status: status::OK,
                payload: host.ring_status().encode(),
            }),
            ais_proto::cfg::QUORUM_STATUS => Handling::reply(Reply {
                status: status::OK,
                payload: host.quorum_status().encode(),
            }),
            _ => Handling::status(status::NOT_SUPPORTED),
        }
    }

    fn delivered(&mut self, _: NodeId, _: &[u8], _: u64) -> Output<C> {
        Vec::new()
    }

    fn configuration(&mut self, _: RingId, _: &[NodeId], _: u64) -> Output<C> {
        Vec::new()
    }
}
