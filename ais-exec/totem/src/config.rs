//! The protocol parameters of the `totem { }` block, their defaults and their
//! validation.
//!
//! Defaults are those of openais/corosync 1.4 (the openais man page is stale on
//! some of them). Times are in milliseconds, as in the configuration file.

use std::fmt;

/// Largest application message the ring accepts (1 MiB), as in corosync.
pub const MAX_MESSAGE_SIZE: usize = 1024 * 1024;

/// Bytes of every datagram reserved for the transport: IPv6 + UDP headers (48)
/// and the security envelope the transport wraps around each datagram (48).
pub const TRANSPORT_OVERHEAD: usize = 96;

/// The protocol parameters of one Totem instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotemConfig {
    /// Token timeout: a token not seen for this long is lost (ms).
    pub token: u32,
    /// Retransmit the token if it has not come back within this (ms).
    pub token_retransmit: u32,
    /// How long the representative holds the token on an idle ring (ms).
    pub hold: u32,
    /// Token retransmissions before the token is declared lost.
    pub token_retransmits_before_loss_const: u32,
    /// Interval between join messages while gathering (ms).
    pub join: u32,
    /// Upper bound of a random delay before sending a join (ms); 0 = none.
    pub send_join: u32,
    /// How long to wait for consensus before failing silent nodes (ms).
    pub consensus: u32,
    /// Interval at which a representative announces its ring (ms).
    pub merge: u32,
    /// Interval for checking a failed interface (ms); used by the transport.
    pub downcheck: u32,
    /// Token rotations with messages missing and none arriving before a node
    /// declares that it fails to receive.
    pub fail_recv_const: u32,
    /// Idle rotations (sequence number unchanged) before the token is held.
    pub seqno_unchanged_const: u32,
    /// Frames that may be broadcast in one token rotation.
    pub window_size: u32,
    /// Frames one node may broadcast in one token visit.
    pub max_messages: u32,
    /// Token visits a missing frame is seen missing before it is requested.
    pub miss_count_const: u32,
    /// Maximum transmission unit of the network (bytes).
    pub netmtu: u32,
}

impl Default for TotemConfig {
    fn default() -> Self {
        TotemConfig {
            token: 1000,
            token_retransmit: 238,
            hold: 180,
            token_retransmits_before_loss_const: 4,
            join: 50,
            send_join: 0,
            consensus: 1200,
            merge: 200,
            downcheck: 1000,
            fail_recv_const: 2500,
            seqno_unchanged_const: 30,
            window_size: 50,
            max_messages: 17,
            miss_count_const: 5,
            netmtu: 1500,
        }
    }
}

/// A parameter that is out of range or inconsistent with another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The name of the offending parameter, as written in `totem { }`.
    pub parameter: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "totem.{}: {}", self.parameter, self.reason)
    }
}

impl std::error::Error for ConfigError {}

fn err(parameter: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        parameter,
        reason: reason.into(),
    }
}

impl TotemConfig {
    /// A configuration derived from a token timeout the way corosync derives
    /// it when only `token` (and optionally the retransmit count) is given:
    /// retransmit = token / (count + 0.2), hold = 0.75 x retransmit,
    /// consensus = 1.2 x token.
    pub fn from_token(token: u32, retransmits_before_loss: u32) -> TotemConfig {
        let token_retransmit = ((token as u64 * 10) / (retransmits_before_loss as u64 * 10 + 2)).max(1) as u32;
        TotemConfig {
            token,
            token_retransmit,
            hold: (token_retransmit as u64 * 3 / 4).max(1) as u32,
            token_retransmits_before_loss_const: retransmits_before_loss,
            consensus: (token as u64 * 12 / 10) as u32,
            ..TotemConfig::default()
        }
    }

    /// The largest datagram this instance will produce for data frames and
    /// tokens: `netmtu` less what the transport adds.
    pub fn frame_budget(&self) -> usize {
        (self.netmtu as usize).saturating_sub(TRANSPORT_OVERHEAD)
    }

