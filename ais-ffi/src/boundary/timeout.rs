//! The `timeout` argument of synchronous calls, with its floor.
//!
//! openais ignored the argument, and its programs pass 0 (`testckpt.c`, `ckptbench.c` and
//! `ckpt-wr.c` open their checkpoint with timeout 0); other implementations answer such
//! calls too. A call the executive can answer must not fail because its caller asked for
//! less time than one answer takes, so a timeout below [`TIMEOUT_FLOOR`] waits that long.
//! The floor is 5 s: above what an ordered request takes while the ring re-forms with the
//! default Totem timers (token 1 s, consensus 1.2 s, then the services' sync), so only an
//! executive that cannot answer at all makes such a call end in `SA_AIS_ERR_TIMEOUT`.
//! Negative values are `SA_AIS_ERR_INVALID_PARAM`.

use std::time::Duration;

use super::call::Failure;
use super::check::INVALID;
use crate::types::ais::SaTimeT;

/// The least time a synchronous call waits for the executive's answer (documented in
/// saClm(3) and saCkpt(3)).
pub const TIMEOUT_FLOOR: Duration = Duration::from_secs(5);

/// How long a synchronous call given `t` (nanoseconds) waits.
pub fn timeout(t: SaTimeT) -> Result<Duration, Failure> {
    if t < 0 {
        return Err(INVALID);
    }
    Ok(Duration::from_nanos(t as u64).max(TIMEOUT_FLOOR))
}

/// As [`timeout`], in the API's nanoseconds.
pub fn timeout_ns(t: SaTimeT) -> Result<SaTimeT, Failure> {
    let d = timeout(t)?;
    Ok(SaTimeT::try_from(d.as_nanos()).unwrap_or(SaTimeT::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timeout_below_the_floor_waits_the_floor() {
        assert_eq!(timeout(0), Ok(TIMEOUT_FLOOR));
        assert_eq!(timeout(1), Ok(TIMEOUT_FLOOR));
        assert_eq!(timeout(60_000_000_000), Ok(Duration::from_secs(60)));
        assert_eq!(timeout(-1), Err(INVALID));
        assert_eq!(timeout_ns(0), Ok(5_000_000_000));
        assert_eq!(timeout_ns(SaTimeT::MAX), Ok(SaTimeT::MAX));
    }
}
