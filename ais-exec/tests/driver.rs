//! The driver's public API as the IPC server and services will use it: two
//! ordering tasks in one process over real UDP on loopback, a service host
//! on each, submissions from handles and from inside the host, the event
//! subscription, the membership watch, status and shutdown.

mod common;

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ais_exec::daemon::peers::Peers;
use ais_exec::daemon::transport::Mode;
use ais_exec::daemon::{
    Clock, ClusterEvent, DaemonHandle, Driver, HostCtx, Plain, ServiceHost, Sockets, SubmitError, Transport,
    TransportConfig,
};
use ais_totem::{Guarantee, MemoryStore, NodeId, Options, State, Totem, TotemConfig, MAX_MESSAGE_SIZE};
use bytes::Bytes;
use common::free_port;

/// Records what it is given, in order; a request is a payload it submits
/// from inside the ordering task.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<ClusterEvent>>>);

impl ServiceHost for Recorder {
    type Request = Bytes;
    fn on_event(&mut self, _: &mut HostCtx<'_>, event: &ClusterEvent) {
        self.0.lock().unwrap().push(event.clone());
    }
    fn on_request(&mut self, ctx: &mut HostCtx<'_>, request: Bytes) {
        assert!(ctx.membership().installed, "requests are only sent once a ring is up");
        ctx.submit(request, Guarantee::Agreed).expect("room in the core's queue");
    }
}

impl Recorder {
    fn payloads(&self) -> Vec<(NodeId, Bytes)> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                ClusterEvent::Deliver(d) => Some((d.sender, d.data.clone())),
                _ => None,
            })
            .collect()
    }
}

fn node(addr: &str, port: u16, members: &[IpAddr]) -> (Driver<Recorder>, DaemonHandle<Bytes>, Recorder) {
    let local: IpAddr = addr.parse().unwrap();
    let cfg = TransportConfig {
        local,
        ifname: "lo".into(),
        port,
        mode: Mode::Unicast { members: members.to_vec() },
    };
    let id = ais_exec::daemon::nodeid::from_address(local, false).unwrap();
    let mut peers = Peers::new(id, local, port, cfg.reach());
    for m in members {
        peers.seed(ais_exec::daemon::nodeid::from_address(*m, false).unwrap(), *m);
    }
    let transport = Transport::new(id, Sockets::bind(&cfg).unwrap(), peers, Box::new(Plain)).unwrap();
    let clock = Clock::new();
    let totem = Totem::new(
        TotemConfig::from_token(2000, 4),
        id,
        Box::new(MemoryStore::new()),
        Options { seed: u64::from(id), ..Options::default() },
        clock.now(),
    )
    .unwrap();
    let host = Recorder::default();
    let (driver, handle) = Driver::new(totem, transport, host.clone(), clock);
    (driver, handle, host)
}

async fn until_members(h: &DaemonHandle<Bytes>, n: usize) {
    let mut w = h.watch_membership();
    tokio::time::timeout(Duration::from_secs(30), w.wait_for(|m| m.installed && m.members.len() == n))
        .await
        .expect("ring formed in time")
        .expect("driver running");
}

