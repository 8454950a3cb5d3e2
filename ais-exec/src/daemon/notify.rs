//! Tells systemd (a unit of `Type=notify`) where the executive is: READY=1
//! once the first ring is installed, so units ordered after aisexec start
//! when clients are served with a membership (before that, every ordered
//! request would wait for the ring), and STOPPING=1 when it begins to leave.
//! Without `$NOTIFY_SOCKET` (not started by systemd) nothing is sent.

use super::driver::Membership;
use sd_notify::NotifyState;
use tokio::sync::watch;

/// Sends READY=1 when `membership` first shows an installed ring, with the
/// ring as the unit's status line.
pub async fn ready_when_installed(mut membership: watch::Receiver<Membership>) {
    let ring = match membership.wait_for(|m| m.installed).await {
        Ok(m) => m.clone(),
        Err(_) => return,
    };
    let status = format!(
        "ring {:x}.{} with {} member(s)",
        ring.ring_id.rep,
        ring.ring_id.seq,
        ring.members.len()
    );
    send(&[NotifyState::Ready, NotifyState::Status(&status)]);
}

/// STOPPING=1: the executive has been asked to leave.
pub fn stopping() {
    send(&[NotifyState::Stopping]);
}

fn send(state: &[NotifyState<'_>]) {
    if let Err(e) = sd_notify::notify(state) {
        log::warn!(target: "MAIN", "can't notify systemd: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ais_totem::RingId;
    use std::os::unix::net::UnixDatagram;

    /// The datagrams systemd would receive (sd_notify(3)): nothing before the
    /// ring is installed, READY=1 once it is, STOPPING=1 on request.
    #[tokio::test]
    async fn ready_only_once_a_ring_is_installed_then_stopping() {
        let dir = std::env::temp_dir().join(format!("ais-notify-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("notify");
        let _ = std::fs::remove_file(&path);
        let sock = UnixDatagram::bind(&path).unwrap();
        sock.set_nonblocking(true).unwrap();
        std::env::set_var("NOTIFY_SOCKET", &path);

        let mut m = Membership {
            local: 1,
            ring_id: RingId { rep: 1, seq: 8 },
            members: vec![1, 2],
            installed: false,
        };
        let (tx, rx) = watch::channel(m.clone());
        let task = tokio::spawn(ready_when_installed(rx));
        tokio::task::yield_now().await;
        let mut buf = [0u8; 256];
        assert!(sock.recv(&mut buf).is_err(), "READY before the ring was installed");
        m.installed = true;
        tx.send(m).unwrap();
        task.await.unwrap();
        let n = sock.recv(&mut buf).unwrap();
        assert_eq!(
            std::str::from_utf8(&buf[..n]).unwrap(),
            "READY=1\nSTATUS=ring 1.8 with 2 member(s)\n"
        );
        stopping();
        let n = sock.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"STOPPING=1\n");
        std::env::remove_var("NOTIFY_SOCKET");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
