//! The dial plan: `<meeting>@host`, `<meeting>.<passcode>@host`, or the lobby (IVR).

use std::fmt;

/// What a caller reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DialTarget {
    /// A meeting, with the passcode given in the Request-URI (if any).
    Meeting {
        meeting: String,
        passcode: Option<String>,
    },
    /// The lobby: the IVR asks for the meeting id and passcode.
    Lobby,
}

/// Why a dialled address leads nowhere. Each maps to a SIP status with a Reason the caller's
/// screen can show (RFC 3326).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DialError {
    #[error("no meeting {meeting}")]
    UnknownMeeting { meeting: String },
    #[error("wrong passcode for meeting {meeting}")]
    WrongPasscode { meeting: String },
}

impl DialError {
    /// The SIP status code for this refusal (RFC 3261 §21.4.5, §21.4.3).
    pub fn status(&self) -> u16 {
        match self {
            DialError::UnknownMeeting { .. } => 404,
            DialError::WrongPasscode { .. } => 403,
        }
    }
}

/// The dial plan's configuration: which user parts mean "the lobby".
#[derive(Clone, Debug)]
pub struct DialPlan {
    lobby_numbers: Vec<String>,
}

impl Default for DialPlan {
    fn default() -> Self {
        DialPlan {
            lobby_numbers: vec!["lobby".into(), "0".into()],
        }
    }
}

impl DialPlan {
    pub fn new(lobby_numbers: Vec<String>) -> Self {
        DialPlan { lobby_numbers }
    }

    /// Interpret the (unescaped) user part of the Request-URI. `None` — a call to the bare host
    /// — and the configured lobby numbers lead to the IVR.
    pub fn route(&self, user: Option<&str>) -> DialTarget {
        let user = match user.map(str::trim) {
            None | Some("") => return DialTarget::Lobby,
            Some(u) => u,
        };
        if self.lobby_numbers.iter().any(|l| l == user) {
            return DialTarget::Lobby;
        }
        // Visual separators that keypads and dial strings carry are not part of the number.
        let (meeting, passcode) = match user.split_once(['.', '*', '#']) {
            Some((m, p)) if !p.is_empty() => (m, Some(p.to_string())),
            Some((m, _)) => (m, None),
            None => (user, None),
        };
        DialTarget::Meeting {
            meeting: meeting.to_string(),
            passcode,
        }
    }
}

impl fmt::Display for DialTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DialTarget::Meeting { meeting, .. } => write!(f, "meeting {meeting}"),
            DialTarget::Lobby => f.write_str("lobby"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meeting(m: &str, p: Option<&str>) -> DialTarget {
        DialTarget::Meeting {
            meeting: m.into(),
            passcode: p.map(Into::into),
        }
    }

    #[test]
    fn routes_meeting_and_passcode() {
        let plan = DialPlan::default();
        assert_eq!(plan.route(Some("1000")), meeting("1000", None));
        assert_eq!(plan.route(Some("1000.4321")), meeting("1000", Some("4321")));
        assert_eq!(plan.route(Some("1000*4321")), meeting("1000", Some("4321")));
        assert_eq!(plan.route(Some("1000.")), meeting("1000", None));
    }

    #[test]
    fn bare_host_and_lobby_numbers_reach_the_ivr() {
        let plan = DialPlan::default();
        assert_eq!(plan.route(None), DialTarget::Lobby);
        assert_eq!(plan.route(Some("")), DialTarget::Lobby);
        assert_eq!(plan.route(Some("lobby")), DialTarget::Lobby);
        let custom = DialPlan::new(vec!["8000".into()]);
        assert_eq!(custom.route(Some("8000")), DialTarget::Lobby);
        assert_eq!(custom.route(Some("lobby")), meeting("lobby", None));
    }

    #[test]
    fn refusals_map_to_sip_statuses() {
        let unknown = DialError::UnknownMeeting {
            meeting: "9".into(),
        };
        assert_eq!(unknown.status(), 404);
        let wrong = DialError::WrongPasscode {
            meeting: "9".into(),
        };
        assert_eq!(wrong.status(), 403);
    }
}
