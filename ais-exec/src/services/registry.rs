//! The services this executive runs, in the order they hear each event. To
//! add a service: implement [`Service`] and add its line here.

use super::cfg::CfgService;
use super::ckpt::limits::CkptLimits;
use super::ckpt::service::CkptService;
use super::clm::node::NodeInfo;
use super::clm::service::ClmService;
use super::contract::Service;
use super::cpg::service::CpgService;
use super::evs::service::EvsService;
use super::router::Router;
use super::tmr::service::TmrService;

/// Every service of this node; `me` is its CLM record, `ckpt` the limits of
/// the checkpoint service (openais.conf `checkpoint { }`).
pub fn services(me: NodeInfo, ckpt: CkptLimits) -> Vec<Box<dyn Service>> {
    let node = me.node_id;
    vec![
        Box::new(ClmService::new(me)),
        Box::new(CpgService::new(node)),
        Box::new(EvsService::new(node)),
        Box::new(CkptService::with_limits(node, ckpt)),
        Box::new(CfgService),
        Box::new(TmrService::new()),
    ]
}

/// The router over every service of this node.
pub fn router(me: NodeInfo, ckpt: CkptLimits) -> Router {
    Router::new(services(me, ckpt))
}
