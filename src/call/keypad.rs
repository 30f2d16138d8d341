//! Keypad controls: what a room system, which has a keypad and no breakout UI, can do with
//! DTMF. Digits arrive from RFC 4733 events or SIP INFO; each completed sequence becomes the
//! same command the host API uses, so the same rules and events apply.
//!
//! Default map (configurable): `**` announces the menu, `*1` mute/unmute, `*2` ask the host for
//! help, `*3` return to the main session, `*4<room>#` join breakout room N (self-select), `*5`
//! say which room you are in. A sequence left unfinished for [`Keypad::INTERDIGIT`] is dropped.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// What a completed key sequence asks for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KeyAction {
    Menu,
    ToggleMute,
    AskForHelp,
    ReturnToMain,
    /// Join breakout room number N (1-based, as announced).
    JoinRoom(u32),
    WhereAmI,
}

/// The configurable map: sequences after the leading `*` → action; one entry may be a room
/// selector, whose digits are collected until `#`.
#[derive(Clone, Debug)]
pub struct KeyMap {
    pub actions: HashMap<String, KeyAction>,
    /// The prefix (after `*`) that starts a room number, e.g. `"4"`.
    pub join_room: Option<String>,
}

impl Default for KeyMap {
    fn default() -> Self {
        let actions = [
            ("*", KeyAction::Menu),
            ("1", KeyAction::ToggleMute),
            ("2", KeyAction::AskForHelp),
            ("3", KeyAction::ReturnToMain),
            ("5", KeyAction::WhereAmI),
        ]
        .into_iter()
        .map(|(k, a)| (k.to_string(), a))
        .collect();
        KeyMap {
            actions,
            join_room: Some("4".into()),
        }
    }
}

/// Collects digits for one leg.
#[derive(Clone, Debug)]
pub struct Keypad {
    map: KeyMap,
    buf: String,
    last: Option<Instant>,
}

impl Keypad {
    pub const INTERDIGIT: Duration = Duration::from_secs(4);
    const MAX_SEQUENCE: usize = 8;

    pub fn new(map: KeyMap) -> Self {
        Keypad {
            map,
            buf: String::new(),
            last: None,
        }
    }

    /// Feeds one digit (`0-9`, `*`, `#`, `A-D`); returns an action when a sequence completes.
    pub fn digit(&mut self, now: Instant, d: char) -> Option<KeyAction> {
        self.handle_timeout(now);
        self.last = Some(now);
        if self.buf.is_empty() {
            // Only `*` starts a sequence, so digits meant for someone else (a far-end IVR
            // reached through the meeting) never trigger an action by accident.
            if d == '*' {
                self.buf.push('*');
            }
            return None;
        }
        self.buf.push(d);
        let body = &self.buf[1..];
        if let Some(prefix) = &self.map.join_room {
            if let Some(num) = body.strip_prefix(prefix.as_str()) {
                if let Some(n) = num.strip_suffix('#') {
                    let action = n.parse().ok().filter(|&n| n > 0).map(KeyAction::JoinRoom);
                    self.buf.clear();
                    return action;
                }
                if num.chars().all(|c| c.is_ascii_digit()) && self.buf.len() <= Self::MAX_SEQUENCE {
                    return None;
                }
                self.buf.clear();
                return None;
            }
        }
        if let Some(a) = self.map.actions.get(body) {
            let a = a.clone();
            self.buf.clear();
            return Some(a);
        }
        let could_continue = self.map.actions.keys().any(|k| k.starts_with(body))
            || self
                .map
                .join_room
                .as_ref()
                .is_some_and(|p| p.starts_with(body));
        if !could_continue {
            self.buf.clear();
            // A fresh `*` after a dead end starts over.
            if d == '*' {
                self.buf.push('*');
            }
        }
        None
    }

    /// Drops a sequence left unfinished too long.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some(t) = self.poll_timeout() {
            if now >= t {
                self.buf.clear();
                self.last = None;
            }
        }
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.buf.is_empty() {
            return None;
        }
        self.last.map(|t| t + Self::INTERDIGIT)
    }
}

