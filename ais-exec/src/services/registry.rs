//! The services this executive runs, in the order they hear each event. To
//! add a service: implement [`Service`] and add its line here.

use super::cfg::CfgService;
use super::ckpt::limits::CkptLimits;
use super::ckpt::service::CkptService;
use super::clm::node::NodeInfo;
use super::clm::service::ClmService;
use super::clock::WallClock;
use super::contract::Service;
use super::cpg::service::CpgService;
use super::evs::service::EvsService;
use super::evt::delivery::DeliveryQueue;
use super::evt::service::EvtService;
use super::lck::service::LckService;
use super::msg::service::MsgService;
use super::quorum::QuorumConfig;
use super::router::Router;
use super::tmr::service::TmrService;

/// What a node's services are built from, the same for the executive and
/// the simulator: the node's CLM record, the services' configured limits
/// (openais.conf), and the `SaTimeT` clock they read. A service with a
/// configuration section of its own adds its field here.
#[derive(Clone)]
pub struct Setup {
    pub me: NodeInfo,
    /// `checkpoint { }`.
    pub ckpt: CkptLimits,
    /// `event { }`.
    pub evt: DeliveryQueue,
    pub wall: WallClock,
    /// `quorum { }`; `None`: every partition goes on.
    pub quorum: Option<QuorumConfig>,
}

impl Setup {
    /// Default limits and the system's clock.
    pub fn new(me: NodeInfo) -> Setup {
        Setup {
            me,
            ckpt: CkptLimits::default(),
            evt: DeliveryQueue::default(),
            wall: WallClock::default(),
            quorum: None,
        }
    }
}

/// Every service of this node.
pub fn services(s: &Setup) -> Vec<Box<dyn Service>> {
    let node = s.me.node_id;
    vec![
        Box::new(ClmService::new(s.me.clone())),
        Box::new(CpgService::new(node)),
        Box::new(EvsService::new(node)),
        Box::new(CkptService::from_setup(s)),
        Box::new(CfgService),
        Box::new(TmrService::from_setup(s)),
        Box::new(EvtService::from_setup(s)),
        Box::new(LckService::from_setup(s)),
        Box::new(MsgService::from_setup(s)),
    ]
}

/// The router over every service of this node.
pub fn router(s: &Setup) -> Router {
    Router::new(services(s)).with_quorum(s.quorum.clone())
}
