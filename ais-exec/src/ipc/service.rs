//! The shape of a service as the IPC layer sees it, and a router over several.
//!
//! The ordering task owns a [`Services`] and feeds it every [`Event`]; each service sees
//! only its own connections. Services will grow more inputs (Totem deliveries, sync), but
//! those come from the same task, so a service's state is only ever touched there.

use super::{AisVersion, Client, ConnId, Event, Request, ServiceId};

/// One service's IPC face.
pub trait Service: Send {
    fn id(&self) -> ServiceId;
    /// The AIS version it implements (0.0.0 for CPG, EVS, CFG).
    fn version(&self) -> AisVersion;
    /// A handle was opened; `client` sends it callbacks.
    fn connected(&mut self, client: Client);
    /// A request; answer through `req.responder`, now or later.
    fn request(&mut self, req: Request);
    /// The handle is gone (finalized, or the process died): release what it held.
    fn disconnected(&mut self, conn: ConnId);
}

/// The services of one executive, routed by id.
#[derive(Default)]
pub struct Services {
    list: Vec<Box<dyn Service>>,
}

impl Services {
    pub fn new() -> Services {
        Services::default()
    }

    /// Adds a service; a second one with the same id replaces the first.
    pub fn add(&mut self, s: Box<dyn Service>) {
        self.list.retain(|o| o.id() != s.id());
        self.list.push(s);
    }

    /// The table [`super::IpcConfig::services`] wants.
    pub fn versions(&self) -> Vec<(ServiceId, AisVersion)> {
        self.list.iter().map(|s| (s.id(), s.version())).collect()
    }

    pub fn get_mut(&mut self, id: ServiceId) -> Option<&mut (dyn Service + 'static)> {
        self.list.iter_mut().find(|s| s.id() == id).map(|s| s.as_mut())
    }

    /// Hands `ev` to its service. An event for a service not registered (impossible when
    /// the server was configured from [`versions`](Services::versions)) is dropped; a
    /// request's responder then answers `SA_AIS_ERR_LIBRARY`.
    pub fn handle(&mut self, ev: Event) {
        match ev {
            Event::Connected(c) => {
                if let Some(s) = self.get_mut(c.service()) {
                    s.connected(c);
                }
            }
            Event::Request(r) => {
                if let Some(s) = self.get_mut(r.service) {
                    s.request(r);
                }
            }
            Event::Disconnected { conn, service } => {
                if let Some(s) = self.get_mut(service) {
                    s.disconnected(conn);
                }
            }
        }
    }
}