#[test]
fn two_ordering_tasks_agree() {
    let addrs = ["127.0.0.1", "127.0.0.2"];
    let port = match free_port(&addrs) {
        Ok(p) => p,
        Err(why) => {
            eprintln!("SKIPPED two_ordering_tasks_agree: needs 127.0.0.1-2 bindable ({why})");
            return;
        }
    };
    let members: Vec<IpAddr> = addrs.iter().map(|a| a.parse().unwrap()).collect();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let (da, ha, ra) = node(addrs[0], port, &members);
        let (db, hb, rb) = node(addrs[1], port, &members);
        assert!(!ha.membership().installed, "nothing installed before the driver runs");
        let ta = tokio::spawn(da.run());
        let tb = tokio::spawn(db.run());
        until_members(&ha, 2).await;
        until_members(&hb, 2).await;
        assert_eq!(ha.membership().members, vec![0x7f000001, 0x7f000002]);
        assert_eq!(ha.membership().ring_id, hb.membership().ring_id);

        let mut sub = hb.subscribe();
        // Oversized messages are refused up front.
        let big = Bytes::from(vec![0u8; MAX_MESSAGE_SIZE + 1]);
        assert_eq!(ha.try_submit(big.clone(), Guarantee::Agreed), Err(SubmitError::TooLarge));
        assert_eq!(ha.submit(big, Guarantee::Agreed).await, Err(SubmitError::TooLarge));

        // Interleave: A through its handle, B through its service host.
        const N: usize = 200;
        let plain_sender = hb.request_sender();
        for i in 0..N {
            ha.submit(Bytes::from(format!("a{i}")), if i % 2 == 0 { Guarantee::Agreed } else { Guarantee::Safe })
                .await
                .unwrap();
            let b = Bytes::from(format!("b{i}"));
            if i % 2 == 0 {
                hb.request(b).await.unwrap();
            } else {
                plain_sender.send(b).await.unwrap();
            }
        }
        let all = |r: &Recorder| r.payloads().len() == 2 * N;
        tokio::time::timeout(Duration::from_secs(30), async {
            while !(all(&ra) && all(&rb)) {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("every message delivered on both nodes");
        let (pa, pb) = (ra.payloads(), rb.payloads());
        assert_eq!(pa, pb, "the same agreed order on both nodes");
        // Each sender's messages in the order submitted.
        for (who, id) in [("a", 0x7f000001), ("b", 0x7f000002)] {
            let mine: Vec<Bytes> = pa.iter().filter(|(s, _)| *s == id).map(|(_, d)| d.clone()).collect();
            let want: Vec<Bytes> = (0..N).map(|i| Bytes::from(format!("{who}{i}"))).collect();
            assert_eq!(mine, want);
        }
        // The subscriber saw the same deliveries, in the same order.
        let mut seen = Vec::new();
        while seen.len() < 2 * N {
            match sub.recv().await.unwrap() {
                ClusterEvent::Deliver(d) => seen.push((d.sender, d.data)),
                ClusterEvent::ConfChange(_) => {}
            }
        }
        assert_eq!(seen, pb);

        let st = ha.status().await.unwrap();
        assert_eq!(st.node_id, 0x7f000001);
        assert_eq!(st.members, vec![0x7f000001, 0x7f000002]);
        assert_eq!(st.state, State::Operational);
        assert!(st.stats.messages_delivered >= 2 * N as u64);

        // A leaves: B sees a ring of one long before its 2 s token timeout.
        let started = tokio::time::Instant::now();
        ha.shutdown();
        let host_a = tokio::time::timeout(Duration::from_secs(5), ta).await.unwrap().unwrap();
        assert_eq!(host_a.payloads().len(), 2 * N);
        until_members(&hb, 1).await;
        assert!(started.elapsed() < Duration::from_millis(1500), "took {:?}", started.elapsed());
        assert!(ha.status().await.is_none(), "a stopped driver answers nothing");
        assert_eq!(ha.try_submit(Bytes::from_static(b"x"), Guarantee::Agreed), Err(SubmitError::Stopped));
        // B's events end with the transitional and regular configurations.
        let events = rb.0.lock().unwrap().clone();
        let confs: Vec<_> = events
            .iter()
            .rev()
            .take(2)
            .map(|e| match e {
                ClusterEvent::ConfChange(c) => (c.kind, c.members.clone()),
                other => panic!("not a configuration: {other:?}"),
            })
            .collect();
        assert_eq!(
            confs,
            vec![(ais_totem::ConfKind::Regular, vec![0x7f000002]), (ais_totem::ConfKind::Transitional, vec![0x7f000002])]
        );
        hb.shutdown();
        tokio::time::timeout(Duration::from_secs(5), tb).await.unwrap().unwrap();
    });
}
