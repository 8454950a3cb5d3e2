//! The echo service ([`super::ServiceId::ECHO`]): proves the IPC path end to end in tests and
//! benchmarks. Not a product service; the daemon registers it only when asked to.
//! Message ids: [`ais_proto::echo`].

use std::collections::HashMap;
use std::sync::mpsc::Sender;
use std::time::Duration;

use ais_proto::{echo, status, Reader};
use bytes::Bytes;

use super::{AisVersion, Client, ConnId, Event, PeerCred, Request};

/// The version the echo service announces.
pub const VERSION: AisVersion = AisVersion::new(b'A', 1, 1);

/// What an observer of the echo service sees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EchoEvent {
    Connected(ConnId, PeerCred),
    Disconnected(ConnId),
}

#[derive(Default)]
pub struct EchoService {
    clients: HashMap<ConnId, Client>,
    observer: Option<Sender<EchoEvent>>,
}

impl EchoService {
    pub fn new() -> EchoService {
        EchoService::default()
    }

    /// Reports connections and disconnections to `tx` (tests time them).
    pub fn with_observer(tx: Sender<EchoEvent>) -> EchoService {
        EchoService {
            observer: Some(tx),
            ..EchoService::default()
        }
    }

    fn notify(&self, e: EchoEvent) {
        if let Some(tx) = &self.observer {
            let _ = tx.send(e);
        }
    }

    /// Parses `count: u32, blob` (CALLBACKS) or `millis: u32, blob` (DELAY).
    fn number_and_blob(p: &Bytes) -> Option<(u32, Bytes)> {
        let mut r = Reader::new(p);
        let n = r.u32().ok()?;
        let blob_len = r.blob().ok()?.len();
        r.finish().ok()?;
        Some((n, p.slice(8..8 + blob_len)))
    }
}

impl EchoService {
    /// Takes one event of the IPC server (all of them are the echo service's).
    pub fn handle(&mut self, ev: Event) {
        match ev {
            Event::Connected(c) => self.connected(c),
            Event::Request(r) => self.request(r),
            Event::Disconnected { conn, .. } => self.disconnected(conn),
        }
    }

    fn connected(&mut self, client: Client) {
        self.notify(EchoEvent::Connected(client.conn(), client.cred()));
        self.clients.insert(client.conn(), client);
    }

    fn request(&mut self, req: Request) {
        let Request {
            conn,
            msg,
            payload,
            responder,
            ..
        } = req;
        match msg {
            echo::ECHO => responder.respond(status::OK, payload),
            echo::CALLBACKS => {
                let (Some((count, blob)), Some(c)) = (Self::number_and_blob(&payload), self.clients.get(&conn)) else {
                    return responder.respond(status::INVALID_PARAM, Bytes::new());
                };
                for _ in 0..count {
                    if c.callback(echo::CALLBACK, status::OK, blob.clone()).is_err() {
                        return responder.respond(status::NO_RESOURCES, Bytes::new());
                    }
                }
                responder.respond(status::OK, Bytes::new())
            }
            echo::STATUS => match Reader::new(&payload).u32() {
                Ok(s) => responder.respond(s, Bytes::new()),
                Err(_) => responder.respond(status::INVALID_PARAM, Bytes::new()),
            },
            echo::DELAY => match Self::number_and_blob(&payload) {
                Some((ms, blob)) => {
                    tokio::spawn(async move {
                        tokio::time::sleep(Duration::from_millis(ms.into())).await;
                        responder.respond(status::OK, blob);
                    });
                }
                None => responder.respond(status::INVALID_PARAM, Bytes::new()),
            },
            echo::DROP => drop(responder),
            _ => responder.respond(status::NOT_SUPPORTED, Bytes::new()),
        }
    }

    fn disconnected(&mut self, conn: ConnId) {
        self.clients.remove(&conn);
        self.notify(EchoEvent::Disconnected(conn));
    }
}
