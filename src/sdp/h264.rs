//! H.264 `profile-level-id` (RFC 6184 §8.1) and the answer rules of RFC 6184 §8.2.2:
//! the profile (profile_idc and profile-iop) and packetization-mode are used symmetrically,
//! only the level may change, and the answerer's level is at most the offered one.

use std::fmt;

/// `profile-level-id`: three bytes, hex (RFC 6184 §8.1). Absent means `420010`
/// (Baseline, level 1.0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProfileLevelId {
    pub profile_idc: u8,
    pub profile_iop: u8,
    pub level_idc: u8,
}

/// constraint_set3_flag: with profile_idc 66, 77 or 88 and level_idc 11 it means level 1b.
const CONSTRAINT_SET3: u8 = 0x10;

impl ProfileLevelId {
    /// RFC 6184 §8.1: the default when the parameter is absent.
    pub const DEFAULT: ProfileLevelId = ProfileLevelId {
        profile_idc: 0x42,
        profile_iop: 0x00,
        level_idc: 0x0a,
    };

    pub fn parse(s: &str) -> Option<ProfileLevelId> {
        if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(&s[i..i + 2], 16).ok();
        Some(ProfileLevelId {
            profile_idc: byte(0)?,
            profile_iop: byte(2)?,
            level_idc: byte(4)?,
        })
    }

    fn level_1b_capable(self) -> bool {
        matches!(self.profile_idc, 66 | 77 | 88)
    }

    fn is_level_1b(self) -> bool {
        (self.level_1b_capable()
            && self.level_idc == 11
            && self.profile_iop & CONSTRAINT_SET3 != 0)
            // High profiles signal 1b as level_idc 9 (H.264 Annex A).
            || self.level_idc == 9
    }

    /// The level on an ordered scale: level_idc × 2, with 1b between 1.0 and 1.1.
    pub fn level_rank(self) -> u32 {
        if self.is_level_1b() {
            21
        } else {
            u32::from(self.level_idc) * 2
        }
    }

    /// The profile part, the level-1b flag masked out (RFC 6184 §8.2.2: that flag belongs to
    /// the level).
    pub fn profile(self) -> (u8, u8) {
        let iop = if self.level_1b_capable() {
            self.profile_iop & !CONSTRAINT_SET3
        } else {
            self.profile_iop
        };
        (self.profile_idc, iop)
    }

    /// The same profile at `min(self's level, max_level_idc)`: what an answerer limited to
    /// `max_level_idc` answers (RFC 6184 §8.2.2: level in the answer ≤ level offered).
    pub fn capped(self, max_level_idc: u8) -> ProfileLevelId {
        let cap = ProfileLevelId {
            level_idc: max_level_idc,
            ..self
        };
        if cap.level_rank() >= self.level_rank() {
            return self;
        }
        let (profile_idc, profile_iop) = self.profile();
        ProfileLevelId {
            profile_idc,
            profile_iop,
            level_idc: max_level_idc,
        }
    }
}

impl fmt::Display for ProfileLevelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02x}{:02x}{:02x}",
            self.profile_idc, self.profile_iop, self.level_idc
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_print() {
        let p = ProfileLevelId::parse("42e01f").unwrap();
        assert_eq!(
            (p.profile_idc, p.profile_iop, p.level_idc),
            (0x42, 0xe0, 0x1f)
        );
        assert_eq!(p.to_string(), "42e01f");
        assert!(ProfileLevelId::parse("42e01").is_none());
        assert!(ProfileLevelId::parse("42e0zz").is_none());
    }

    #[test]
    fn capping_keeps_profile_and_lowers_level() {
        let high_51 = ProfileLevelId::parse("640033").unwrap();
        assert_eq!(high_51.capped(0x28).to_string(), "640028");
        let cb_31 = ProfileLevelId::parse("42e01f").unwrap();
        assert_eq!(cb_31.capped(0x28), cb_31);
        // 1b (42f00b) is below 1.1 and above 1.0.
        let b = ProfileLevelId::parse("42f00b").unwrap();
        assert_eq!(b.level_rank(), 21);
        assert_eq!(b.capped(0x28), b);
        assert_eq!(b.capped(0x0a).to_string(), "42e00a");
        assert_eq!(b.profile(), (0x42, 0xe0));
    }
}