/// The digit a SIP INFO carries, if any. Two bodies are in the field (neither has an RFC):
/// `application/dtmf-relay`, "Signal=5\r\nDuration=160" (the first `Signal=` line decides),
/// and `application/dtmf`, the bare digit. Content types compare case-insensitively (RFC 2045
/// §5.1) and may carry parameters. The character is returned as sent, whatever it is: the
/// keypad decides what it means.
pub fn info_digit(content_type: &str, body: &[u8]) -> Option<char> {
    let ct = content_type.to_ascii_lowercase();
    if ct.starts_with("application/dtmf-relay") {
        String::from_utf8_lossy(body)
            .lines()
            .find_map(|l| l.trim().strip_prefix("Signal="))
            .and_then(|s| s.trim().chars().next())
    } else if ct.starts_with("application/dtmf") {
        String::from_utf8_lossy(body).trim().chars().next()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(k: &mut Keypad, now: Instant, s: &str) -> Vec<KeyAction> {
        s.chars().filter_map(|c| k.digit(now, c)).collect()
    }

    #[test]
    fn default_map() {
        let now = Instant::now();
        let mut k = Keypad::new(KeyMap::default());
        assert_eq!(feed(&mut k, now, "**"), [KeyAction::Menu]);
        assert_eq!(feed(&mut k, now, "*1"), [KeyAction::ToggleMute]);
        assert_eq!(feed(&mut k, now, "*2"), [KeyAction::AskForHelp]);
        assert_eq!(feed(&mut k, now, "*3"), [KeyAction::ReturnToMain]);
        assert_eq!(feed(&mut k, now, "*5"), [KeyAction::WhereAmI]);
        assert_eq!(feed(&mut k, now, "*412#"), [KeyAction::JoinRoom(12)]);
    }

    #[test]
    fn digits_without_star_are_ignored() {
        let now = Instant::now();
        let mut k = Keypad::new(KeyMap::default());
        assert_eq!(feed(&mut k, now, "1234#"), []);
        assert_eq!(k.poll_timeout(), None);
    }

    #[test]
    fn unfinished_sequences_expire() {
        let t0 = Instant::now();
        let mut k = Keypad::new(KeyMap::default());
        assert_eq!(feed(&mut k, t0, "*4"), []);
        assert_eq!(k.poll_timeout(), Some(t0 + Keypad::INTERDIGIT));
        let later = t0 + Keypad::INTERDIGIT;
        // The room digits come too late: the sequence was dropped, so "1#" means nothing.
        assert_eq!(feed(&mut k, later, "1#"), []);
        assert_eq!(feed(&mut k, later, "*3"), [KeyAction::ReturnToMain]);
    }

    #[test]
    fn info_dtmf_relay_body() {
        let relay = "application/dtmf-relay";
        assert_eq!(
            info_digit(relay, b"Signal=5\r\nDuration=160\r\n"),
            Some('5')
        );
        assert_eq!(info_digit(relay, b"Duration=160\nSignal= #\n"), Some('#'));
        assert_eq!(
            info_digit("Application/DTMF-Relay", b"  Signal=*  "),
            Some('*')
        );
        assert_eq!(
            info_digit(relay, b"Signal=11"),
            Some('1'),
            "first character only"
        );
        assert_eq!(info_digit(relay, b"Duration=160"), None);
        assert_eq!(
            info_digit(relay, b"signal=5"),
            None,
            "the key is case-sensitive"
        );
        // The first Signal= line decides, even when it is empty.
        assert_eq!(info_digit(relay, b"Signal=\r\nSignal=5"), None);
        assert_eq!(info_digit(relay, b""), None);
    }

    #[test]
    fn info_dtmf_body() {
        assert_eq!(info_digit("application/dtmf", b"7"), Some('7'));
        assert_eq!(
            info_digit("application/dtmf; x=y", b" \r\n#\r\n"),
            Some('#')
        );
        assert_eq!(info_digit("APPLICATION/DTMF", b"A"), Some('A'));
        assert_eq!(info_digit("application/dtmf", b"  \r\n"), None);
        // Invalid UTF-8 is read lossily, not refused.
        assert_eq!(info_digit("application/dtmf", b"\xff5"), Some('\u{fffd}'));
    }

    #[test]
    fn info_other_content_types_carry_no_digit() {
        assert_eq!(info_digit("application/sdp", b"Signal=5"), None);
        assert_eq!(info_digit("application/media_control+xml", b"5"), None);
        assert_eq!(info_digit("text/plain", b"5"), None);
        assert_eq!(info_digit("", b"5"), None);
    }

    #[test]
    fn dead_ends_and_room_zero() {
        let now = Instant::now();
        let mut k = Keypad::new(KeyMap::default());
        assert_eq!(feed(&mut k, now, "*9"), []);
        assert_eq!(feed(&mut k, now, "*40#"), []);
        assert_eq!(feed(&mut k, now, "*4x"), []);
        assert_eq!(feed(&mut k, now, "*7*1"), [KeyAction::ToggleMute]);
    }
}