    /// Checks every parameter and their relations; the error names the
    /// parameter to fix.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let positive: [(&'static str, u32); 12] = [
            ("token", self.token),
            ("token_retransmit", self.token_retransmit),
            ("hold", self.hold),
            (
                "token_retransmits_before_loss_const",
                self.token_retransmits_before_loss_const,
            ),
            ("join", self.join),
            ("consensus", self.consensus),
            ("merge", self.merge),
            ("downcheck", self.downcheck),
            ("fail_recv_const", self.fail_recv_const),
            ("seqno_unchanged_const", self.seqno_unchanged_const),
            ("window_size", self.window_size),
            ("max_messages", self.max_messages),
        ];
        for (name, value) in positive {
            if value == 0 {
                return Err(err(name, "must be greater than 0"));
            }
        }
        if self.miss_count_const == 0 {
            return Err(err("miss_count_const", "must be greater than 0"));
        }
        if self.token > 3_600_000 {
            return Err(err("token", format!("{} ms is more than an hour", self.token)));
        }
        if self.token_retransmit >= self.token {
            return Err(err(
                "token_retransmit",
                format!("must be less than token ({} >= {})", self.token_retransmit, self.token),
            ));
        }
        if self.hold >= self.token_retransmit {
            return Err(err(
                "hold",
                format!(
                    "must be less than token_retransmit ({} >= {})",
                    self.hold, self.token_retransmit
                ),
            ));
        }
        // consensus >= 1.2 x token, compared in integers.
        if (self.consensus as u64) * 10 < (self.token as u64) * 12 {
            return Err(err(
                "consensus",
                format!(
                    "must be at least 1.2 x token ({} < {})",
                    self.consensus,
                    (self.token as u64 * 12).div_ceil(10)
                ),
            ));
        }
        if self.join >= self.consensus {
            return Err(err(
                "join",
                format!("must be less than consensus ({} >= {})", self.join, self.consensus),
            ));
        }
        if self.send_join >= self.consensus {
            return Err(err(
                "send_join",
                format!("must be less than consensus ({} >= {})", self.send_join, self.consensus),
            ));
        }
        if self.max_messages > self.window_size {
            return Err(err(
                "max_messages",
                format!(
                    "must not exceed window_size ({} > {})",
                    self.max_messages, self.window_size
                ),
            ));
        }
        if self.window_size > 10_000 {
            return Err(err("window_size", format!("{} is more than 10000", self.window_size)));
        }
        if !(576..=65_535).contains(&self.netmtu) {
            return Err(err("netmtu", format!("{} is outside 576..65535", self.netmtu)));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_those_of_openais_and_corosync_1_4() {
        let c = TotemConfig::default();
        assert_eq!(
            (
                c.token,
                c.token_retransmit,
                c.hold,
                c.token_retransmits_before_loss_const
            ),
            (1000, 238, 180, 4)
        );
        assert_eq!(
            (c.join, c.send_join, c.consensus, c.merge, c.downcheck),
            (50, 0, 1200, 200, 1000)
        );
        assert_eq!((c.fail_recv_const, c.seqno_unchanged_const), (2500, 30));
        assert_eq!(
            (c.window_size, c.max_messages, c.miss_count_const, c.netmtu),
            (50, 17, 5, 1500)
        );
        assert_eq!(c.validate(), Ok(()));
    }

    #[test]
    fn consensus_below_1_2_token_is_refused_by_name() {
        let c = TotemConfig {
            consensus: 1199,
            ..TotemConfig::default()
        };
        let e = c.validate().unwrap_err();
        assert_eq!(e.parameter, "consensus");
        assert!(e
            .to_string()
            .starts_with("totem.consensus: must be at least 1.2 x token"));
    }

    #[test]
    fn each_relation_names_its_parameter() {
        let d = TotemConfig::default();
        let cases: Vec<(TotemConfig, &str)> = vec![
            (TotemConfig { token: 0, ..d.clone() }, "token"),
            (
                TotemConfig {
                    token_retransmit: 1000,
                    ..d.clone()
                },
                "token_retransmit",
            ),
            (TotemConfig { hold: 238, ..d.clone() }, "hold"),
            (
                TotemConfig {
                    join: 1200,
                    ..d.clone()
                },
                "join",
            ),
            (
                TotemConfig {
                    send_join: 1300,
                    ..d.clone()
                },
                "send_join",
            ),
            (
                TotemConfig {
                    max_messages: 51,
                    ..d.clone()
                },
                "max_messages",
            ),
            (
                TotemConfig {
                    netmtu: 500,
                    ..d.clone()
                },
                "netmtu",
            ),
            (
                TotemConfig {
                    window_size: 0,
                    ..d.clone()
                },
                "window_size",
            ),
            (
                TotemConfig {
                    miss_count_const: 0,
                    ..d.clone()
                },
                "miss_count_const",
            ),
        ];
        for (c, name) in cases {
            assert_eq!(c.validate().unwrap_err().parameter, name, "{c:?}");
        }
    }

    #[test]
    fn derived_from_token_is_valid() {
        for token in [100, 300, 1000, 5000, 10000] {
            let c = TotemConfig::from_token(token, 4);
            assert_eq!(c.validate(), Ok(()), "{c:?}");
        }
        assert_eq!(TotemConfig::from_token(1000, 4).token_retransmit, 238);
    }
}
